"""The engine: one causal, frame-by-frame analyser used by live, file and batch.

``Analyzer(spec, width, height).update(frame)`` takes one
:class:`~formcheck.landmarks.PoseFrame` at a time and returns a
:class:`FrameState` (what to draw and say now); ``result()`` gives the
:class:`AnalysisResult` for everything fed so far. Nothing here touches
video, mediapipe or the UI.

Per frame: smooth the landmarks (One Euro), mark usable landmarks, track the
camera view and the sides, compute the spec's metrics, test the setup gate,
step the rep counter, and step each threshold fault's debouncer. At the end
of a rep, the rep-level checks (range, change, hold, partial range) run on
the rep's own samples.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace

import numpy as np

from .filters import OneEuroFilter
from .landmarks import Landmark, PoseFrame
from .metrics import FrameContext, back_shape, frame_metrics, max_side, spec_landmarks, usable, where_on_back
from .reps import RepCounter, RepEvent, State
from .specs import (
    AlternationFault,
    ExerciseSpec,
    HoldFault,
    PartialRangeFault,
    RepChangeFault,
    RepRangeFault,
    RepValueFault,
    ThresholdFault,
)
from .views import ViewTracker

CUE_HOLD_S = 2.0
MIN_WARNING_S = 0.3
WARNING_MERGE_S = 0.5
WORKING_SIDE_MARGIN = 1.3  # the other arm must move this much more to take over
GATE_WINDOW_S = 0.8  # the start position is judged on this much of the recent past
START_WINDOW_S = 0.2  # conditions judged where a rep starts: on about that moment
LEAD_IN_S = 1.0  # a rep's start position is judged on this much before it leaves its valley


@dataclass
class FaultEvent:
    id: str
    message: str
    severity: str
    start_s: float
    end_s: float
    rep: int | None = None
    value: float | None = None
    detail: str | None = None


@dataclass
class WarningEvent:
    id: str
    message: str
    start_s: float
    end_s: float


@dataclass
class RepRecord:
    index: int
    start_s: float
    end_s: float
    peak_s: float
    rom: float
    rom_unit: str
    full_range: bool
    concentric_s: float
    eccentric_s: float
    hold_s: float
    side: str
    metrics: dict[str, dict[str, float | None]]
    faults: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        d = asdict(self)
        d[f"rom_{self.rom_unit}"] = _r(d.pop("rom"))
        d.pop("rom_unit")
        for k in ("start_s", "end_s", "peak_s", "concentric_s", "eccentric_s", "hold_s"):
            d[k] = _r(d[k], 3)
        return d


@dataclass
class FrameState:
    """What the engine concludes about one frame (drawn live and on annotated video)."""

    t_s: float
    has_person: bool
    view: str
    side: str
    ready: bool
    state: str
    rep_count: int
    progress: float
    values: dict[str, float]
    display: list[tuple[str, float, str]]
    cue: str | None
    faults_now: list[str]
    guidance: str | None
    frame: PoseFrame


def _r(x: float | None, nd: int = 1) -> float | None:
    if x is None or not math.isfinite(x):
        return None
    return round(float(x), nd)


class _Debounce:
    """Opens after the condition holds ``min_s`` without a break; records the event."""

    def __init__(self, min_s: float) -> None:
        self.min_s = min_s
        self.run_start: float | None = None
        self.last_true: float | None = None
        self.open = False
        self.extreme: float | None = None
        self.detail: str | None = None

    def step(
        self, t: float, cond: bool, value: float, above: bool, detail: str | None = None
    ) -> tuple[float, float, float] | None:
        """Returns ``(start, end, extreme)`` when an opened event closes."""
        if cond:
            if self.run_start is None or self.extreme is None:
                self.run_start, self.extreme, self.detail = t, value, detail
            elif (value > self.extreme) if above else (value < self.extreme):
                self.extreme, self.detail = value, detail
            self.last_true = t
            if not self.open and t - self.run_start >= self.min_s:
                self.open = True
            return None
        return self.close()

    def close(self) -> tuple[float, float, float] | None:
        ev = None
        if self.open and self.run_start is not None and self.last_true is not None:
            ev = (self.run_start, self.last_true, float(self.extreme))  # type: ignore[arg-type]
        self.run_start = self.last_true = self.extreme = None
        self.open = False
        return ev


INSTANT_WARNINGS = frozenset({"cut"})  # kept however short
CUT_SPEED = 8.0  # torso lengths per second: faster than any body moves in these exercises
CUT_SCALE = 1.5  # the torso growing or shrinking this much from one frame to the next


class CutDetector:
    """Spots edits from the landmarks alone: the body jumping (position or size)
    faster than a person can move between two consecutive frames."""

    _IDX = [11, 12, 23, 24]  # shoulders and hips: the most stable landmarks

    def __init__(self) -> None:
        self._prev: tuple[float, np.ndarray, float] | None = None

    def step(self, frame: PoseFrame) -> bool:
        if not frame.has_person:
            return False
        pts = frame.xy[self._IDX].astype(np.float64)
        if not np.all(np.isfinite(pts)):
            return False
        torso = float(np.linalg.norm((pts[0] + pts[1]) / 2 - (pts[2] + pts[3]) / 2))
        prev, self._prev = self._prev, (frame.t_s, pts, torso)
        if prev is None or torso <= 1.0 or prev[2] <= 1.0:
            return False
        dt = max(frame.t_s - prev[0], 1e-3)
        if dt > 0.5:
            return False  # after a gap anything may have happened; the counter handles gaps
        speed = float(np.median(np.linalg.norm(pts - prev[1], axis=1))) / max(torso, prev[2]) / dt
        scale = max(torso, prev[2]) / min(torso, prev[2])
        return speed > CUT_SPEED or scale > CUT_SCALE

    def rescale(self, sx: float, sy: float) -> None:
        """The previous frame in the new pixel size (see :meth:`Analyzer.rescale`)."""
        if self._prev is not None:
            t, pts, _ = self._prev
            pts = pts * np.array([sx, sy])
            torso = float(np.linalg.norm((pts[0] + pts[1]) / 2 - (pts[2] + pts[3]) / 2))
            self._prev = (t, pts, torso)


class _Ranges:
    """Turns per-frame flags into merged time ranges."""

    def __init__(self) -> None:
        self.open: dict[str, tuple[float, float, str]] = {}
        self.done: list[WarningEvent] = []

    def step(self, t: float, flags: dict[str, str]) -> None:
        for key, msg in flags.items():
            if key in self.open:
                s, _, _ = self.open[key]
                self.open[key] = (s, t, msg)
            else:
                self.open[key] = (t, t, msg)
        for key in [k for k, (_, last, _) in self.open.items() if k not in flags and t - last > WARNING_MERGE_S]:
            self._close(key)

    def _close(self, key: str) -> None:
        s, e, msg = self.open.pop(key)
        if e - s >= MIN_WARNING_S or key in INSTANT_WARNINGS:
            self.done.append(WarningEvent(key.split(":")[0], msg, s, e))

    def finish(self) -> list[WarningEvent]:
        for key in list(self.open):
            self._close(key)
        return sorted(self.done, key=lambda w: (w.start_s, w.id))


@dataclass
class AnalysisResult:
    spec: ExerciseSpec
    reps: list[RepRecord]
    faults: list[FaultEvent]
    warnings: list[WarningEvent]
    view: str
    side: str
    frames: int
    frames_with_pose: int
    duration_s: float


class Analyzer:
    """Causal engine for one exercise on one stream of frames."""

    def __init__(self, spec: ExerciseSpec, width: int, height: int) -> None:
        self.spec = spec
        self.width, self.height = width, height
        diag = math.hypot(width, height)
        self._f_xy = OneEuroFilter(min_cutoff_hz=1.5, beta=0.5, scale=diag)
        self._f_world = OneEuroFilter(min_cutoff_hz=1.5, beta=0.5, scale=1.0)
        self._views = ViewTracker()
        self.counter = RepCounter(spec.reps)
        self._gate_since: float | None = None
        self._gate_values: dict[str, deque[tuple[float, float]]] = {}  # (t, value or NaN) per condition
        self._ready = False
        # one debouncer per threshold entry (by its index in spec.faults: a fault id may have several)
        self._deb = {i: _Debounce(f.min_duration_s) for i, f in enumerate(spec.faults) if isinstance(f, ThresholdFault)}
        self._threshold_ids = frozenset(spec.faults[i].id for i in self._deb)
        self._warn = _Ranges()
        self._faults: list[FaultEvent] = []
        self._reps: list[RepRecord] = []
        self._history: deque[tuple[float, dict[str, float], frozenset[str]]] = deque()
        self._rep_metric = spec.metrics[spec.reps.metric]
        self._side_metric = spec.metrics[spec.side_metric] if spec.side_metric else None
        self._moving_side: deque[tuple[float, str | None]] = deque()
        self._view_counts: Counter[str] = Counter()
        self._side_counts: Counter[str] = Counter()
        self._frames = 0
        self._with_pose = 0
        self._t0: float | None = None
        self._t_last = 0.0
        self._cue: tuple[str, float] | None = None
        self._wrist_track: dict[str, list[float]] = {"left": [], "right": []}
        self._working = "left"
        self._side_frames = 0
        self._needed = np.array(sorted(spec_landmarks(spec)), dtype=int)
        self._judge_by_view: dict[str, frozenset[str]] = {}
        self._cuts = CutDetector()

    def rescale(self, width: int, height: int) -> None:
        """Go on with frames of another size (a live camera lowering or raising its
        resolution, or another camera): the pixel-space state (the landmark smoothing,
        the cut detector's last frame, the image bounds) is carried over to the new
        size; counts, reps, faults and everything measured in angles, torso lengths or
        seconds are kept as they are."""
        if (width, height) == (self.width, self.height):
            return
        sx, sy = width / self.width, height / self.height
        self._f_xy.rescale(np.array([sx, sy]), scale=math.hypot(width, height))
        self._cuts.rescale(sx, sy)
        self.width, self.height = width, height

    # ----------------------------------------------------------------- helpers
    def _judgeable_metrics(self, view: str) -> frozenset[str]:
        """Metrics that can be judged from ``view`` (fixed per view, so cached)."""
        if view not in self._judge_by_view:
            self._judge_by_view[view] = frozenset(n for n, m in self.spec.metrics.items() if view in m.valid_views)
        return self._judge_by_view[view]

    def _update_working_side(self, frame: PoseFrame, ok: np.ndarray, near: str) -> str:
        if not self.spec.unilateral:
            return near
        for side in ("left", "right"):
            w = Landmark[f"{side.upper()}_WRIST"]
            s = Landmark[f"{side.upper()}_SHOULDER"]
            if ok[w] and ok[s]:
                tr = self._wrist_track[side]
                tr.append(float(frame.world[w, 1] - frame.world[s, 1]))
                if len(tr) > 600:
                    del tr[:100]

        def spread(side: str) -> float:
            tr = self._wrist_track[side]
            if len(tr) < 10:
                return 0.0
            lo, hi = np.percentile(tr, [5, 95])
            return float(hi - lo)

        self._side_frames += 1
        if self._side_frames % 5:  # the wrists' ranges change slowly: judged every fifth frame
            return self._working
        cur, other = self._working, "right" if self._working == "left" else "left"
        s_cur, s_other = spread(cur), spread(other)
        if s_other > WORKING_SIDE_MARGIN * s_cur and s_other > 0.05:
            self._working = other
        elif s_cur == 0.0 and s_other == 0.0:
            self._working = near
        return self._working

    # ------------------------------------------------------------------ update
    def update(self, frame: PoseFrame) -> FrameState:
        spec = self.spec
        t = frame.t_s
        if self._t0 is None:
            self._t0 = t
        self._t_last = t
        self._frames += 1
        cut = self._cuts.step(frame)
        if cut:
            # an edit: another shot, or the same person somewhere else. The smoothing
            # and the view start again; the counter keeps going, so a rep that was
            # lifted in one shot and lowered in the next still counts (it needs its
            # whole rise and fall, so a jump at the cut alone cannot make one)
            self._f_xy.reset()
            self._f_world.reset()
            self._views = ViewTracker()
        xy = self._f_xy(t, frame.xy)
        world = self._f_world(t, frame.world)
        f = PoseFrame(t_s=t, xy=xy.astype(np.float32), vis=frame.vis, world=world.astype(np.float32), back=frame.back)
        flags: dict[str, str] = {"cut": "Cut or jump in the video (a new shot, or the tracker moved)"} if cut else {}
        if frame.people >= 2:
            flags["more_people"] = (
                f"{frame.people} people in view: following the one who stays biggest and most central"
            )
        if not f.has_person:
            flags["no_person"] = "No person detected"
            self._warn.step(t, flags)
            self._step_counter(t, math.nan, {}, frozenset())
            return self._state(f, {}, "Step into the frame so your whole body is visible")
        self._with_pose += 1
        ok = usable(frame, self.width, self.height)  # raw positions: the filter lags at the edge
        view = self._views.update(f)
        near = self._views.near_side
        working = self._update_working_side(f, ok, near)
        ctx = FrameContext(view=view, near_side=near, working_side=working, usable=ok)
        values = frame_metrics(spec, f, ctx)
        if self._side_metric is not None:  # which side moves: the rep's side is the larger one at its peak
            self._moving_side.append((t, max_side(self._side_metric, f, ctx)))
            while self._moving_side and t - self._moving_side[0][0] > spec.reps.max_duration_s + 2.0:
                self._moving_side.popleft()
        self._view_counts[view] += 1
        self._side_counts[
            working if spec.unilateral else (near if view.startswith(("side", "oblique")) else "both")
        ] += 1

        # where the person is only partly seen
        needed = self._needed
        x, y = frame.xy[needed, 0], frame.xy[needed, 1]
        with np.errstate(invalid="ignore"):
            outside = (x < 0) | (x > self.width) | (y < 0) | (y > self.height)
        guidance = None
        if outside.any():
            names = ", ".join(
                sorted({Landmark(needed[i]).name.lower().split("_", 1)[-1] for i in np.flatnonzero(outside)})
            )
            flags["out_of_frame"] = f"Person partly out of frame ({names})"
            guidance = "Move back so your whole body is in the frame"
        elif np.mean(f.vis[needed] < 0.5) > 0.25:
            flags["low_visibility"] = "Low landmark confidence (occluded or unclear body parts)"
        judge = self._judgeable_metrics(view)
        if spec.reps.metric not in judge or view not in spec.preferred_views:
            guidance = guidance or f"Camera: {spec.view_advice}"
        for fa in spec.faults:
            m = getattr(fa, "metric", None)
            if m is not None and m not in judge:
                flags[f"view_unsuited:{fa.id}"] = f"{fa.id} cannot be judged from a {view} view"
        for name, m in spec.metrics.items():
            if m.kind == "back_curvature" and name in judge and not math.isfinite(values[name]):
                if f.back is None:
                    flags["back_not_measured"] = "Back outline not available (landmarks without a segmentation mask)"
                else:
                    flags["back_not_traced"] = (
                        "Back outline not measurable (mask unclear, or arms/equipment over the back)"
                    )

        # setup gate: a condition whose landmarks are out of frame or unclear is not
        # judged (people film upper-body exercises from the waist up), not failed
        gate = start_ok = True
        for c in spec.setup.conditions:
            # through a rep: where the body is, not one frame's jitter; at its start: that moment
            v = self._steady(c.metric, t, values[c.metric], GATE_WINDOW_S if c.at == "rep" else START_WINDOW_S)
            if c.metric not in judge:
                continue
            if not math.isfinite(v):
                flags[f"not_judged:{c.metric}"] = (
                    f"Start position not checked on '{spec.metrics[c.metric].label or c.metric}': "
                    "its body parts are out of frame or unclear"
                )
                continue
            if not c.holds(v):
                if c.at == "rep":
                    gate = False
                else:
                    start_ok = False
        if gate:
            if self._gate_since is None:
                self._gate_since = t
            self._ready = t - self._gate_since >= spec.setup.min_duration_s
        else:
            self._gate_since = None
            self._ready = False
        self._warn.step(t, flags)
        if not self._ready and guidance is None:
            guidance = "Get into the start position"
        self._step_counter(t, values[spec.reps.metric], values, judge, gate, start_ok)
        self._step_faults(t, values, judge, lambda: where_on_back(back_shape(f, ctx)[1]) or None)
        return self._state(f, values, guidance, view=view, side=working if spec.unilateral else near)

    def _steady(self, metric: str, t: float, v: float, window_s: float) -> float:
        """The median of ``metric`` over the last ``window_s``, or NaN (not judged) unless
        it was usable on at least half of those frames: body parts glimpsed now and then
        at the frame's edge are guesses, not where the body is."""
        win = self._gate_values.setdefault(f"{metric}:{window_s}", deque())
        win.append((t, v))
        while win[0][0] < t - window_s:
            win.popleft()
        seen = [x for _, x in win if math.isfinite(x)]
        return statistics.median(seen) if len(seen) >= 0.5 * len(win) else math.nan

    def _step_counter(
        self,
        t: float,
        value: float,
        values: dict[str, float],
        judge: frozenset[str],
        in_position: bool = False,
        start_ok: bool = False,
    ) -> None:
        if values:
            self._history.append((t, values, judge))
            horizon = self.spec.reps.max_duration_s + 2.0
            while self._history and t - self._history[0][0] > horizon:
                self._history.popleft()
        ev = self.counter.update(t, value, in_position, start_ok)
        if ev is not None:
            self._on_rep(ev, [h for h in self._history if ev.start_s <= h[0] <= ev.end_s])

    def _phase_ok(self, phase: str, t: float, values: dict[str, float]) -> bool:
        st = self.counter.state
        if phase == "set":
            return self._ready
        if not self._ready:  # out of the start position nothing is a rep of this exercise
            return False
        if phase == "bottom":
            return st is State.REST
        if phase == "rep":
            return st is State.ACTIVE
        return self.counter.in_top(values.get(self.spec.reps.metric, math.nan))

    def _step_faults(
        self, t: float, values: dict[str, float], judge: frozenset[str], back_where: Callable[[], str | None]
    ) -> None:
        view = self._views.view
        for i, fa in enumerate(self.spec.faults):
            if not isinstance(fa, ThresholdFault):
                continue
            v = values.get(fa.metric, math.nan)
            above = fa.above is not None and (fa.below is None or v > fa.above)
            cond = (
                fa.metric in judge
                and fa.judged_in(view)
                and math.isfinite(v)
                and self._phase_ok(fa.during, t, values)
                and fa.violated(v)
            )
            deb = self._deb[i]
            detail = back_where() if cond and self.spec.metrics[fa.metric].kind == "back_curvature" else None
            closing_detail = deb.detail
            ev = deb.step(t, cond, v, above, detail)
            if deb.open:
                self._cue = (fa.message + (f" ({deb.detail})" if deb.detail else ""), t)
            if ev is not None:
                self._faults.append(
                    FaultEvent(fa.id, fa.message, fa.severity, ev[0], ev[1], value=ev[2], detail=closing_detail)
                )

    # ------------------------------------------------------------------- reps
    def _on_rep(self, ev: RepEvent, samples: list[tuple[float, dict[str, float], frozenset[str]]]) -> None:
        spec = self.spec
        side = self._working if spec.unilateral else self._views.near_side
        if self._side_metric is not None:
            raised = [s for t, s in self._moving_side if t <= ev.peak_s and s is not None]
            side = raised[-1] if raised else "unknown"
        if not ev.counted:
            return  # an attempt that fell back: not a rep, and on its own not a fault either
        idx = ev.index
        assert idx is not None
        metrics: dict[str, dict[str, float | None]] = {}
        for name in spec.rep_metrics:
            arr = np.array([v[name] for _, v, _ in samples], dtype=float)
            at_peak = [v[name] for t, v, _ in samples if abs(t - ev.peak_s) < 1e-9]
            fin = arr[np.isfinite(arr)]
            metrics[name] = {
                "mean": _r(float(fin.mean())) if len(fin) else None,
                "min": _r(float(fin.min())) if len(fin) else None,
                "max": _r(float(fin.max())) if len(fin) else None,
                "at_peak": _r(at_peak[0]) if at_peak else None,
            }
        rec = RepRecord(
            index=idx,
            start_s=ev.start_s,
            end_s=ev.end_s,
            peak_s=ev.peak_s,
            rom=abs(ev.peak_value - ev.start_value),
            rom_unit=spec.metrics[spec.reps.metric].unit,
            full_range=ev.full,
            concentric_s=ev.concentric_s,
            eccentric_s=ev.eccentric_s,
            hold_s=ev.hold_s,
            side=side,
            metrics=metrics,
        )
        previous = self._reps[-1] if self._reps else None
        self._reps.append(rec)
        for fa in spec.faults:
            if isinstance(fa, AlternationFault) and previous is not None and previous.side == side != "unknown":
                self._add_rep_fault(fa.id, fa.message, fa.severity, ev, idx, None)
            elif isinstance(fa, PartialRangeFault) and not ev.full and fa.judged_in(self._views.view):
                self._add_rep_fault(fa.id, fa.message, fa.severity, ev, idx, ev.peak_value)
            elif isinstance(fa, HoldFault) and ev.hold_s < fa.min_s:
                self._add_rep_fault(fa.id, fa.message, fa.severity, ev, idx, ev.hold_s)
            elif isinstance(fa, (RepRangeFault, RepChangeFault, RepValueFault)):
                val = self._rep_measure(fa, ev, samples)
                bad = val is not None and (val > fa.max if isinstance(fa, RepRangeFault) else fa.violated(val))
                if bad:
                    self._add_rep_fault(fa.id, fa.message, fa.severity, ev, idx, val)

    def _rep_measure(self, fa: RepRangeFault | RepChangeFault | RepValueFault, ev: RepEvent, samples) -> float | None:
        pts = [(t, v[fa.metric]) for t, v, j in samples if fa.metric in j and math.isfinite(v[fa.metric])]
        if len(pts) < max(3, 0.6 * len(samples)):
            return None
        vals = np.array([v for _, v in pts])
        if isinstance(fa, RepRangeFault):
            lo, hi = np.percentile(vals, [5, 95])
            return float(hi - lo)
        # the rep's start is where the counted metric was most rested before it (its valley)
        if fa.metric == self.spec.reps.metric:
            start = ev.rest_value
        else:
            at_valley = [
                v[fa.metric]
                for t, v, j in self._history
                if abs(t - ev.valley_s) <= 0.1 and fa.metric in j and math.isfinite(v[fa.metric])
            ]
            start = float(np.median(at_valley)) if at_valley else float(np.median(vals[:3]))
        if isinstance(fa, RepValueFault) and fa.at == "start":
            if fa.metric == self.spec.reps.metric:
                return start
            # at the start: the best the person reached between the previous rep and this one
            # (did the arms straighten at the bottom at all), robust to a one-frame spike
            prev_end = self._reps[-2].end_s if len(self._reps) >= 2 else -math.inf
            t0 = max(ev.valley_s - LEAD_IN_S, prev_end)
            lead = [
                v[fa.metric]
                for t, v, j in self._history
                if t0 <= t <= ev.start_s + 0.1 and fa.metric in j and math.isfinite(v[fa.metric])
            ]
            if not lead:
                return start
            return float(np.percentile(lead, 90 if fa.below is not None else 10))
        near_peak = [v for t, v in pts if abs(t - ev.peak_s) <= 0.15]
        if not near_peak:
            return None
        peak = float(np.median(near_peak))
        return peak if isinstance(fa, RepValueFault) else peak - start

    def _add_rep_fault(self, fid: str, msg: str, sev: str, ev: RepEvent, idx: int | None, value: float | None) -> None:
        self._faults.append(FaultEvent(fid, msg, sev, ev.start_s, ev.end_s, rep=idx, value=value))
        self._cue = (msg, ev.end_s)

    # ----------------------------------------------------------------- output
    def _state(
        self,
        f: PoseFrame,
        values: dict[str, float],
        guidance: str | None,
        view: str | None = None,
        side: str | None = None,
    ) -> FrameState:
        spec = self.spec
        cue = None
        if self._cue and f.t_s - self._cue[1] <= CUE_HOLD_S:
            cue = self._cue[0]
        faults_now = list(dict.fromkeys(spec.faults[i].id for i, d in self._deb.items() if d.open))
        display = []
        for name in spec.display or (spec.reps.metric,):
            m = spec.metrics[name]
            display.append((m.label or name, values.get(name, math.nan), m.unit))
        return FrameState(
            t_s=f.t_s,
            has_person=f.has_person,
            view=view or self._views.view,
            side=side or self._views.near_side,
            ready=self._ready,
            state=self.counter.state.value,
            rep_count=self.counter.count,
            progress=self.counter.progress(values.get(spec.reps.metric, math.nan)),
            values=values,
            display=display,
            cue=cue,
            faults_now=faults_now,
            guidance=guidance,
            frame=f,
        )

    def new_set(self) -> None:
        """Start counting again from zero (live 'new set' control)."""
        self.counter = RepCounter(self.spec.reps)

    @property
    def reps(self) -> list[RepRecord]:
        """Counted reps so far (live display)."""
        return list(self._reps)

    def fault_counts(self) -> Counter[str]:
        """Fault ids seen so far, including ones still open (live display)."""
        c = Counter(f.id for f in self._faults)
        c.update({self.spec.faults[i].id for i, d in self._deb.items() if d.open})
        return c

    def result(self) -> AnalysisResult:
        """Everything so far. Closes open faults; call once at the end of a stream."""
        last = self.counter.flush()  # a counted rep still settling ends here
        if last is not None:
            self._on_rep(last, [h for h in self._history if last.start_s <= h[0] <= last.end_s])
        for i, d in self._deb.items():
            ev = d.close()
            if ev is not None:
                fa = self.spec.faults[i]
                self._faults.append(
                    FaultEvent(fa.id, fa.message, fa.severity, ev[0], ev[1], value=ev[2], detail=d.detail)
                )
        faults: list[FaultEvent] = []
        for fe in self._faults:
            faults.extend(_split_by_reps(fe, self._reps) if fe.id in self._threshold_ids else [fe])
        self._faults = sorted(faults, key=lambda e: (e.start_s, e.id))
        for rec in self._reps:
            rec.faults = sorted({fe.id for fe in self._faults if fe.rep == rec.index})
        warnings = self._warn.finish()
        if self._with_pose == 0:
            warnings = [WarningEvent("no_person", "No person detected in any frame", self._t0 or 0.0, self._t_last)]
        view = self._view_counts.most_common(1)[0][0] if self._view_counts else "unknown"
        side = self._side_counts.most_common(1)[0][0] if self._side_counts else "unknown"
        return AnalysisResult(
            spec=self.spec,
            reps=list(self._reps),
            faults=list(self._faults),
            warnings=warnings,
            view=view,
            side=side,
            frames=self._frames,
            frames_with_pose=self._with_pose,
            duration_s=(self._t_last - (self._t0 or 0.0)),
        )


def _split_by_reps(fe: FaultEvent, reps: list[RepRecord]) -> list[FaultEvent]:
    """One event per counted rep it overlaps (so every rep carries its faults);
    an event that overlaps no rep stays whole with ``rep = None``."""
    parts = [
        replace(fe, start_s=max(fe.start_s, r.start_s), end_s=min(fe.end_s, r.end_s), rep=r.index)
        for r in reps
        if min(fe.end_s, r.end_s) >= max(fe.start_s, r.start_s)
    ]
    return parts or [fe]
