"""Camera-view and body-side detection from world landmarks (causal).

The yaw of the body's left-right axis (shoulders and hips) in the camera's
x-z plane tells the view: 0 deg = facing the camera, +-180 = back to it,
+90 = the person's left side toward the camera. MediaPipe's depth is noisy
frame to frame, so the median over a short window is classified, and a new
view must persist before it replaces the current one.
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np

from .landmarks import Landmark, PoseFrame

WINDOW_S = 1.5
SWITCH_AFTER_S = 0.6
FRONT_MAX_DEG = 30.0
SIDE_MIN_DEG = 60.0
SIDE_MAX_DEG = 120.0
BACK_MIN_DEG = 150.0


def body_yaw(world: np.ndarray) -> float:
    """Yaw in degrees of one frame's ``(33, 3)`` world landmarks (NaN if unknown)."""
    v = (world[Landmark.LEFT_SHOULDER] - world[Landmark.RIGHT_SHOULDER]) + (
        world[Landmark.LEFT_HIP] - world[Landmark.RIGHT_HIP]
    )
    if not np.all(np.isfinite(v)):
        return math.nan
    return math.degrees(math.atan2(-float(v[2]), float(v[0])))


def classify_yaw(yaw_deg: float) -> str:
    if not math.isfinite(yaw_deg):
        return "unknown"
    a = abs(yaw_deg)
    if a <= FRONT_MAX_DEG:
        return "front"
    if a >= BACK_MIN_DEG:
        return "back"
    if SIDE_MIN_DEG <= a <= SIDE_MAX_DEG:
        return "side_left" if yaw_deg > 0 else "side_right"
    return "oblique"


def _circular_median(deg: list[float]) -> float:
    # yaw wraps at +-180; median of the values unwrapped around their circular mean
    r = np.radians(deg)
    mean = math.atan2(float(np.mean(np.sin(r))), float(np.mean(np.cos(r))))
    d = (r - mean + np.pi) % (2 * np.pi) - np.pi
    m = mean + float(np.median(d))
    return math.degrees((m + np.pi) % (2 * np.pi) - np.pi)


class ViewTracker:
    """Feeds on frames, holds the current view and the near side."""

    def __init__(self) -> None:
        self._yaws: deque[tuple[float, float]] = deque()
        self.view = "unknown"
        self.yaw_deg = math.nan
        self._candidate: tuple[str, float] | None = None

    def update(self, frame: PoseFrame) -> str:
        t = frame.t_s
        y = body_yaw(frame.world)
        if math.isfinite(y):
            self._yaws.append((t, y))
        while self._yaws and t - self._yaws[0][0] > WINDOW_S:
            self._yaws.popleft()
        if not self._yaws:
            return self.view
        self.yaw_deg = _circular_median([v for _, v in self._yaws])
        new = classify_yaw(self.yaw_deg)
        if self.view == "unknown":
            self.view = new
        elif new != self.view:
            if self._candidate is None or self._candidate[0] != new:
                self._candidate = (new, t)
            elif t - self._candidate[1] >= SWITCH_AFTER_S:
                self.view, self._candidate = new, None
        else:
            self._candidate = None
        return self.view

    @property
    def near_side(self) -> str:
        """The body side nearer the camera (left when unknown or square-on)."""
        if math.isfinite(self.yaw_deg) and self.yaw_deg < 0:
            return "right"
        return "left"
