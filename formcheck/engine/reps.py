"""Rep counting that follows the person's own range: turning points with hysteresis.

*Count relatively, coach absolutely.* People under load rarely come back to
the same "rest" angle between reps, a 2D angle shifts with the view, a phone
is tilted: so no fixed level of the counted metric decides what a rep is.
The counter finds the signal's turning points instead. The counted metric is
mapped to a *progress* scale ``s`` that grows toward the contraction
(``-value`` for a decreasing metric). A rep is a rise from a low turning
point (the valley, where the rep starts) to a high one (the peak) and a fall
back, each at least ``A``:

* ``A = max(min_rom, RELATIVE * typical)``: ``min_rom`` is the spec's
  smallest movement that is a rep at all (a physical floor, so jitter never
  counts); ``typical`` is the median amplitude of the last reps of this set,
  so a set of big reps ignores half-hearted wobbles between them and a
  fatigued set keeps counting as the reps shorten.
* A peak is confirmed when the signal has fallen ``A`` below it: the rep is
  counted then. The rep *ends* where the fall settles (the next valley), and
  its record (:class:`RepEvent`) is emitted then. At the end of the stream a
  last rep lowered at least :data:`END_RETURN` of its rise counts too (a clip
  that stops late in the lowering).
* A clip that starts a moment before (or during) the first rep keeps that
  rep: its first frame is a valley like any other.
* Slow drift (a view that changes, a lifter who creeps back) never makes a
  rep: only excursions of ``A`` both ways do.

Every usable value feeds the turning points, in the start position or not;
``ready`` (the spec's start position holds) decides whether a rep counts: at
its peak and for most of it. So a rep that begins with the first frame of a
clip keeps its whole rise. Frames without a usable value (person lost,
landmarks out of frame) are gaps: up to ``max_gap_s`` they are bridged,
longer ones drop a rep in progress. A rep counts only if its counted metric
was measured on at least :data:`MEASURED_SHARE` of its frames: a "rep" pieced
together across many short gaps is the model guessing a joint at the frame's
edge, not evidence (on the labelled real clips every real rep is measured on
96-100 % of its frames). A rise and fall faster than
``min_duration_s`` is a tracking spike and is ignored; a rep slower than
``max_duration_s`` is not counted. A short median filter removes one- or
two-frame glitches first.

Coaching thresholds (``full``, ``full_rom``) do not decide the count; they
mark a counted rep ``full`` or not, for the ``partial_range`` fault. A rise of
at least ``ATTEMPT`` of ``A`` that falls back without reaching ``A`` is an
*attempt*, reported uncounted.
"""

from __future__ import annotations

import enum
import math
import statistics
from collections import deque
from dataclasses import dataclass, field
from typing import NamedTuple

from .specs import Reps

RELATIVE = 0.45  # of the typical rep amplitude: what a rep must rise and fall
TYPICAL_OF = 3  # reps the typical amplitude is the median of
ATTEMPT = 0.6  # of A: a rise this big that falls back uncounted is an attempt
MEDIAN_S = 0.2  # the glitch filter's window: removes spikes of up to a tenth of a second
SETTLE_S = 0.3  # after the fall, no new low for this long: the rep has ended
NEAR = 0.15  # of the amplitude: back "at" the valley (a rep in progress ends, an attempt is over)
START_NEAR = 0.05  # of the amplitude: a rep starts when the signal leaves this close to its valley
END_NEAR = 0.15  # of the amplitude: and ends when the lowering comes this close to its lowest point
END_RETURN = 0.5  # of its rise: at the end of the stream, a last rep lowered this far counts
READY_SHARE = 0.5  # of a rep's frames: the start position must hold this much of the rep
MEASURED_SHARE = 2 / 3  # of a rep's frames: the counted metric must be measured on this much of the rep


class State(enum.Enum):
    IDLE = "idle"  # no usable signal yet, or lost
    REST = "rest"  # between reps
    ACTIVE = "active"  # a rep in progress (from leaving the valley to its end)


class Sample(NamedTuple):
    t: float
    s: float  # progress scale
    value: float  # the metric (filtered)
    ready: bool  # the start position holds (conditions judged through the rep)
    start_ok: bool = True  # the conditions judged where a rep starts hold


@dataclass(frozen=True)
class RepEvent:
    """A finished excursion. ``counted`` reps get an index from 1."""

    index: int | None
    counted: bool
    full: bool
    start_s: float
    end_s: float
    peak_s: float
    start_value: float
    peak_value: float
    rest_value: float  # the valley the rep started from (e.g. the straightest elbow)
    valley_s: float  # when the signal was at that valley
    concentric_s: float
    eccentric_s: float
    hold_s: float


