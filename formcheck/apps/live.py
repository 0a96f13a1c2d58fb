"""Live coaching on a camera stream: the engine frame by frame, one session per stream.

:class:`LiveCoach` is what the Streamlit page and ``formcheck live`` share:
``process(t_s, rgb) -> annotated rgb`` from whatever thread delivers frames,
and ``snapshot()`` for the UI thread. It owns one pose estimator (MediaPipe
keeps tracking state, so sessions never share one) and one
:class:`~formcheck.analysis.Analyzer`, the same engine as file and batch.

:class:`LatestFrame` turns a frame source into "the newest frame" so a slow
model drops frames instead of falling behind (latency does not grow).
"""

from __future__ import annotations

import copy
import math
import pickle
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ..engine.analysis import AnalysisResult, Analyzer, FrameState
from ..engine.landmarks import PoseFrame
from ..engine.specs import ExerciseSpec
from ..media.annotate import Annotator
from ..pipeline import NONE_OF_THEM
from .cues import Announcer, CueScheduler, Utterance
from .live_auto import LiveRecogniser
from .stream_clock import StreamClock


@dataclass
class LiveStatus:
    exercise: str
    reps: int
    set_number: int
    sets: list[int]  # reps of the finished sets
    last_rep: dict | None
    faults: dict[str, int]
    cue: str | None
    guidance: str | None
    ready: bool
    view: str
    processing_fps: float
    frames: int
    started: bool = field(default=False)
    size: tuple[int, int] | None = None  # the frame size now (w, h)
    resizes: int = 0  # frame-size changes so far (the engine carried on)
    frame_ms: float = 0.0  # model and engine time per frame (moving average)
    auto: bool = False  # the exercise is recognised from the movement
    guess: tuple[str | None, float] | None = None  # auto: the last recognition (None: none of them), confidence
    pinned: str | None = None  # auto: the exercise the person pinned
    done: list[tuple[str, int]] = field(default_factory=list)  # auto: earlier exercises and their reps


