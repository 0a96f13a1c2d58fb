"""Per-frame metric values for a spec's named metrics.

Pure numpy on one frame's landmarks. Each metric kind maps to a function of
the resolved landmark coordinates; a metric is NaN when any landmark it needs
is unusable (low visibility, or outside the image: MediaPipe reports high
visibility for guessed points beyond the frame edge).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import geometry as geo
from .landmarks import Landmark, PoseFrame, resolve
from .silhouette import back_curvature
from .specs import ExerciseSpec, Metric

MIN_VISIBILITY = 0.5
EDGE_MARGIN_PX = 2.0


def usable(frame: PoseFrame, width: int, height: int) -> np.ndarray:
    """``(33,) bool``: landmark seen with confidence and lying inside the image."""
    x, y = frame.xy[:, 0], frame.xy[:, 1]
    with np.errstate(invalid="ignore"):
        inside = (
            (x >= -EDGE_MARGIN_PX)
            & (x <= width + EDGE_MARGIN_PX)
            & (y >= -EDGE_MARGIN_PX)
            & (y <= height + EDGE_MARGIN_PX)
        )
    return inside & (frame.vis >= MIN_VISIBILITY) & np.isfinite(x)


@dataclass(frozen=True)
class FrameContext:
    """What the engine knows about the frame beyond its landmarks."""

    view: str  # side_left | side_right | front | back | oblique | unknown
    near_side: str  # left | right: the side used for one-sided measures
    working_side: str  # left | right: the moving arm of a unilateral exercise
    usable: np.ndarray  # (33,) bool


def _sides(metric: Metric, ctx: FrameContext) -> tuple[str, ...]:
    if metric.side in ("left", "right"):
        return (metric.side,)
    if metric.side == "working":
        return (ctx.working_side,)
    if metric.side in ("both", "max", "diff"):
        return ("left", "right")
    if ctx.view in ("front", "back", "unknown"):
        return ("left", "right")
    return (ctx.near_side,)


def _torso_len(p: np.ndarray) -> float:
    ms = (p[Landmark.LEFT_SHOULDER] + p[Landmark.RIGHT_SHOULDER]) / 2
    mh = (p[Landmark.LEFT_HIP] + p[Landmark.RIGHT_HIP]) / 2
    return float(geo.distance(ms, mh))


def _one(kind: str, pts: list[np.ndarray], p: np.ndarray) -> float:
    if kind == "joint_angle":
        return float(geo.joint_angle(*pts))
    if kind == "elevation":
        return float(geo.elevation(*pts))
    if kind == "head_drop":
        hip, sh, ear = pts
        return float(geo.elevation(hip, sh) - geo.elevation(sh, ear))
    if kind == "line_offset":
        a, b, c = pts  # + when b sits above the line from a to c (as an angle seen from a)
        return float(geo.elevation(a, b) - geo.elevation(a, c))
    if kind == "distance":
        tl = _torso_len(p)
        return float(geo.distance(*pts) / tl) if tl > 0 else float("nan")
    if kind == "distance_shoulders":
        sw = float(geo.distance(p[Landmark.LEFT_SHOULDER], p[Landmark.RIGHT_SHOULDER]))
        return float(geo.distance(*pts) / sw) if sw > 0 else float("nan")
    if kind == "lean":
        f = geo.forward_dir(p[Landmark.LEFT_SHOULDER], p[Landmark.RIGHT_SHOULDER])
        return float(geo.lean(pts[0], pts[1], f))
    if kind == "arm_lateral":
        return float(geo.lateral_angle(pts[0], pts[1], p[Landmark.LEFT_SHOULDER], p[Landmark.RIGHT_SHOULDER]))
    raise ValueError(f"unknown metric kind {kind}")  # pragma: no cover (validated in specs)


_NEEDS_SHOULDERS = {"lean", "arm_lateral", "distance_shoulders"}
_NEEDS_TORSO = {"distance"}
_TORSO = (Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER, Landmark.LEFT_HIP, Landmark.RIGHT_HIP)


def back_shape(frame: PoseFrame, ctx: FrameContext) -> tuple[float, float]:
    """``(curvature %, where)`` of the traced back on the near side (see :mod:`formcheck.silhouette`)."""
    nan = (float("nan"), float("nan"))
    if frame.back is None:
        return nan
    sh, hip = resolve("shoulder", ctx.near_side), resolve("hip", ctx.near_side)
    if not (ctx.usable[sh] and ctx.usable[hip]):
        return nan
    return back_curvature(frame.back, frame.xy[sh], frame.xy[hip])


def where_on_back(where: float) -> str:
    """Words for a position along the back (0 = hips, 1 = shoulders)."""
    if not where == where:  # NaN
        return ""
    return "lower back" if where < 0.4 else ("upper back" if where > 0.6 else "mid back")


def _twist(frame: PoseFrame, ctx: FrameContext) -> dict[str, float]:
    """The turn toward each side: ``{"left": a, "right": -a}``, ``a`` the signed twist."""
    if not all(ctx.usable[i] for i in _TORSO):
        return {}
    a = float(geo.twist(*(frame.world[i] for i in _TORSO)))  # LS, RS, LH, RH
    return {"left": a, "right": -a}


def metric_value(metric: Metric, frame: PoseFrame, ctx: FrameContext) -> float:
    """Value of one metric on one frame (NaN when it cannot be measured).

    Per-side values are averaged, except ``side = "max"``: the larger one (the raised limb).
    """
    if metric.kind == "back_curvature":
        return back_shape(frame, ctx)[0]
    per_side = {s: v for s, v in side_values(metric, frame, ctx).items() if np.isfinite(v)}
    if metric.side == "diff":
        return abs(per_side["left"] - per_side["right"]) if len(per_side) == 2 else float("nan")
    vals = list(per_side.values())
    if not vals:
        return float("nan")
    return float(max(vals)) if metric.side == "max" else float(sum(vals) / len(vals))


def side_values(metric: Metric, frame: PoseFrame, ctx: FrameContext) -> dict[str, float]:
    """The metric on each side it is measured on (usable sides only)."""
    if metric.kind == "twist":
        both = _twist(frame, ctx)
        return both if metric.side == "max" else {s: v for s, v in both.items() if s == metric.side}
    p = frame.world if metric.space == "world" else frame.xy
    vals: dict[str, float] = {}
    for side in _sides(metric, ctx):
        idx = [resolve(part, side) for part in metric.points]
        kind = "distance_shoulders" if metric.kind == "distance" and metric.per == "shoulders" else metric.kind
        extra: tuple[Landmark, ...] = ()
        if kind in _NEEDS_SHOULDERS:
            extra = _TORSO[:2]
        elif kind in _NEEDS_TORSO:
            extra = _TORSO
        if not all(ctx.usable[i] for i in (*idx, *extra)):
            continue
        vals[side] = _one(kind, [p[i] for i in idx], p)
    return vals


def max_side(metric: Metric, frame: PoseFrame, ctx: FrameContext) -> str | None:
    """For ``side = "max"`` metrics: which side holds the larger value."""
    vals = {s: v for s, v in side_values(metric, frame, ctx).items() if np.isfinite(v)}
    return max(vals, key=vals.__getitem__) if vals else None


def frame_metrics(spec: ExerciseSpec, frame: PoseFrame, ctx: FrameContext) -> dict[str, float]:
    return {name: metric_value(m, frame, ctx) for name, m in spec.metrics.items()}


def spec_landmarks(spec: ExerciseSpec, sides: tuple[str, ...] = ("left", "right")) -> frozenset[Landmark]:
    """Every landmark the spec's metrics read (both sides)."""
    out: set[Landmark] = set()
    for m in spec.metrics.values():
        for s in sides:
            out.update(resolve(p, s) for p in m.points)
        if m.kind == "distance" and m.per == "shoulders" or m.kind in _NEEDS_SHOULDERS:
            out.update(_TORSO[:2])
        elif m.kind in _NEEDS_TORSO or m.kind in ("back_curvature", "twist"):
            out.update(_TORSO)
    return frozenset(out)
