"""Which exercise is the person doing, live: recognition over a sliding window of landmarks.

:class:`LiveRecogniser` keeps the last ``window_s`` of the session's landmarks
(at most ``max_fps`` of them a second) and, on its own thread every ``every_s``
(twice that while it agrees with the exercise being coached), asks :func:`formcheck.engine.recognise.recognise` which exercise that window
looks like (a black box here: it answers an exercise and a confidence, or
None for "none of the exercises formcheck knows"). A new exercise is taken
once it wins ``agree`` windows in a row with at least ``min_confidence`` (the
first one at once); the person can pin an exercise, after which recognition
is still shown but never switches. The coach asks :meth:`take_switch` before
each frame and replays the window's frames into the new exercise's engine, so
the reps that were recognised are also counted.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import replace

import numpy as np

from ..engine.landmarks import PoseFrame, PoseSeq
from ..engine.specs import ExerciseSpec

WINDOW_S = 12.0
EVERY_S = 4.0
MAX_FPS = 10.0
MIN_CONFIDENCE = 0.4
AGREE = 2


class LiveRecogniser:
    def __init__(
        self,
        specs: dict[str, ExerciseSpec],
        window_s: float = WINDOW_S,
        every_s: float = EVERY_S,
        max_fps: float = MAX_FPS,
        min_confidence: float = MIN_CONFIDENCE,
        agree: int = AGREE,
        background: bool = True,
    ) -> None:
        self.specs = specs
        self.window_s = window_s
        self.every_s = every_s
        self.max_fps = max_fps
        self.min_confidence = min_confidence
        self.agree = agree
        self._lock = threading.Lock()
        self._frames: deque[PoseFrame] = deque()
        self._size: tuple[int, int] | None = None
        self._last_run_t: float | None = None
        self.current: str | None = None  # the exercise being coached
        self.pinned: str | None = None
        self.guess: tuple[str | None, float] | None = None  # the last answer: (exercise or None, confidence)
        self.runs = 0
        self._streak: tuple[str | None, int] = (None, 0)
        self._switch: str | None = None
        self._wake = threading.Event()
        self._closed = False
        self._thread: threading.Thread | None = None
        self._background = background

    # ------------------------------------------------------------ frame thread
    def push(self, frame: PoseFrame, size: tuple[int, int]) -> None:
        """One frame of the session (its time on the session's rising timeline)."""
        with self._lock:
            if self._size is not None and size != self._size:  # the window in the new pixel size
                k = np.array([size[0] / self._size[0], size[1] / self._size[1]], np.float32)
                self._frames = deque(
                    replace(f, xy=f.xy * k, back=None if f.back is None else f.back * k) for f in self._frames
                )
            self._size = size
            if self._frames and frame.t_s - self._frames[-1].t_s < 1.0 / self.max_fps:
                return
            self._frames.append(frame)
            while self._frames and frame.t_s - self._frames[0].t_s > self.window_s:
                self._frames.popleft()
            settled = self.guess is not None and self.current is not None and self.guess[0] == self.current
            every = 2 * self.every_s if settled else self.every_s  # it agrees: look half as often
            due = self._last_run_t is None or frame.t_s - self._last_run_t >= every
            full = frame.t_s - self._frames[0].t_s >= 0.5 * self.window_s
        if due and full:
            self._last_run_t = frame.t_s
            if self._background:
                self._start()
                self._wake.set()
            else:
                self.run_once()

    def take_switch(self) -> str | None:
        """The exercise to switch to now, once (None: keep the current one)."""
        with self._lock:
            sw, self._switch = self._switch, None
            return sw

    def frames_since(self, t_s: float) -> list[PoseFrame]:
        """The window's frames after ``t_s`` (replayed into a new exercise's engine)."""
        with self._lock:
            return [f for f in self._frames if f.t_s > t_s]

    def pin(self, exercise: str | None) -> None:
        """Coach ``exercise`` from now on whatever recognition says (None: recognise again)."""
        with self._lock:
            self.pinned = exercise
            if exercise is not None and exercise != self.current:
                self._switch = exercise
                self.current = exercise

    # ------------------------------------------------------------ recognition
    def _window(self) -> PoseSeq | None:
        with self._lock:
            frames, size = list(self._frames), self._size
        if len(frames) < 10 or size is None:
            return None
        n_back = next((f.back.shape[0] for f in frames if f.back is not None), 0)
        back = (
            np.array([f.back if f.back is not None else np.full((n_back, 2), np.nan, np.float32) for f in frames])
            if n_back
            else None
        )
        fps = (len(frames) - 1) / max(frames[-1].t_s - frames[0].t_s, 1e-6)
        return PoseSeq(
            np.array([f.t_s for f in frames]),
            np.array([f.xy for f in frames]),
            np.array([f.vis for f in frames]),
            np.array([f.world for f in frames]),
            size[0],
            size[1],
            fps,
            back=back,
            people=np.array([f.people for f in frames]),
        )

    def run_once(self) -> tuple[str | None, float] | None:
        """Recognise the window now (the worker does this every ``every_s``)."""
        from ..engine.recognise import recognise

        seq = self._window()
        if seq is None:
            return None
        best, conf, _ = recognise(seq, self.specs)
        with self._lock:
            self.runs += 1
            self.guess = (best, conf)
            if best is None or conf < self.min_confidence:
                self._streak = (None, 0)
                return self.guess
            n = self._streak[1] + 1 if self._streak[0] == best else 1
            self._streak = (best, n)
            if self.pinned is None and best != self.current and (self.current is None or n >= self.agree):
                self.current = best
                self._switch = best
            return self.guess

    def _start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="recognise", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            if self._closed:
                return
            try:
                self.run_once()
            except Exception:  # a failed window is skipped; the next one is tried
                continue

    def close(self) -> None:
        self._closed = True
        self._wake.set()
