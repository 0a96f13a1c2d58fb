"""The back's outline from the person-segmentation mask, and its curvature.

MediaPipe has no landmarks between the shoulders and the hips, so a straight
shoulder-hip line says nothing about a rounded or arched back. In a side or
oblique view the silhouette's back edge between those landmarks *is* the
spine's outline. :func:`trace_back` samples that edge at ``K`` stations along
the hip->shoulder chord (the only step that needs the mask, done once per
frame at extraction time and stored as points), and :func:`back_curvature`
measures its shape from the points alone, so stored landmark files can be
re-analysed without the video.
"""

from __future__ import annotations

import numpy as np

N_STATIONS = 15
#: Stations span this part of the chord (hip end, shoulder end): the ends are
#: the buttocks and the shoulder blades/neck, which are not the spine's line.
SPAN = (0.12, 0.88)
MASK_THRESHOLD = 0.5
MIN_VALID_FRACTION = 0.7
#: Neighbouring edge points further apart than this (fraction of torso length)
#: mean the edge jumped onto something else (clothing flap, equipment, arm).
MAX_STEP = 0.08


def trace_back(
    mask: np.ndarray,
    hip_xy: np.ndarray,
    shoulder_xy: np.ndarray,
    back_dir_xy: np.ndarray,
    occluders_xy: np.ndarray | None = None,
) -> np.ndarray:
    """Back-edge points ``(N_STATIONS, 2)`` px (NaN where not found), hip end first.

    ``mask``: ``(H, W)`` person probability. ``back_dir_xy``: image direction
    pointing out of the back (any length; only its side of the chord is used).
    ``occluders_xy``: ``(M, 2)`` points such as elbows and wrists; a station
    where one of them lies over the back band is dropped rather than traced
    around the arm.
    """
    out = np.full((N_STATIONS, 2), np.nan, np.float32)
    h, w = mask.shape[:2]
    hip = np.asarray(hip_xy, np.float64)
    c = np.asarray(shoulder_xy, np.float64) - hip
    length = float(np.hypot(*c))
    if not np.isfinite(length) or length < 10 or not np.all(np.isfinite(back_dir_xy)):
        return out
    u = c / length
    n = np.array([-u[1], u[0]])
    if np.dot(n, back_dir_xy) < 0:
        n = -n
    d = np.arange(0.0, 0.6 * length, 1.0)  # one-pixel steps along each ray
    s = np.linspace(*SPAN, N_STATIONS)
    base = hip + s[:, None] * c  # (K, 2)
    rays = base[:, None, :] + d[None, :, None] * n  # (K, D, 2)
    xi = np.clip(np.rint(rays[..., 0]).astype(int), 0, w - 1)
    yi = np.clip(np.rint(rays[..., 1]).astype(int), 0, h - 1)
    inside_img = (rays[..., 0] >= 0) & (rays[..., 0] < w) & (rays[..., 1] >= 0) & (rays[..., 1] < h)
    prob = np.where(inside_img, mask[yi, xi], 0.0)
    body = prob >= MASK_THRESHOLD
    for k in range(N_STATIONS):
        if not body[k, 0]:
            continue
        gone = np.flatnonzero(~body[k])
        if len(gone) == 0 or not inside_img[k, gone[0]]:
            continue  # edge beyond the search range or the image border
        j = gone[0]
        # sub-pixel: where the probability crosses the threshold between the last two samples
        p_in, p_out = prob[k, j - 1], prob[k, j]
        frac = (p_in - MASK_THRESHOLD) / (p_in - p_out) if p_in > p_out else 0.5
        out[k] = base[k] + (d[j - 1] + frac) * n
    if occluders_xy is not None:
        for p in np.asarray(occluders_xy, np.float64).reshape(-1, 2):
            if not np.all(np.isfinite(p)):
                continue
            q = p - hip
            along, across = float(q @ u) / length, float(q @ n)
            depth = np.nanmax(np.hypot(*(out - base).T)) if np.any(np.isfinite(out)) else 0.0
            if across > -0.05 * length and across < depth + 0.1 * length:
                out[np.abs(s - along) < 0.12] = np.nan
    return out


def back_curvature(back_xy: np.ndarray, shoulder_xy: np.ndarray, hip_xy: np.ndarray) -> tuple[float, float]:
    """Signed bulge of the traced back, in percent of torso length, and where it is.

    Returns ``(pct, where)``: ``pct`` > 0 when the back bulges outward
    (rounded, convex, "cat"), < 0 when it sags inward (arched, concave, "cow"),
    measured as the largest deviation of the edge from the straight line
    through its own end points; ``where`` is the position of that deviation
    along the back, 0 at the hip end and 1 at the shoulder end. Both NaN when
    the edge is unreliable (too few points, or a jump between neighbours).
    """
    nan = (float("nan"), float("nan"))
    pts = np.asarray(back_xy, np.float64)
    hip = np.asarray(hip_xy, np.float64)
    length = float(np.hypot(*(np.asarray(shoulder_xy, np.float64) - hip)))
    ok = np.all(np.isfinite(pts), axis=1)
    if (
        not np.isfinite(length)
        or length <= 0
        or ok.mean() < MIN_VALID_FRACTION
        or not (ok[0] or ok[1])
        or not (ok[-1] or ok[-2])
    ):
        return nan
    idx = np.flatnonzero(ok)
    p = pts[idx]
    if np.max(np.hypot(*np.diff(p, axis=0).T)) > (MAX_STEP + (SPAN[1] - SPAN[0]) / (N_STATIONS - 1)) * length:
        return nan
    a, b = p[:2].mean(axis=0), p[-2:].mean(axis=0)
    d = b - a
    dl = float(np.hypot(*d))
    if dl <= 0:
        return nan
    # outward = away from the body: the side of the edge chord the landmark chord is NOT on
    normal = np.array([-d[1], d[0]]) / dl
    if np.dot(hip - a, normal) > 0:
        normal = -normal
    dev = (p - a) @ normal
    inner = dev[2:-2] if len(dev) > 4 else dev
    if len(inner) == 0:
        return nan
    j = int(np.argmax(np.abs(inner)))
    station = (idx[2:-2] if len(dev) > 4 else idx)[j]
    where = SPAN[0] + (SPAN[1] - SPAN[0]) * station / (N_STATIONS - 1)
    return float(100.0 * inner[j] / length), float(where)


def trace_frame(mask: np.ndarray, xy: np.ndarray, world: np.ndarray, side: str) -> np.ndarray:
    """:func:`trace_back` for one frame's landmarks (``xy (33, 2)`` px, ``world (33, 3)`` m).

    The back direction is minus the chest normal (from the world landmarks)
    projected into the image; the near ``side``'s shoulder and hip are used,
    and both arms are treated as possible occluders.
    """
    from .geometry import chest_normal
    from .landmarks import Landmark as L

    ls, rs, lh, rh = world[L.LEFT_SHOULDER], world[L.RIGHT_SHOULDER], world[L.LEFT_HIP], world[L.RIGHT_HIP]
    n = chest_normal(ls, rs, (lh + rh) / 2, (ls + rs) / 2)
    sh = L.LEFT_SHOULDER if side == "left" else L.RIGHT_SHOULDER
    hip = L.LEFT_HIP if side == "left" else L.RIGHT_HIP
    occ = xy[[L.LEFT_ELBOW, L.RIGHT_ELBOW, L.LEFT_WRIST, L.RIGHT_WRIST]]
    return trace_back(mask, xy[hip], xy[sh], -n[:2], occ)