class LiveCoach:
    """One live session: one pose estimator and one engine for as long as it lasts.

    The engine is never rebuilt behind the person's back: a new frame size
    (WebRTC lowering the resolution on a busy machine, another camera) rescales
    it (:meth:`~formcheck.engine.analysis.Analyzer.rescale`), and frame times go
    through a :class:`~formcheck.apps.stream_clock.StreamClock`, so a restarted
    stream, a late frame or a frame out of order never makes time go back. Only
    Reset starts the count again. Spoken cues: :attr:`cues` decides what is said,
    :meth:`utterances` hands out what was released (``on_utterance`` too).
    """

    def __init__(
        self,
        spec: ExerciseSpec | None,
        back: bool = True,
        model: str | None = None,
        clock: Callable[[], float] = time.monotonic,
        specs: dict[str, ExerciseSpec] | None = None,
        recogniser: LiveRecogniser | None = None,
    ) -> None:
        """``spec`` None: recognise the exercise from the movement (``specs``, default the
        shipped ones; see :mod:`formcheck.apps.live_auto`), switching when it changes."""
        if spec is None and recogniser is None:
            from ..engine.specs import load_specs

            recogniser = LiveRecogniser(specs or load_specs())
        self.recogniser = recogniser
        self.spec = spec
        self.model = model
        self.segmentation = back and (spec.needs_mask if spec is not None else True)
        self._lock = threading.Lock()
        self._clock = clock
        self._est: Any = None  # formcheck.media.pose.PoseEstimator, made on the first frame
        self._an: Analyzer | None = None
        self._annotators: dict[tuple[str, int, int], Annotator] = {}
        self._size: tuple[int, int] | None = None
        self._sets: list[int] = []
        self._state: FrameState | None = None
        self._fps = 0.0
        self._ms = 0.0  # model + engine time per frame (moving average)
        self._last_wall: float | None = None
        self._frames = 0
        self._timeline = StreamClock(clock=clock)
        self.resizes = 0  # frame-size changes carried over (the engine kept its state)
        self.done: list[tuple[str, int]] = []  # exercises coached before the current one: (id, reps)
        self.cues = CueScheduler()
        self._announcer = Announcer(spec) if spec is not None else None
        self._said: deque[tuple[Utterance, float]] = deque(maxlen=8)  # (utterance, wall time released)
        # called (on the frame thread) with each utterance released; must not block
        self.on_utterance: Callable[[Utterance], None] | None = None
        # the history (formcheck.apps.live_history): called at New set, Reset, STOP, a counted rep,
        # a switch to another exercise (auto) and close
        self.on_checkpoint: Callable[[str], None] | None = None

    def _engine(self, w: int, h: int) -> Analyzer | None:
        """The session's engine for frames of ``w x h`` (made once, rescaled after); None
        while the exercise is being recognised."""
        if self._an is None and self.spec is not None:
            self._an = Analyzer(self.spec, w, h)
        elif self._an is not None and self._size is not None and self._size != (w, h):
            self._an.rescale(w, h)
            self.resizes += 1
        self._size = (w, h)
        return self._an

    def _annotator(self, spec: ExerciseSpec, w: int, h: int) -> Annotator:
        key = (spec.id, w, h)
        if key not in self._annotators:
            if len(self._annotators) > 4:
                self._annotators.clear()
            self._annotators[key] = Annotator(spec, w, h)
        return self._annotators[key]

    def _switch_if_recognised(self) -> None:
        """Auto: take the exercise the recogniser settled on. The previous exercise's session
        is handed to the history first; the new engine is fed the recognised window's frames
        (after the last rep counted before), so the reps that were recognised count."""
        new = self.recogniser.take_switch() if self.recogniser is not None else None
        if new is None or (self.spec is not None and new == self.spec.id):
            return
        if self._an is not None:
            self.checkpoint("switch")  # outside the lock: the history reads the session so far
        assert self.recogniser is not None
        with self._lock:
            spec = self.recogniser.specs[new]
            since = -math.inf
            if self._an is not None and self.spec is not None:
                self.done.append((self.spec.id, sum(self._sets) + self._an.counter.count))
                since = self._an.reps[-1].end_s if self._an.reps else -math.inf
            self.spec, self._sets, self._an = spec, [], None
            self._announcer = Announcer(spec)
            if self._size is not None:
                an = self._engine(*self._size)
                assert an is not None
                st = None
                for f in self.recogniser.frames_since(since):
                    st = an.update(f)
                if st is not None:  # what the replay counted is not announced again
                    self._announcer.step(st.t_s, st.rep_count, st.faults_now, st.cue, False, st.ready, 1)
                self._state = st

    def process(self, t_s: float, rgb: np.ndarray) -> np.ndarray:
        """Analyse one frame and return it annotated (``(H, W, 3) uint8`` RGB)."""
        from ..media.pose import PoseEstimator
        from ..pipeline import pose_frame

        self._switch_if_recognised()
        with self._lock:
            h, w = rgb.shape[:2]
            t = self._timeline(t_s)
            out = rgb if rgb.flags.writeable else rgb.copy()
            if t is None:  # late or repeated: the engine never sees time go back
                if self._state is not None and self.spec is not None:
                    return self._annotator(self.spec, w, h).draw(out, self._state)
                return out
            if self._est is None:  # the estimator copes with any frame size: made once
                self._est = PoseEstimator(self.model, segmentation=self.segmentation).__enter__()
            self._engine(w, h)
            t0 = time.perf_counter()
            st = self._step(pose_frame(self._est, t, rgb))
            ms = (time.perf_counter() - t0) * 1000.0
            self._ms = ms if self._ms == 0 else 0.9 * self._ms + 0.1 * ms
            if self.spec is None or st is None:  # auto, not recognised yet
                assert self.recogniser is not None
                ann = self._annotator(next(iter(self.recogniser.specs.values())), w, h)  # for its text only
                ann.text(out, "Recognising the exercise...", (int(12 * ann.scale), h - int(16 * ann.scale)))
                return out
            ann = self._annotator(self.spec, w, h)
            out = ann.draw(out, st)
            ann.text(out, f"{self._fps:4.1f} fps", (w - int(150 * ann.scale), h - int(60 * ann.scale)))
            return out

    def feed(self, frame: PoseFrame, size_wh: tuple[int, int]) -> FrameState | None:
        """One frame of landmarks already estimated (stored landmarks, or another pose
        backend); None when the frame is late or repeated and was dropped (or, in auto,
        while the exercise is not recognised yet)."""
        self._switch_if_recognised()
        with self._lock:
            t = self._timeline(frame.t_s)
            if t is None:
                return None
            self._engine(*size_wh)
            return self._step(replace(frame, t_s=t) if t != frame.t_s else frame)

    def _step(self, frame: PoseFrame) -> FrameState | None:
        self._frames += 1
        now = time.perf_counter()
        if self._last_wall is not None:
            inst = 1.0 / max(now - self._last_wall, 1e-6)
            self._fps = inst if self._fps == 0 else 0.9 * self._fps + 0.1 * inst
        self._last_wall = now
        if self.recogniser is not None and self._size is not None:
            self.recogniser.push(frame, self._size)
        an = self._an
        if an is None or self.spec is None or self._announcer is None:
            return None
        st = an.update(frame)
        self._state = st
        at_top = an.counter.in_top(st.values.get(self.spec.reps.metric, math.nan))
        set_number = len(self._sets) + 1
        for cue in self._announcer.step(st.t_s, st.rep_count, st.faults_now, st.cue, at_top, st.ready, set_number):
            self.cues.push(cue)
        for u in self.cues.due(st.t_s):
            self._said.append((u, self._clock()))
            if self.on_utterance is not None:
                self.on_utterance(u)
        return st

    def utterances(self) -> list[tuple[Utterance, float]]:
        """The last few utterances released, each with its age in seconds (newest last)."""
        with self._lock:
            now = self._clock()
            return [(u, now - wall) for u, wall in self._said]

    def snapshot(self) -> LiveStatus:
        with self._lock:
            st = self._state
            an = self._an
            last = an.reps[-1].to_dict() if an is not None and an.reps else None
            rec = self.recogniser
            if self.spec is None:
                waiting = "Recognising the exercise: start your set"
                if rec is not None and rec.guess is not None and rec.guess[0] is None:
                    waiting = f"Recognising the exercise: {NONE_OF_THEM} yet"
            return LiveStatus(
                exercise=self.spec.id if self.spec is not None else "auto",
                reps=st.rep_count if st else 0,
                set_number=len(self._sets) + 1,
                sets=list(self._sets),
                last_rep=last,
                faults=dict(an.fault_counts()) if an else {},
                cue=st.cue if st else None,
                guidance=st.guidance if st else (f"Camera: {self.spec.view_advice}" if self.spec else waiting),
                ready=bool(st and st.ready),
                view=st.view if st else "unknown",
                processing_fps=round(self._fps, 1),
                frames=self._frames,
                started=st is not None,
                size=self._size,
                resizes=self.resizes,
                frame_ms=round(self._ms, 1),
                auto=rec is not None,
                guess=rec.guess if rec is not None else None,
                pinned=rec.pinned if rec is not None else None,
                done=list(self.done),
            )

    def new_set(self) -> None:
        with self._lock:
            if self._an is not None:
                self._sets.append(self._an.counter.count)
                self._an.new_set()
        self.checkpoint("new_set")

    def reset(self) -> None:
        """Start the session again from nothing (the person asked for it)."""
        self.checkpoint("reset")  # the session so far, before it is cleared
        with self._lock:
            self._sets = []
            self.done = []
            if self._size is not None and self.spec is not None:
                self._an = Analyzer(self.spec, *self._size)
                self._announcer = Announcer(self.spec)
            self._state = None
            self.cues.clear()

    def analysis_so_far(self) -> tuple[AnalysisResult, tuple[int, int]] | None:
        """The session so far and the frame size, without ending it (a copy of the engine is
        finished); None before the first frame. The frames wait only while the engine is
        serialised (a few ms after an hour), not while the copy is made and finished."""
        with self._lock:
            if self._an is None or self._size is None:
                return None
            size = self._size
            try:
                blob: bytes | None = pickle.dumps(self._an, pickle.HIGHEST_PROTOCOL)
            except (pickle.PicklingError, TypeError, AttributeError):  # something unpicklable: copy it here
                blob, an = None, copy.deepcopy(self._an)
        if blob is not None:
            an = pickle.loads(blob)
        return an.result(), size

    def checkpoint(self, event: str) -> None:
        """Hand the session so far to ``on_checkpoint``: new_set, reset, stop, rep or close."""
        if self.on_checkpoint is not None:
            self.on_checkpoint(event)

    def close(self) -> None:
        self.checkpoint("close")
        if self.recogniser is not None:
            self.recogniser.close()
        with self._lock:
            if self._est is not None:
                self._est.close()
                self._est = None