@dataclass
class _Rep:
    """A counted rep between its confirmation and its end (the fall settling)."""

    index: int
    start: Sample  # where it left the valley
    valley: Sample
    peak: Sample
    first_top: float
    last_top: float
    low: Sample  # the lowest point since the peak (the end valley so far)
    arrived: float  # when the fall last made a new low (to tell when it settles)
    fall: list[Sample] = field(default_factory=list)  # the samples since the peak

    @property
    def amplitude(self) -> float:
        return self.peak.s - self.valley.s


@dataclass
class RepCounter:
    cfg: Reps
    state: State = State.IDLE
    count: int = 0
    _sign: float = field(init=False)
    _win: deque[tuple[float, float]] = field(default_factory=deque)  # (t, s): the glitch filter's window
    _trace: list[Sample] = field(default_factory=list)  # since the valley
    _valley: Sample | None = None  # the low turning point the next rep rises from
    _high: Sample | None = None  # the highest point since the valley
    _pending: _Rep | None = None
    _amps: deque[float] = field(default_factory=lambda: deque(maxlen=TYPICAL_OF))
    _last_ok_s: float | None = None
    _missing: deque[float] = field(default_factory=deque)  # times of recent frames with no usable value

    def __post_init__(self) -> None:
        self._sign = 1.0 if self.cfg.direction == "increasing" else -1.0

    # ------------------------------------------------------------ thresholds
    def s(self, value: float) -> float:
        return self._sign * value

    @property
    def typical(self) -> float:
        """Typical amplitude of this set's reps (before any: a generous guess)."""
        return statistics.median(self._amps) if self._amps else 2.0 * self.cfg.min_rom

    @property
    def threshold(self) -> float:
        """``A``: how far a rep must rise from its valley and fall from its peak."""
        return max(self.cfg.min_rom, RELATIVE * self.typical) if self._amps else self.cfg.min_rom

    def progress(self, value: float) -> float:
        """0 at the current valley, 1 a typical amplitude above it (clipped)."""
        if not math.isfinite(value) or self._valley is None:
            return math.nan
        return min(1.0, max(0.0, (self.s(value) - self._valley.s) / self.typical))

    def in_top(self, value: float) -> bool:
        """Near the top of the rep in progress (for faults judged at the top)."""
        if self.state is not State.ACTIVE or not math.isfinite(value) or self._valley is None:
            return False
        return self.s(value) >= self._valley.s + max(self.cfg.min_rom, 0.6 * self.typical)

    # ----------------------------------------------------------------- input
    def reset(self) -> None:
        """Forget the rep in progress; the count and the set's typical amplitude stay."""
        self.state = State.IDLE
        self._win.clear()
        self._trace = []
        self._valley = self._high = None
        self._pending = None

    def _filtered(self, t_s: float, s: float) -> float:
        self._win.append((t_s, s))
        while self._win[0][0] < t_s - MEDIAN_S:
            self._win.popleft()
        return statistics.median(v for _, v in self._win)

    def update(self, t_s: float, value: float, ready: bool, start_ok: bool = True) -> RepEvent | None:
        """Feed one frame (``ready``: the start position holds; ``start_ok``: the conditions
        judged where a rep starts hold); returns a rep (or an attempt) that ended on it, if any."""
        if not math.isfinite(value):
            self._missing.append(t_s)
            while self._missing[0] < t_s - 2 * self.cfg.max_duration_s:
                self._missing.popleft()
            if self._last_ok_s is not None and t_s - self._last_ok_s > self.cfg.max_gap_s:
                ev = self._close_pending()
                self.reset()
                self._last_ok_s = None
                return ev
            return None
        self._last_ok_s = t_s
        s = self._filtered(t_s, self.s(value))
        x = Sample(t_s, s, self._sign * s, ready, start_ok)
        if self._valley is None or self._high is None:
            self._valley = self._high = x
            self._trace = [x]
            self.state = State.REST
            return None
        self._trace.append(x)
        if s > self._high.s:
            self._high = x
        if s < self._valley.s:  # lower than the valley before any rise of A: the valley moves down
            self._valley = self._high = x
            self._trace = [x]
        ev = self._follow_fall(x)
        a = self.threshold
        rise = self._high.s - self._valley.s
        if rise >= a and self._high.s - s >= a:  # rose A and fell A: the peak is confirmed
            ev = self._confirm(x) or ev
        elif rise >= ATTEMPT * a and s - self._valley.s <= NEAR * rise and self._pending is None:
            ev = self._attempt(x) or ev
        active = self._pending is not None or s - self._valley.s > NEAR * a
        self.state = State.ACTIVE if active else State.REST
        return ev

    # ------------------------------------------------------------ rep events
    def _start_of(self, valley: Sample, peak: Sample) -> Sample:
        """Where the rise to ``peak`` left the valley: the last sample near it."""
        near = valley.s + START_NEAR * (peak.s - valley.s)
        return next((r for r in reversed(self._trace) if r.t <= peak.t and r.s <= near), valley)

    def _confirm(self, x: Sample) -> RepEvent | None:
        """The peak since the valley is a rep: count it, then follow its fall to its end."""
        assert self._valley is not None and self._high is not None
        valley, peak, trace = self._valley, self._high, self._trace
        start = self._start_of(valley, peak)
        if x.t - start.t < self.cfg.min_duration_s:
            # up and down faster than any rep: a tracking spike, not a peak. Drop it and
            # go on from the same valley (the rep it sat on may still be under way)
            self._high = x
            return None
        prev = self._close_pending()
        low = min((r for r in trace if r.t >= peak.t), key=lambda r: r.s)
        # the next rep rises from the lowest point after this peak
        self._valley = self._high = low
        self._trace = [r for r in trace if r.t >= low.t]
        during = [r.ready for r in trace if start.t <= r.t <= x.t]
        in_position = peak.ready and sum(during) >= READY_SHARE * len(during) and valley.start_ok
        gaps = sum(1 for t in self._missing if start.t <= t <= x.t)
        measured = len(during) >= MEASURED_SHARE * (len(during) + gaps)
        if x.t - start.t > self.cfg.max_duration_s or not in_position or not measured:
            # a stall, not done from the start position, or mostly guessed: not a rep of this exercise
            return prev
        band = min(self.cfg.hold_band, 0.25 * (peak.s - valley.s))
        tops = [r.t for r in trace if r.s >= peak.s - band]
        self.count += 1
        self._pending = _Rep(
            self.count, start, valley, peak, tops[0], tops[-1], low, low.t, [r for r in trace if r.t >= peak.t]
        )
        return prev

    def _follow_fall(self, x: Sample) -> RepEvent | None:
        """Follow the fall of a counted rep until it settles: no new low for
        ``SETTLE_S``, or the next rise begins. The rep ends where it reached its low."""
        p = self._pending
        if p is None:
            return None
        p.fall.append(x)
        if x.s < p.low.s - 0.02 * p.amplitude:
            p.low, p.arrived = x, x.t
        elif x.s > p.low.s + NEAR * p.amplitude or x.t - p.arrived >= SETTLE_S:
            return self._close_pending()
        return None

    def _close_pending(self) -> RepEvent | None:
        p, self._pending = self._pending, None
        if p is None:
            return None
        # the set's typical amplitude learns from the smaller side of the rep: a first
        # rise from where the person got into position (or a landmark that jumped as
        # they came into view) is not how far their reps go
        self._amps.append(min(p.amplitude, p.peak.s - p.low.s))
        # the rep ends where the lowering reached (within NEAR of) its lowest point
        end = next((r.t for r in p.fall if r.s <= p.low.s + END_NEAR * p.amplitude), p.arrived)
        return RepEvent(
            index=p.index,
            counted=True,
            full=self._reaches_full(p.peak.value, p.amplitude),
            start_s=p.start.t,
            end_s=end,
            peak_s=p.peak.t,
            start_value=p.start.value,
            peak_value=p.peak.value,
            rest_value=p.valley.value,
            valley_s=p.valley.t,
            concentric_s=max(0.0, p.first_top - p.start.t),
            eccentric_s=max(0.0, end - p.last_top),
            hold_s=max(0.0, p.last_top - p.first_top),
        )

    def _attempt(self, x: Sample) -> RepEvent | None:
        """A rise that came back before reaching ``A``: reported, not counted."""
        assert self._valley is not None and self._high is not None
        start, peak = self._start_of(self._valley, self._high), self._high
        valley = self._valley
        self._valley = self._high = x
        self._trace = [x]
        if x.t - start.t < self.cfg.min_duration_s or not peak.ready:
            return None
        return RepEvent(
            None,
            False,
            False,
            start.t,
            x.t,
            peak.t,
            start.value,
            peak.value,
            valley.value,
            valley.t,
            peak.t - start.t,
            x.t - peak.t,
            0.0,
        )

    def _reaches_full(self, peak_value: float, amplitude: float) -> bool:
        ok = True
        if self.cfg.full is not None:
            ok = self.s(peak_value) >= self.s(self.cfg.full)
        if self.cfg.full_rom is not None:
            ok = ok and amplitude >= self.cfg.full_rom
        return ok

    def flush(self) -> RepEvent | None:
        """End of the stream: a counted rep still falling ends where the signal was lowest,
        and a last rep that rose ``A`` and was lowered at least :data:`END_RETURN` of that
        rise (the clip stops late in the lowering) counts."""
        ev = self._close_pending()
        if ev is not None or self._valley is None or self._high is None or not self._trace:
            return ev
        a, last = self.threshold, self._trace[-1]
        rise = self._high.s - self._valley.s
        if rise >= a and self._high.s - last.s >= END_RETURN * rise:
            self._confirm(last)
            return self._close_pending()
        return None
