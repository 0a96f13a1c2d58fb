"""Rep counting: a causal state machine with hysteresis and minimum durations.

The counted metric is mapped to a *progress* scale ``s`` that grows toward the
contraction (``-value`` for a decreasing metric), so one machine serves every
direction. A rep is: leave the rest zone (``s > rest``), reach ``count``,
come back into the rest zone. The gap between ``rest`` and ``count`` is the
hysteresis band: a signal hovering at either threshold cannot make phantom
reps, because a rep needs the whole band crossed twice.

No rep is counted until the rest position has been seen while the setup gate
holds (so walking in, picking up weights or a clip starting mid-rep counts
nothing), and a rep is dropped if the person is lost for longer than
``max_gap_s``, the gate fails, or it lasts longer than ``max_duration_s``.
"""

from __future__ import annotations

import enum
import math
from collections import deque
from dataclasses import dataclass, field

from .specs import Reps

REST_DWELL_S = 0.1
REST_MEMORY = 900  # rest-position samples kept to find where the movement began
BASELINE_WINDOW_S = 10.0  # relative thresholds: the resting value is read from this much history
BASELINE_MIN_S = 0.5


class State(enum.Enum):
    IDLE = "idle"  # not in position / start position not yet seen
    REST = "rest"  # in the start position, ready
    ACTIVE = "active"  # a rep in progress


@dataclass(frozen=True)
class RepEvent:
    """A finished excursion from rest. ``counted`` reps get an index from 1."""

    index: int | None
    counted: bool
    full: bool
    start_s: float
    end_s: float
    peak_s: float
    start_value: float
    peak_value: float
    rest_value: float  # the most-rested value before the rep (e.g. the straightest elbow)
    concentric_s: float
    eccentric_s: float
    hold_s: float


@dataclass
class RepCounter:
    cfg: Reps
    state: State = State.IDLE
    count: int = 0
    _sign: float = field(init=False)
    _since_s: float | None = None  # rest dwell / gap / gate-lost timers
    _last_ok_s: float | None = None
    _rest: deque[tuple[float, float]] = field(default_factory=lambda: deque(maxlen=REST_MEMORY))
    _samples: list[tuple[float, float]] = field(default_factory=list)
    _rest_value: float = math.nan
    _base: float = 0.0  # progress-scale baseline: 0 for absolute thresholds
    _base_hist: deque[tuple[float, float]] = field(default_factory=deque)

    def __post_init__(self) -> None:
        self._sign = 1.0 if self.cfg.direction == "increasing" else -1.0
        self._relative = self.cfg.baseline == "rest"

    def s(self, value: float) -> float:
        return self._sign * value

    @property
    def rest(self) -> float:
        return self._base + self._sign * self.cfg.rest

    @property
    def count_at(self) -> float:
        return self._base + self._sign * self.cfg.count

    @property
    def full_at(self) -> float:
        return self._base + self._sign * self.cfg.full

    def _update_baseline(self, t_s: float, s: float) -> bool:
        """Relative thresholds: the baseline is the person's own resting value (a low
        percentile of the last ``BASELINE_WINDOW_S`` outside reps). Returns whether
        enough history exists to use it."""
        self._base_hist.append((t_s, s))
        while t_s - self._base_hist[0][0] > BASELINE_WINDOW_S:
            self._base_hist.popleft()
        vals = sorted(v for _, v in self._base_hist)
        self._base = vals[int(0.2 * (len(vals) - 1))]
        return t_s - self._base_hist[0][0] >= BASELINE_MIN_S

    def progress(self, value: float) -> float:
        """0 at the rest threshold, 1 at the full-range threshold (clipped)."""
        if not math.isfinite(value):
            return math.nan
        return min(1.0, max(0.0, (self.s(value) - self.rest) / (self.full_at - self.rest)))

    def reset(self) -> None:
        self.state = State.IDLE
        self._since_s = None
        self._samples = []

    def in_top(self, value: float) -> bool:
        return self.state is State.ACTIVE and math.isfinite(value) and self.s(value) >= self.count_at

    def update(self, t_s: float, value: float, ready: bool) -> RepEvent | None:
        """Feed one frame; returns the excursion that ended on it, if any."""
        ok = ready and math.isfinite(value)
        if ok:
            self._last_ok_s = t_s
        elif self.state is not State.IDLE:
            if self._last_ok_s is None or t_s - self._last_ok_s > self.cfg.max_gap_s:
                self.reset()
            return None
        else:
            self._since_s = None
            return None

        s = self.s(value)
        if self._relative and self.state is not State.ACTIVE and not self._update_baseline(t_s, s):
            return None
        if self.state is State.IDLE:
            if s <= self.rest:
                if self._since_s is None:
                    self._since_s = t_s
                if t_s - self._since_s >= REST_DWELL_S:
                    self.state = State.REST
                    self._rest.clear()
                    self._rest.append((t_s, value))
            else:
                self._since_s = None
            return None

        if self.state is State.REST:
            if s <= self.rest:
                self._rest.append((t_s, value))
            else:
                self.state = State.ACTIVE
                self._samples = [self._movement_start(), (t_s, value)]
            return None

        # ACTIVE
        self._samples.append((t_s, value))
        if t_s - self._samples[0][0] > self.cfg.max_duration_s:
            self.reset()
            return None
        if s > self.rest:
            return None
        return self._finish(t_s, value)

    def _movement_start(self) -> tuple[float, float]:
        """Where the rep began: the last rest sample within ``hold_band`` of the
        deepest rest position (so ROM and concentric time include the whole pull)."""
        prog = [self.s(v) for _, v in self._rest]
        low = min(prog)
        self._rest_value = self._sign * low
        k = max(i for i, p in enumerate(prog) if p <= low + self.cfg.hold_band)
        return self._rest[k]

    def _finish(self, t_s: float, value: float) -> RepEvent | None:
        samples = self._samples
        self._samples = []
        self.state = State.REST
        self._rest.clear()
        self._rest.append((t_s, value))
        start_s, start_v = samples[0]
        prog = [self.s(v) for _, v in samples]
        k = max(range(len(prog)), key=prog.__getitem__)
        peak_s, peak_v = samples[k]
        band = self.cfg.hold_band
        near = [i for i, p in enumerate(prog) if p >= prog[k] - band]
        first, last = samples[near[0]][0], samples[near[-1]][0]
        duration = t_s - start_s
        reached = prog[k] >= self.count_at
        half = prog[k] >= (self.rest + self.count_at) / 2
        counted = reached and duration >= self.cfg.min_duration_s
        if not counted and not (half and duration >= self.cfg.min_duration_s):
            return None  # jitter near rest: not an attempt at all
        if counted:
            self.count += 1
        return RepEvent(
            index=self.count if counted else None,
            counted=counted,
            full=prog[k] >= self.full_at,
            start_s=start_s,
            end_s=t_s,
            peak_s=peak_s,
            start_value=start_v,
            peak_value=peak_v,
            rest_value=self._rest_value,
            concentric_s=first - start_s,
            eccentric_s=t_s - last,
            hold_s=last - first,
        )
