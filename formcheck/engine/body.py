"""The joints that move, and a stretch of a recording summarised for recognition.

Joint measures (:data:`JOINTS`) are angles of the 3D landmarks (elbow,
shoulder, hip, knee), directions against gravity (torso, lean, hands), the
angle between the upper arms (spread), the shoulder-line twist, the
ear-shoulder gap (shrugs) and the traced back's curvature (cat-cow). A joint
*moves* over a stretch when its 5-95 percentile range (the larger side's)
reaches its threshold, and *stays still* while it stays under its
``still_max``. :func:`analyse` measures a recording once (postures from
:mod:`formcheck.engine.posture`, anchors, joints); :meth:`Body.summary`
summarises any stretch of it.

Pure numpy; arrays follow :mod:`formcheck.engine.landmarks`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from . import geometry as geo
from .landmarks import Landmark as L
from .landmarks import PoseSeq
from .posture import Postures, _lm, _masked, _sided_angle, frame_postures, measure, usable_mask
from .silhouette import back_curvature


@dataclass(frozen=True)
class Joint:
    """A joint measure: its unit, the 5-95 percentile range over a stretch at which it
    counts as moving, and the range above which a joint that should stay still does not
    (landmark jitter and a little give are allowed)."""

    unit: str
    moves_at: float
    still_max: float
    meaning: str


#: Joint measures a spec may declare as moving (``moving = [...]``) or in ``reaches``.
JOINTS: dict[str, Joint] = {
    "elbow": Joint("deg", 30.0, 45.0, "shoulder-elbow-wrist angle (180 = straight arm)"),
    "shoulder": Joint("deg", 25.0, 40.0, "hip-shoulder-elbow angle (0 = arm down the side, 180 = overhead)"),
    "hip": Joint("deg", 20.0, 30.0, "shoulder-hip-knee angle (180 = body in a line)"),
    "knee": Joint("deg", 25.0, 40.0, "hip-knee-ankle angle (180 = straight leg)"),
    "torso": Joint("deg", 5.0, 20.0, "hip->shoulder above the horizontal (90 = upright, 0 = level, < 0 head down)"),
    "hands": Joint("deg", 25.0, 40.0, "shoulder->wrist above the horizontal (90 = straight overhead, -90 = hanging)"),
    "twist": Joint("deg", 15.0, 25.0, "turn of the shoulder line against the hip line"),
    "shrug": Joint("pct_torso", 4.0, 8.0, "ear-shoulder gap in % of torso length"),
    "spine": Joint("pct_torso", 4.0, 8.0, "bulge of the traced back outline in % of torso length (+ rounded)"),
    "spread": Joint(
        "deg", 40.0, 60.0, "angle between the two upper arms (0 = side by side, 180 = straight out to the sides)"
    ),
    "lean": Joint("deg", 8.0, 20.0, "torso from vertical toward the chest's side: + forward, - back"),
}
SIDED_JOINTS = {
    "elbow": ("SHOULDER", "ELBOW", "WRIST"),
    "shoulder": ("HIP", "SHOULDER", "ELBOW"),
    "hip": ("SHOULDER", "HIP", "KNEE"),
    "knee": ("HIP", "KNEE", "ANKLE"),
}
#: A joint is measured on a stretch when it is usable on at least this share of its frames.
MIN_COVERAGE = 0.3


def joint_series(seq: PoseSeq, name: str, ok: np.ndarray | None = None) -> np.ndarray:
    """``(n_series, T)``: a joint measure per frame, one row per body side where it has
    sides (NaN where not usable). See :data:`JOINTS`."""
    ok = usable_mask(seq) if ok is None else ok
    w = seq.world.astype(np.float64)
    if name in SIDED_JOINTS:
        return np.stack([_sided_angle(w, ok, s, SIDED_JOINTS[name]) for s in ("LEFT", "RIGHT")])
    if name == "hands":
        return np.stack(
            [
                _masked(
                    geo.elevation(w[:, _lm(s, "SHOULDER")], w[:, _lm(s, "WRIST")]),
                    ok[:, [_lm(s, "SHOULDER"), _lm(s, "WRIST")]].all(1),
                )
                for s in ("LEFT", "RIGHT")
            ]
        )
    torso4 = [int(L.LEFT_SHOULDER), int(L.RIGHT_SHOULDER), int(L.LEFT_HIP), int(L.RIGHT_HIP)]
    if name == "spread":
        arms = [int(L.LEFT_SHOULDER), int(L.LEFT_ELBOW), int(L.RIGHT_SHOULDER), int(L.RIGHT_ELBOW)]
        left, right = w[:, arms[1]] - w[:, arms[0]], w[:, arms[3]] - w[:, arms[2]]
        return _masked(geo.joint_angle(left, np.zeros_like(left), right), ok[:, arms].all(1))[None]
    if name == "torso":
        return measure_torso(w, ok)[None]
    if name == "lean":
        ls, rs, lh, rh = (w[:, i] for i in torso4)
        v = geo.lean((lh + rh) / 2, (ls + rs) / 2, geo.forward_dir(ls, rs))
        return _masked(v, ok[:, torso4].all(1))[None]
    if name == "twist":
        v = geo.twist(*(w[:, i] for i in torso4))
        return _masked(v, ok[:, torso4].all(1))[None]
    if name == "shrug":
        out = []
        tl = np.linalg.norm((w[:, 11] + w[:, 12]) / 2 - (w[:, 23] + w[:, 24]) / 2, axis=1)
        for s in ("LEFT", "RIGHT"):
            e, sh = _lm(s, "EAR"), _lm(s, "SHOULDER")
            gap = np.linalg.norm(w[:, e] - w[:, sh], axis=1) / np.where(tl > 0, tl, np.nan) * 100.0
            out.append(_masked(gap, ok[:, [e, sh]].all(1) & ok[:, torso4].all(1)))
        return np.stack(out)
    if name == "spine":
        out1 = np.full(len(seq), np.nan)
        if seq.back is not None:
            from .views import body_yaw

            for i in range(len(seq)):
                near = "RIGHT" if body_yaw(seq.world[i]) < 0 else "LEFT"
                si, hi = _lm(near, "SHOULDER"), _lm(near, "HIP")
                if ok[i, si] and ok[i, hi]:
                    out1[i] = back_curvature(seq.back[i], seq.xy[i, si], seq.xy[i, hi])[0]
        return out1[None]
    raise ValueError(f"unknown joint '{name}' (known: {', '.join(JOINTS)})")


def measure_torso(w: np.ndarray, ok: np.ndarray) -> np.ndarray:
    ls, rs, lh, rh = 11, 12, 23, 24
    all4 = ok[:, [ls, rs, lh, rh]].all(1)
    torso = _masked(geo.elevation((w[:, lh] + w[:, rh]) / 2, (w[:, ls] + w[:, rs]) / 2), all4)
    for s, h in ((ls, lh), (rs, rh)):
        one = ok[:, s] & ok[:, h] & ~np.isfinite(torso)
        torso = np.where(one, geo.elevation(w[:, h], w[:, s]), torso)
    return torso


@dataclass(frozen=True)
class JointRange:
    """How far a joint moved over a stretch: the 5-95 percentile range (the larger side's),
    its low and high values, and the share of frames where it was measured."""

    joint: str
    range: float
    low: float
    high: float
    coverage: float

    @property
    def measured(self) -> bool:
        return self.coverage >= MIN_COVERAGE and math.isfinite(self.range)

    @property
    def moves(self) -> bool:
        return self.measured and self.range >= JOINTS[self.joint].moves_at


def joint_range(series: np.ndarray, name: str, mask: np.ndarray | None = None) -> JointRange:
    """Range of a joint's ``(n_series, T)`` values over the frames in ``mask``."""
    best: tuple[float, float, float, float] = (math.nan, math.nan, math.nan, 0.0)
    n_frames = series.shape[1] if mask is None else int(mask.sum())
    for row in series:
        v = row if mask is None else row[mask]
        fin = v[np.isfinite(v)]
        cov = len(fin) / max(n_frames, 1)
        if cov < MIN_COVERAGE or len(fin) < 5:
            best = best if math.isfinite(best[0]) else (math.nan, math.nan, math.nan, max(best[3], cov))
            continue
        lo, hi = np.percentile(fin, [5, 95])
        if not math.isfinite(best[0]) or hi - lo > best[0]:
            best = (float(hi - lo), float(lo), float(hi), cov)
    return JointRange(name, *best)


@dataclass
class BodySummary:
    """A stretch of frames, summarised for recognition."""

    postures: dict[str, float]  # share of the frames with a person in each posture (and unknown)
    consistent: dict[str, float]  # share of the frames consistent with each posture
    seen: dict[str, float]  # share of the frames in each posture, an ambiguous frame split evenly
    joints: dict[str, JointRange] = field(default_factory=dict)
    anchor: dict[str, float] = field(default_factory=dict)  # share of frames: hands / body held still


@dataclass
class Body:
    """A recording measured once: every frame's posture, anchor and joint measures;
    :meth:`summary` summarises any stretch of it (see :func:`analyse`)."""

    t_s: np.ndarray
    postures: Postures
    anchor: np.ndarray
    series: dict[str, np.ndarray]  # joint -> (n_series, T)

    def summary(self, mask: np.ndarray | None = None) -> BodySummary:
        """Posture shares, joint ranges and anchors over the frames in ``mask`` (all by default)."""
        post = self.postures
        sel = post.has_person if mask is None else (post.has_person & mask)
        idx = np.flatnonzero(sel)
        cons: dict[str, float] = {}
        seen: dict[str, float] = {}
        for i in idx:
            c = post.consistent[i]
            for p in c:
                cons[p] = cons.get(p, 0) + 1
                seen[p] = seen.get(p, 0) + 1 / len(c)
        n = max(len(idx), 1)
        summ = BodySummary(
            post.fractions(mask),
            {k: round(v / n, 3) for k, v in cons.items()},
            {k: round(v / n, 3) for k, v in seen.items()},
            anchor={
                a: round(float(np.mean(self.anchor[idx] == a)), 3) if len(idx) else 0.0
                for a in ("hands", "hands_body", "body")
            },
        )
        for j, ser in self.series.items():
            summ.joints[j] = joint_range(ser, j, sel)
        return summ


def analyse(seq: PoseSeq, joints: tuple[str, ...] | None = None) -> Body:
    """Measure ``seq`` once: postures, anchors and the ``joints`` (default: all)."""
    ok = usable_mask(seq)
    m = measure(seq, ok)
    post = frame_postures(seq, ok, m)
    series = {j: joint_series(seq, j, ok) for j in (joints or tuple(JOINTS))}
    return Body(seq.t_s, post, m.anchor, series)


def summarise(seq: PoseSeq, joints: tuple[str, ...] | None = None, mask: np.ndarray | None = None) -> BodySummary:
    """Posture shares, joint ranges and anchors of ``seq`` (within ``mask``)."""
    return analyse(seq, joints).summary(mask)
