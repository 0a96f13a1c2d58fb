"""Causal smoothing for landmark streams.

The same filter runs in live, file and batch analysis, so a clip analysed
from disk gives the counts a webcam session would have given.

We use the One Euro filter (Casiez, Roussel & Vogel, CHI 2012): a first-order
low-pass whose cut-off rises with speed, so slow jitter is smoothed while fast
movement (the concentric phase of a rep) keeps little lag. It is vectorised
over all landmarks; the small PyPI ports filter one scalar at a time in pure
Python, which would cost more than the rest of the per-frame checks together.
"""

from __future__ import annotations

import math

import numpy as np


def _alpha(cutoff_hz: np.ndarray | float, dt_s: float) -> np.ndarray | float:
    tau = 1.0 / (2.0 * math.pi * np.asarray(cutoff_hz))
    return 1.0 / (1.0 + tau / dt_s)


class OneEuroFilter:
    """One Euro filter over arrays of any fixed shape.

    ``min_cutoff_hz`` sets smoothing at rest, ``beta`` how fast the cut-off
    rises with speed (speed in input units per second divided by ``scale``,
    so the same ``beta`` fits pixels and metres). NaN input (no person)
    yields NaN and resets the element, so a person re-entering the frame is
    not dragged from their old position. A gap longer than ``reset_after_s``
    resets everything.
    """

    def __init__(
        self,
        min_cutoff_hz: float = 1.5,
        beta: float = 0.3,
        d_cutoff_hz: float = 1.0,
        scale: float = 1.0,
        reset_after_s: float = 0.5,
    ) -> None:
        self.min_cutoff_hz = min_cutoff_hz
        self.beta = beta
        self.d_cutoff_hz = d_cutoff_hz
        self.scale = scale
        self.reset_after_s = reset_after_s
        self._x: np.ndarray | None = None
        self._dx: np.ndarray | None = None
        self._t: float | None = None

    def reset(self) -> None:
        self._x = self._dx = self._t = None

    def rescale(self, factor: np.ndarray | float, scale: float | None = None) -> None:
        """Carry the state over to new units: the value and its speed are multiplied by
        ``factor`` (broadcast over the last axis, e.g. ``[sx, sy]`` for pixels after a
        resize); ``scale`` replaces the speed scale. The smoothing goes on without a jump."""
        f = np.asarray(factor, dtype=np.float64)
        if self._x is not None:
            self._x = self._x * f
        if self._dx is not None:
            self._dx = self._dx * f
        if scale is not None:
            self.scale = scale

    def __call__(self, t_s: float, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        if (
            self._x is None
            or self._dx is None
            or self._t is None
            or t_s - self._t > self.reset_after_s
            or t_s <= self._t
        ):
            self._x = x.copy()
            self._dx = np.zeros_like(x)
            self._t = t_s
            return x.copy()
        dt = t_s - self._t
        self._t = t_s
        prev = self._x
        fresh = np.isnan(prev) & ~np.isnan(x)
        dx = (x - prev) / dt
        a_d = _alpha(self.d_cutoff_hz, dt)
        dx_hat = a_d * dx + (1 - a_d) * self._dx
        speed = np.abs(dx_hat) / self.scale
        a = _alpha(self.min_cutoff_hz + self.beta * speed, dt)
        out = a * x + (1 - a) * prev
        # newly seen elements start from the measurement; missing ones stay NaN
        out = np.where(fresh, x, out)
        dx_hat = np.where(np.isnan(dx_hat), 0.0, dx_hat)
        self._x = out
        self._dx = dx_hat
        return out.copy()
