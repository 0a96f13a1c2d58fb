"""Body position (posture) and what holds still, measured from the body alone.

Recognition starts here (:mod:`formcheck.engine.recognise`): an exercise is done
in a few body positions (a bent-over row hinged on the feet, a pulldown
seated, a pull-up hanging from the hands) and moves a few joints, so a clip
whose body is in none of a spec's positions, or whose declared joints do not
move, is not that exercise, however rhythmic its movement.

Per frame (:func:`frame_postures`), from the 3D world landmarks with gravity
taken as the camera's down axis (so every threshold keeps at least 10 deg of
margin for a tilted camera) and, for the legs, the image:

* the torso's angle to the horizontal and which way the chest faces
  (up, down, level) tell upright, inclined, level and head-down bodies apart;
* the legs tell standing and hinged (hips high over long legs) from seated
  (thighs forward, feet close under the hips: read in the image, where a
  thigh pointing at the camera is short, while MediaPipe's depth often
  stands it up), kneeling and on all fours (shins on the floor), lying
  (legs in line with the torso) and lying on an incline bench;
* the hands: overhead, or hanging beside the body, and, over a short window,
  whether they hold still while the shoulders move (the hands carry the body:
  hanging from a bar, supported on parallel bars) or the reverse.

A frame whose needed landmarks are not usable (low visibility, or outside
the image: MediaPipe guesses high-visibility points beyond the edge) is
``unknown``, with the postures it is still consistent with (an upright torso
whose legs are out of frame may be standing, seated or hanging).

The joints that move, and a stretch summarised for recognition, are in
:mod:`formcheck.engine.body`.

Pure numpy; arrays follow :mod:`formcheck.engine.landmarks`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import geometry as geo
from .landmarks import Landmark as L
from .landmarks import PoseSeq

#: Body positions a spec may declare (``postures = [...]``), with their meaning.
POSTURES: dict[str, str] = {
    "standing": "upright on the feet, legs long under the hips",
    "hinged": "bent forward at the hips on the feet (torso below about 65 deg), hips over the legs",
    "seated": "torso up, thighs forward with the feet close under the hips (a seat, or the bottom of a squat)",
    "kneeling": "torso up on the knees, shins on the floor",
    "supine": "lying or reclined on the back, chest up",
    "prone": "face down with the body in a line near level: lying, or held up on the hands (a plank)",
    "all_fours": "face down on hands and knees: thighs down from the hips, shins on the floor",
    "on_bench": "face down with the body in a line on an incline (about 30-65 deg): chest on an incline bench",
    "head_down": "the torso pointing below the horizontal, head lower than the hips (over a back-extension pad)",
    "hanging": "hanging from the hands overhead: hands still while the body moves",
    "on_bars": "held up on straight arms beside the body: hands still while the body moves (parallel bars)",
}
UNKNOWN = "unknown"
UPRIGHT_SET = frozenset({"standing", "seated", "kneeling", "hanging", "on_bars"})

# ---- thresholds (deg unless stated). Gravity is the camera's down axis: the boundaries sit
# between the positions they separate, most with 10 deg or more on each side for camera tilt;
# where two positions come closer (a 30-degree incline bench and a level plank, the bottoms of a
# conventional deadlift and a squat) the specs that could be either declare both.
RECLINED_MAX = 55.0  # chest up and torso above this: an upright body leaning back (legs decide), not lying
UPRIGHT_MIN = 65.0  # torso above this: upright (standing ~85, seated rows lean to ~60-70 -> legs decide)
LEVEL_MAX = 30.0  # |torso| below this: near level (lying, all fours, a flat-back hinge, a plank)
HEAD_DOWN_MAX = -30.0  # torso below this: pointing down
FACE_MIN = 0.35  # |vertical part of the chest's unit normal| above this: the chest faces up / down
THIGH_DOWN = -50.0  # thigh (hip->knee) below this: pointing down from the hips
THIGH_LEVEL = -35.0  # thigh above this: forward / level
HIPS_HIGH = -20.0  # bent forward with the thigh below this: hips above the knees (hinged, e.g. a deadlift's start)
SHIN_VERTICAL = -50.0  # knee->ankle below this: the foot under the knee
SHIN_LEVEL = 30.0  # |knee->ankle| below this: the shin along the floor (between this and SHIN_VERTICAL: unsure)
STRAIGHT = 145.0  # hip or knee angle above this: straight (body in a line)
ARMS_UP = 30.0  # shoulder->wrist above this on every seen arm: hands overhead
HANG_MIN = 0.0  # hands above the shoulders (at least level) and holding still while the body moves: hanging
ARMS_DOWN = -45.0  # shoulder->wrist below this on every seen arm: arms hanging / pushing down
SEATED_KNEE = 140.0  # upright with the knees bent more than this (3D): seated (standing knees read 150-175)
SEATED_KNEE_RATIO = 0.45  # image: knee below hip by less than this x torso: thighs forward (seated)
STANDING_KNEE_RATIO = 0.55  # image: more than this: thighs down
SEATED_FOOT_RATIO = 1.0  # image: ankle below hip by less than this x torso: seated / kneeling
STANDING_FOOT_RATIO = 1.15  # image: more than this: long legs (standing; 1.2-1.6 measured)
ANCHOR_WINDOW_S = 1.5  # half-width of the window in which "what holds still" is judged
STEADY_S = 0.25  # half-width of the window in which a frame's posture must be the most common one
ANCHOR_MOVE = 0.25  # x body scale: the moving end travels at least this far
ANCHOR_STILL = 0.5  # the still end travels at most this fraction of the moving end's travel

MIN_VISIBILITY = 0.5
EDGE_MARGIN_PX = 2.0


def usable_mask(seq: PoseSeq) -> np.ndarray:
    """``(T, 33) bool``: seen with confidence and inside the image (as :func:`metrics.usable`)."""
    x, y = seq.xy[..., 0], seq.xy[..., 1]
    m = EDGE_MARGIN_PX
    with np.errstate(invalid="ignore"):
        inside = (x >= -m) & (x <= seq.width + m) & (y >= -m) & (y <= seq.height + m)
    return inside & (seq.vis >= MIN_VISIBILITY) & np.isfinite(x) & np.isfinite(seq.world[..., 0])


def _lm(side: str, part: str) -> int:
    return int(L[f"{side}_{part}"])


def _side_mean(vals: list[np.ndarray]) -> np.ndarray:
    """Mean over the sides that are finite, per frame (NaN when none)."""
    st = np.stack(vals)
    n = np.isfinite(st).sum(0)
    s = np.nansum(st, 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, s / np.maximum(n, 1), np.nan)


def _masked(v: np.ndarray, ok: np.ndarray | np.bool_) -> np.ndarray:
    return np.where(ok, v, np.nan)


@dataclass
class BodyMeasures:
    """Per-frame measures behind the posture, ``(T,)`` arrays (NaN = not usable)."""

    torso: np.ndarray  # deg above horizontal
    chest_up: np.ndarray  # vertical part of the chest's unit normal, + up
    thigh: np.ndarray  # deg, hip->knee above horizontal (mean of the seen sides)
    shin: np.ndarray  # deg, knee->ankle
    hip: np.ndarray  # deg, shoulder-hip-knee
    knee: np.ndarray  # deg, hip-knee-ankle
    knee_ratio: np.ndarray  # image: (knee y - hip y) / torso length
    foot_ratio: np.ndarray  # image: (ankle y - hip y) / torso length
    hands_min: np.ndarray  # deg, the lower of the seen arms' shoulder->wrist elevation
    hands_max: np.ndarray  # deg, the higher one
    anchor: (
        np.ndarray
    )  # (T,) str: "hands" / "hands_body" (hands still; shoulders / shoulders and hips moving), "body", or ""


def measure(seq: PoseSeq, ok: np.ndarray | None = None) -> BodyMeasures:
    """The posture measures of every frame of ``seq``."""
    ok = usable_mask(seq) if ok is None else ok
    w = seq.world.astype(np.float64)
    xy = seq.xy.astype(np.float64)
    sides = ("LEFT", "RIGHT")

    def pt(side: str, part: str) -> tuple[np.ndarray, np.ndarray]:
        i = _lm(side, part)
        return w[:, i], ok[:, i]

    # torso: the mid-points when all four are seen, else the better-seen side
    ls, rs, lh, rh = (
        _lm(s, p) for p, s in (("SHOULDER", "LEFT"), ("SHOULDER", "RIGHT"), ("HIP", "LEFT"), ("HIP", "RIGHT"))
    )
    all4 = ok[:, [ls, rs, lh, rh]].all(1)
    sh_mid, hp_mid = (w[:, ls] + w[:, rs]) / 2, (w[:, lh] + w[:, rh]) / 2
    torso = _masked(geo.elevation(hp_mid, sh_mid), all4)
    for s, h in ((ls, lh), (rs, rh)):
        one = ok[:, s] & ok[:, h] & ~np.isfinite(torso)
        torso = np.where(one, geo.elevation(w[:, h], w[:, s]), torso)
    chest = geo.chest_normal(w[:, ls], w[:, rs], hp_mid, sh_mid)
    chest_up = _masked(-chest[:, 1], all4)

    def seg_elev(a: str, b: str) -> np.ndarray:
        out = []
        for s in sides:
            pa, oa = pt(s, a)
            pb, ob = pt(s, b)
            out.append(_masked(geo.elevation(pa, pb), oa & ob))
        return _side_mean(out)

    thigh, shin = seg_elev("HIP", "KNEE"), seg_elev("KNEE", "ANKLE")
    hip = _side_mean([_sided_angle(w, ok, s, ("SHOULDER", "HIP", "KNEE")) for s in sides])
    knee = _side_mean([_sided_angle(w, ok, s, ("HIP", "KNEE", "ANKLE")) for s in sides])
    hands = np.stack(
        [
            _masked(
                geo.elevation(*(pt(s, p)[0] for p in ("SHOULDER", "WRIST"))), pt(s, "SHOULDER")[1] & pt(s, "WRIST")[1]
            )
            for s in sides
        ]
    )
    seen = np.isfinite(hands).any(0)
    hands_min = np.where(seen, np.min(np.where(np.isfinite(hands), hands, np.inf), 0), np.nan)
    hands_max = np.where(seen, np.max(np.where(np.isfinite(hands), hands, -np.inf), 0), np.nan)

    # image leg ratios (y down): only the vertical extent, which a thigh pointing at the camera shortens
    ish = _mean_pts(xy, ok, [ls, rs])
    ihp = _mean_pts(xy, ok, [lh, rh])
    tl = np.linalg.norm(ish - ihp, axis=1)
    tl = np.where(tl > 1.0, tl, np.nan)
    ikn = _mean_pts(xy, ok, [_lm(s, "KNEE") for s in sides])
    ian = _mean_pts(xy, ok, [_lm(s, "ANKLE") for s in sides])
    knee_ratio = (ikn[:, 1] - ihp[:, 1]) / tl
    foot_ratio = (ian[:, 1] - ihp[:, 1]) / tl
    anchor = _anchor(seq, xy, ok, tl)
    return BodyMeasures(torso, chest_up, thigh, shin, hip, knee, knee_ratio, foot_ratio, hands_min, hands_max, anchor)


def _mean_pts(xy: np.ndarray, ok: np.ndarray, idx: list[int]) -> np.ndarray:
    pts = np.where(ok[:, idx, None], xy[:, idx], np.nan)
    with np.errstate(all="ignore"):
        n = np.isfinite(pts[..., 0]).sum(1)
        s = np.nansum(pts, 1)
        return np.where(n[:, None] > 0, s / np.maximum(n, 1)[:, None], np.nan)


def _sided_angle(w: np.ndarray, ok: np.ndarray, side: str, parts: tuple[str, str, str]) -> np.ndarray:
    idx = [_lm(side, p) for p in parts]
    return _masked(geo.joint_angle(w[:, idx[0]], w[:, idx[1]], w[:, idx[2]]), ok[:, idx].all(1))


def _travel(p: np.ndarray) -> float:
    """How far a ``(n, 2)`` image track travels: diagonal of its 5-95 percentile box (NaN if few points)."""
    p = p[np.isfinite(p[:, 0])]
    if len(p) < 5:
        return math.nan
    lo, hi = np.percentile(p, [5, 95], axis=0)
    return float(np.hypot(*(hi - lo)))


def _anchor(seq: PoseSeq, xy: np.ndarray, ok: np.ndarray, torso_px: np.ndarray) -> np.ndarray:
    """Per frame, over a centred window: ``"hands"`` when the wrists hold still while the
    shoulders travel (the hands carry the body), ``"body"`` for the reverse, else ``""``."""
    n = len(seq)
    out = np.full(n, "", dtype=object)
    sides = ("LEFT", "RIGHT")
    wr = _mean_pts(xy, ok, [_lm(s, "WRIST") for s in sides])
    sh = _mean_pts(xy, ok, [_lm(s, "SHOULDER") for s in sides])
    el = _mean_pts(xy, ok, [_lm(s, "ELBOW") for s in sides])
    hp = _mean_pts(xy, ok, [_lm(s, "HIP") for s in sides])
    # body scale: the torso, or (upper body only) 1.7 upper-arm lengths
    scale = np.where(np.isfinite(torso_px), torso_px, 1.7 * np.linalg.norm(el - sh, axis=1))
    t = seq.t_s
    lo = np.searchsorted(t, t - ANCHOR_WINDOW_S)
    hi = np.searchsorted(t, t + ANCHOR_WINDOW_S, side="right")
    for i in range(n):
        a, b = lo[i], hi[i]
        sc = np.nanmedian(scale[a:b]) if np.isfinite(scale[a:b]).any() else math.nan
        if not sc > 0:
            continue
        tw, ts = _travel(wr[a:b]) / sc, _travel(sh[a:b]) / sc
        if not (math.isfinite(tw) and math.isfinite(ts)):
            continue
        if ts >= ANCHOR_MOVE and tw <= ANCHOR_STILL * ts:
            th = _travel(hp[a:b]) / sc  # the hips travel with the shoulders: the whole body moves
            out[i] = "hands_body" if math.isfinite(th) and th >= ANCHOR_MOVE and tw <= ANCHOR_STILL * th else "hands"
        elif tw >= ANCHOR_MOVE and ts <= ANCHOR_STILL * tw:
            out[i] = "body"
    return out


def _nan(v: float) -> bool:
    return not math.isfinite(v)


def classify(
    torso: float,
    chest_up: float,
    thigh: float,
    shin: float,
    hip: float,
    knee: float,
    knee_ratio: float,
    foot_ratio: float,
    hands_min: float,
    hands_max: float,
    anchor: str = "",
) -> tuple[str, frozenset[str]]:
    """``(posture, consistent)`` of one frame from its measures (NaN = not seen):
    the posture, or ``unknown`` with the postures the seen parts still allow."""
    everything = frozenset(POSTURES)
    arms_up = not _nan(hands_min) and hands_min >= ARMS_UP
    arms_down = not _nan(hands_max) and hands_max <= ARMS_DOWN
    if not _nan(hands_min) and hands_min >= HANG_MIN and anchor in ("hands", "hands_body"):
        return "hanging", frozenset({"hanging"})  # hands overhead holding still while the shoulders move
    if _nan(torso):
        return UNKNOWN, everything
    face = "" if _nan(chest_up) else ("up" if chest_up > FACE_MIN else ("down" if chest_up < -FACE_MIN else "level"))
    thigh_down = not _nan(thigh) and thigh <= THIGH_DOWN
    thigh_fwd = not _nan(thigh) and thigh >= THIGH_LEVEL
    shin_down = not _nan(shin) and shin <= SHIN_VERTICAL
    shin_level = not _nan(shin) and abs(shin) <= SHIN_LEVEL
    hip_straight = not _nan(hip) and hip >= STRAIGHT

    if torso < HEAD_DOWN_MAX:
        return "head_down", frozenset({"head_down"})
    leaning_back = face == "up" and torso > RECLINED_MAX
    if torso < UPRIGHT_MIN and not leaning_back:  # level or inclined
        if face == "up":
            return "supine", frozenset({"supine"})
        if face == "":
            return UNKNOWN, everything - UPRIGHT_SET
        level = torso <= LEVEL_MAX
        if _nan(thigh):
            return UNKNOWN, frozenset({"prone", "all_fours", "hinged", "on_bench", "seated"})
        if hip_straight:  # the body in a line, face down (it cannot stand on its feet leaning like this)
            return ("prone", frozenset({"prone"})) if level else ("on_bench", frozenset({"on_bench"}))
        if thigh <= HIPS_HIGH:  # hips above the knees: on the knees or on the feet, the shins decide
            if shin_level:
                return "all_fours", frozenset({"all_fours"})
            if shin_down:
                return "hinged", frozenset({"hinged"})
            return UNKNOWN, frozenset({"all_fours", "hinged"})  # shins unseen, or between the two
        return "seated", frozenset({"seated"})  # hips down at knee height, bent forward
    # upright (or leaning back): the hands carrying the body first, then the legs
    if arms_down and anchor == "hands_body":
        return "on_bars", frozenset({"on_bars"})
    seated = (
        (not _nan(knee_ratio) and knee_ratio < SEATED_KNEE_RATIO)
        or (not _nan(foot_ratio) and foot_ratio < SEATED_FOOT_RATIO and not shin_level)
        or (not _nan(knee) and knee < SEATED_KNEE and not shin_level)
    )
    if _nan(knee_ratio) and _nan(foot_ratio) and thigh_fwd:
        seated = True
    if seated:
        return "seated", frozenset({"seated"})
    legs_down = (not _nan(knee_ratio) and knee_ratio > STANDING_KNEE_RATIO) or thigh_down
    if legs_down and shin_level:
        base = "kneeling"
    elif legs_down and (shin_down or (not _nan(foot_ratio) and foot_ratio > STANDING_FOOT_RATIO) or _nan(shin)):
        base = "standing"
    else:
        base = ""
    if arms_up:
        if base:
            return base, frozenset({base, "hanging"}) if anchor == "" else frozenset({base})
        return UNKNOWN, frozenset({"standing", "seated", "kneeling", "hanging"})
    if base:
        return base, frozenset({base, "on_bars"}) if (arms_down and anchor == "") else frozenset({base})
    return UNKNOWN, UPRIGHT_SET


@dataclass
class Postures:
    """Every frame's posture: ``labels (T,)`` and the postures each frame is consistent with."""

    labels: list[str]
    consistent: list[frozenset[str]]
    has_person: np.ndarray  # (T,) bool

    def fractions(self, mask: np.ndarray | None = None) -> dict[str, float]:
        """Share of the frames with a person (within ``mask``) in each posture (and ``unknown``)."""
        idx = np.flatnonzero(self.has_person if mask is None else (self.has_person & mask))
        if len(idx) == 0:
            return {}
        out: dict[str, float] = {}
        for i in idx:
            out[self.labels[i]] = out.get(self.labels[i], 0) + 1
        return {k: round(v / len(idx), 3) for k, v in sorted(out.items(), key=lambda kv: -kv[1])}