class LatestFrame:
    """Holds only the newest frame of a source read on its own thread.

    ``get()`` returns a frame not seen before (waiting up to ``timeout``), or
    None when the source has ended. Frames that arrive while the consumer is
    busy are dropped and counted in ``dropped``.
    """

    def __init__(self, source: Iterator[tuple[float, np.ndarray]]) -> None:
        self._source = source
        self._cv = threading.Condition()
        self._item: tuple[float, np.ndarray] | None = None
        self._ended = False
        self.error: BaseException | None = None
        self.dropped = 0
        self._thread = threading.Thread(target=self._run, name="camera", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            for item in self._source:
                with self._cv:
                    if self._item is not None:
                        self.dropped += 1
                    self._item = item
                    self._cv.notify()
        except BaseException as e:
            self.error = e
        finally:
            with self._cv:
                self._ended = True
                self._cv.notify()

    def get(self, timeout: float = 5.0) -> tuple[float, np.ndarray] | None:
        with self._cv:
            self._cv.wait_for(lambda: self._item is not None or self._ended, timeout)
            item, self._item = self._item, None
            if item is None and self.error is not None:
                raise self.error
            return item


def paced(
    frames: Iterator[tuple[float, np.ndarray]], clock: Callable[[], float] = time.perf_counter
) -> Iterator[tuple[float, np.ndarray]]:
    """Release file frames at their media time, like a camera would."""
    t0 = None
    for t, rgb in frames:
        now = clock()
        if t0 is None:
            t0 = now - t
        wait = t0 + t - now
        if wait > 0:
            time.sleep(wait)
        yield t, rgb


class CameraError(Exception):
    """No usable camera (message is user-facing)."""


def camera_frames(index: int) -> Iterator[tuple[float, np.ndarray]]:
    """Frames of a local camera as ``(t_s, rgb)``; raises :class:`CameraError` if absent."""
    import cv2

    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)  # the one line below says it
    cap = cv2.VideoCapture(index)
    if not cap.isOpened():
        cap.release()
        raise CameraError(
            f"no camera at index {index} (none connected, or in use); use --source FILE to play a video instead"
        )
    t0 = time.perf_counter()
    try:
        while True:
            ok, bgr = cap.read()
            if not ok:
                return
            yield time.perf_counter() - t0, cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    finally:
        cap.release()


def fmt_status(s: LiveStatus) -> str:
    faults = ", ".join(f"{k} x{v}" for k, v in sorted(s.faults.items())) or "none"
    sets = " + ".join(str(n) for n in [*s.sets, s.reps])
    fps = "" if not math.isfinite(s.processing_fps) else f", processed at {s.processing_fps:.1f} frames/s"
    return f"{s.exercise}: reps {sets} (set {s.set_number}); faults: {faults}{fps}"
