"""One rising timeline for a live session, whatever the camera's timestamps do.

The pose tracker and the engine need frame times that rise. A live session's
frames do not always oblige: WebRTC frames carry RTP times that start anywhere
(and start anywhere again after STOP/START or a camera switch), a frame can
arrive late, after a newer one, and a file played as a camera starts again at
zero. :class:`StreamClock` maps each frame's media time to the session's
timeline (0 at its first frame):

* a frame after the last one moves the timeline on by the media time between them;
* a frame at or up to ``late_s`` before the last one is late or repeated: it is
  dropped (``None``), so the engine never sees time go back;
* a jump further back, or forward by more than ``jump_s`` beyond the wall time
  that passed, is a new stream: the timeline moves on by the wall time since the
  last frame (a pause of 30 s stays a pause of 30 s, so a rep in progress is not
  joined to what comes after it).
"""

from __future__ import annotations

import time
from collections.abc import Callable

MIN_STEP_S = 1e-3


class StreamClock:
    def __init__(self, late_s: float = 1.0, jump_s: float = 2.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.late_s = late_s
        self.jump_s = jump_s
        self._clock = clock
        self._last_raw: float | None = None
        self._last_t = 0.0
        self._last_wall = 0.0
        self.dropped = 0  # late or repeated frames
        self.restarts = 0  # new streams joined on

    def __call__(self, t_s: float) -> float | None:
        """The session time of a frame with media time ``t_s``, or None to drop it."""
        now = self._clock()
        if self._last_raw is None:
            self._last_raw, self._last_t, self._last_wall = t_s, 0.0, now
            return 0.0
        d = t_s - self._last_raw
        wall = max(now - self._last_wall, 0.0)
        if -self.late_s <= d <= 0:
            self.dropped += 1
            return None
        if d < 0 or d > wall + self.jump_s:
            self.restarts += 1
            d = max(wall, MIN_STEP_S)
        self._last_raw, self._last_wall = t_s, now
        self._last_t += d
        return self._last_t

    @property
    def now_s(self) -> float:
        """The session time of the last frame."""
        return self._last_t