def frame_postures(seq: PoseSeq, ok: np.ndarray | None = None, m: BodyMeasures | None = None) -> Postures:
    """The posture of every frame of ``seq`` (see the module docstring)."""
    ok = usable_mask(seq) if ok is None else ok
    m = measure(seq, ok) if m is None else m
    labels, cons = [], []
    for i in range(len(seq)):
        lab, c = classify(
            float(m.torso[i]),
            float(m.chest_up[i]),
            float(m.thigh[i]),
            float(m.shin[i]),
            float(m.hip[i]),
            float(m.knee[i]),
            float(m.knee_ratio[i]),
            float(m.foot_ratio[i]),
            float(m.hands_min[i]),
            float(m.hands_max[i]),
            str(m.anchor[i]),
        )
        labels.append(lab)
        cons.append(c)
    has = np.isfinite(seq.xy[:, L.LEFT_SHOULDER, 0]) | np.isfinite(seq.xy[:, L.RIGHT_SHOULDER, 0])
    labels, cons = _steady(seq.t_s, labels, cons)
    return Postures(labels, cons, has)


def _steady(t_s: np.ndarray, labels: list[str], cons: list[frozenset[str]]) -> tuple[list[str], list[frozenset[str]]]:
    """A body position holds for more than a few frames: each frame takes the most common
    label within ``STEADY_S`` either side (a guessed landmark flickering one frame into
    another posture is dropped), with the consistent set of the nearest frame so labelled."""
    lo = np.searchsorted(t_s, t_s - STEADY_S)
    hi = np.searchsorted(t_s, t_s + STEADY_S, side="right")
    out_l, out_c = [], []
    for i in range(len(labels)):
        window = labels[lo[i] : hi[i]]
        best = max(dict.fromkeys(window), key=window.count)
        if best == labels[i]:
            out_l.append(labels[i])
            out_c.append(cons[i])
            continue
        j = min((k for k in range(lo[i], hi[i]) if labels[k] == best), key=lambda k: abs(k - i))
        out_l.append(best)
        out_c.append(cons[j])
    return out_l, out_c
