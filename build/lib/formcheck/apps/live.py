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
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..engine.analysis import AnalysisResult, Analyzer, FrameState
from ..engine.landmarks import PoseFrame
from ..engine.specs import ExerciseSpec
from ..media.annotate import Annotator


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


class LiveCoach:
    def __init__(self, spec: ExerciseSpec, back: bool = True, model: str | None = None) -> None:
        self.spec = spec
        self.model = model
        self.segmentation = back and spec.needs_mask
        self._lock = threading.Lock()
        self._est: Any = None  # formcheck.media.pose.PoseEstimator, made on the first frame
        self._an: Analyzer | None = None
        self._ann: Annotator | None = None
        self._size: tuple[int, int] | None = None
        self._sets: list[int] = []
        self._state: FrameState | None = None
        self._fps = 0.0
        self._last_wall: float | None = None
        self._frames = 0
        self._t_offset = 0.0
        self._last_t: float | None = None
        # the history (formcheck.apps.live_history): called at New set, Reset, STOP, a counted rep, close
        self.on_checkpoint: Callable[[str], None] | None = None

    def _start(self, w: int, h: int, model: bool = True) -> None:
        from ..media.pose import PoseEstimator

        if self._est is not None:
            self._est.close()
            self._est = None
        if model:
            self._est = PoseEstimator(self.model, segmentation=self.segmentation).__enter__()
        self._an = Analyzer(self.spec, w, h)
        self._ann = Annotator(self.spec, w, h)
        self._size = (w, h)

    def process(self, t_s: float, rgb: np.ndarray) -> np.ndarray:
        """Analyse one frame and return it annotated (``(H, W, 3) uint8`` RGB)."""
        from ..pipeline import pose_frame

        with self._lock:
            h, w = rgb.shape[:2]
            if self._size != (w, h) or self._est is None:
                self._start(w, h)  # first frame, or the camera changed resolution
            # timestamps must rise for the tracker and the engine, even if a source restarts
            if self._last_t is not None and t_s + self._t_offset <= self._last_t:
                self._t_offset = self._last_t - t_s + 1e-3
            t = t_s + self._t_offset
            self._last_t = t
            assert self._est is not None and self._an is not None and self._ann is not None
            st = self._step(pose_frame(self._est, t, rgb))
            out = self._ann.draw(rgb if rgb.flags.writeable else rgb.copy(), st)
            self._ann.text(
                out,
                f"{self._fps:4.1f} fps",
                (out.shape[1] - int(150 * self._ann.scale), out.shape[0] - int(60 * self._ann.scale)),
            )
            return out

    def feed(self, frame: PoseFrame, size_wh: tuple[int, int]) -> FrameState:
        """One frame of landmarks already estimated (stored landmarks, or another pose backend)."""
        with self._lock:
            if self._size != size_wh or self._an is None:
                self._start(*size_wh, model=False)
            return self._step(frame)

    def _step(self, frame: PoseFrame) -> FrameState:
        assert self._an is not None
        st = self._an.update(frame)
        self._state = st
        self._frames += 1
        now = time.perf_counter()
        if self._last_wall is not None:
            inst = 1.0 / max(now - self._last_wall, 1e-6)
            self._fps = inst if self._fps == 0 else 0.9 * self._fps + 0.1 * inst
        self._last_wall = now
        return st

    def snapshot(self) -> LiveStatus:
        with self._lock:
            st = self._state
            an = self._an
            last = an.reps[-1].to_dict() if an is not None and an.reps else None
            return LiveStatus(
                exercise=self.spec.id,
                reps=st.rep_count if st else 0,
                set_number=len(self._sets) + 1,
                sets=list(self._sets),
                last_rep=last,
                faults=dict(an.fault_counts()) if an else {},
                cue=st.cue if st else None,
                guidance=st.guidance if st else f"Camera: {self.spec.view_advice}",
                ready=bool(st and st.ready),
                view=st.view if st else "unknown",
                processing_fps=round(self._fps, 1),
                frames=self._frames,
                started=st is not None,
            )

    def new_set(self) -> None:
        with self._lock:
            if self._an is not None:
                self._sets.append(self._an.counter.count)
                self._an.new_set()
        self.checkpoint("new_set")

    def reset(self) -> None:
        self.checkpoint("reset")  # the session so far, before it is cleared
        with self._lock:
            self._sets = []
            if self._size is not None:
                self._start(*self._size, model=self._est is not None)
            self._state = None

    def analysis_so_far(self) -> tuple[AnalysisResult, tuple[int, int]] | None:
        """The session so far and the frame size, without ending it (a copy of the engine
        is finished); None before the first frame."""
        with self._lock:
            if self._an is None or self._size is None:
                return None
            return copy.deepcopy(self._an).result(), self._size

    def checkpoint(self, event: str) -> None:
        """Hand the session so far to ``on_checkpoint``: new_set, reset, stop, rep or close."""
        if self.on_checkpoint is not None:
            self.on_checkpoint(event)

    def close(self) -> None:
        self.checkpoint("close")
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
