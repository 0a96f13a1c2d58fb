"""A small kinematic model that poses a 33-landmark body from joint angles.

Used to build precise synthetic landmark sequences for tests. Conventions
match MediaPipe's: world metres, origin between the hips, x right, y down,
z away from the camera; image = orthographic projection in pixels.

Directions are given as (elevation, azimuth) in degrees in the body's own
frame: elevation above horizontal (-90 = straight down), azimuth in the
horizontal plane from the body's forward direction toward its own side
(0 = forward, 90 = out to that side, 180 = backward).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from formcheck.engine.landmarks import N_LANDMARKS, PoseFrame, PoseSeq
from formcheck.engine.landmarks import Landmark as L

UPPER_ARM, FOREARM, THIGH, SHANK, TORSO = 0.30, 0.27, 0.42, 0.42, 0.50
SHOULDER_HALF, HIP_HALF = 0.18, 0.10


@dataclass(frozen=True)
class Pose:
    yaw: float = 90.0  # body yaw (see formcheck.engine.views): 90 = left side to camera
    torso: float = 40.0  # torso elevation above horizontal
    head_drop: float = 0.0  # neck droop below the torso line
    upper_arm: tuple[float, float] = (-90.0, 0.0)  # (elevation, azimuth)
    forearm: tuple[float, float] = (-90.0, 0.0)
    thigh: tuple[float, float] = (-80.0, 0.0)
    shank: tuple[float, float] = (-95.0, 180.0)
    shrug: float = 0.0  # metres the shoulders rise toward the ears
    twist: float = 0.0  # deg the upper body (shoulders, arms, head) turns about the torso axis; + to its left
    right_arm: tuple[tuple[float, float], tuple[float, float]] | None = None  # (upper, fore) if different
    right_leg: tuple[tuple[float, float], tuple[float, float]] | None = None  # (thigh, shank) if different


def _axes(yaw_deg: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    th = np.radians(yaw_deg)
    left = np.array([np.cos(th), 0.0, -np.sin(th)])
    fwd = np.array([-np.sin(th), 0.0, -np.cos(th)])
    up = np.array([0.0, -1.0, 0.0])
    return fwd, up, left


def _dir(el: float, az: float, fwd: np.ndarray, up: np.ndarray, out: np.ndarray) -> np.ndarray:
    e, a = np.radians(el), np.radians(az)
    return np.cos(e) * (np.cos(a) * fwd + np.sin(a) * out) + np.sin(e) * up


def _rotate(v: np.ndarray, axis: np.ndarray, deg: float) -> np.ndarray:
    """``v`` turned ``deg`` about unit ``axis`` (right-handed: Rodrigues)."""
    a = np.radians(deg)
    return v * np.cos(a) + np.cross(axis, v) * np.sin(a) + axis * np.dot(axis, v) * (1 - np.cos(a))


def world_landmarks(p: Pose) -> np.ndarray:
    """``(33, 3)`` world landmarks for pose ``p``."""
    fwd, up, left = _axes(p.yaw)
    w = np.zeros((N_LANDMARKS, 3))
    te = np.radians(p.torso)
    t = np.cos(te) * fwd + np.sin(te) * up
    sh_mid = TORSO * t
    lower = fwd, up, left  # hips and legs
    # the upper body turns about the torso axis: turning to its left is a
    # right-handed turn about the hip->shoulder direction
    fwd, up, left = (_rotate(v, t, p.twist) for v in (fwd, up, left))
    arms = {"LEFT": (p.upper_arm, p.forearm), "RIGHT": p.right_arm or (p.upper_arm, p.forearm)}
    legs = {"LEFT": (p.thigh, p.shank), "RIGHT": p.right_leg or (p.thigh, p.shank)}
    for side, sgn in (("LEFT", 1.0), ("RIGHT", -1.0)):
        out = sgn * left
        hip = sgn * HIP_HALF * lower[2]
        sh = sh_mid + sgn * SHOULDER_HALF * left + p.shrug * t
        (ua, fa) = arms[side]
        el = sh + UPPER_ARM * _dir(*ua, fwd, up, out)
        wr = el + FOREARM * _dir(*fa, fwd, up, out)
        (th, sk) = legs[side]
        kn = hip + THIGH * _dir(*th, *lower[:2], sgn * lower[2])
        an = kn + SHANK * _dir(*sk, *lower[:2], sgn * lower[2])
        he = np.radians(p.torso - p.head_drop)
        neck = np.cos(he) * fwd + np.sin(he) * up
        ear = sh_mid + 0.16 * neck + sgn * 0.07 * left
        vals = {
            "SHOULDER": sh,
            "ELBOW": el,
            "WRIST": wr,
            "HIP": hip,
            "KNEE": kn,
            "ANKLE": an,
            "EAR": ear,
            "EYE": ear + 0.08 * fwd - 0.03 * sgn * left,
            "EYE_INNER": ear + 0.09 * fwd - 0.05 * sgn * left,
            "EYE_OUTER": ear + 0.07 * fwd - 0.01 * sgn * left,
            "MOUTH": ear + 0.08 * fwd - 0.04 * sgn * left - 0.05 * up,
            "PINKY": wr + 0.06 * _dir(*fa, fwd, up, out),
            "INDEX": wr + 0.07 * _dir(*fa, fwd, up, out),
            "THUMB": wr + 0.05 * _dir(*fa, fwd, up, out),
            "HEEL": an - 0.05 * lower[0],
            "FOOT_INDEX": an + 0.15 * lower[0],
        }
        for name, v in vals.items():
            w[L[f"MOUTH_{side}" if name == "MOUTH" else f"{side}_{name}"]] = v
    w[L.NOSE] = sh_mid + 0.16 * np.cos(np.radians(p.torso - p.head_drop)) * fwd + 0.1 * fwd
    return w


def frame(
    p: Pose, t_s: float = 0.0, size: tuple[int, int] = (1280, 720), scale: float = 300.0, vis: float = 0.99
) -> PoseFrame:
    """A :class:`PoseFrame` of pose ``p`` seen by an orthographic camera."""
    w = world_landmarks(p)
    xy = w[:, :2] * scale + np.array([size[0] / 2, size[1] * 0.55])
    return PoseFrame(
        t_s=t_s, xy=xy.astype(np.float32), vis=np.full(N_LANDMARKS, vis, np.float32), world=w.astype(np.float32)
    )


def sequence(
    poses: list[Pose],
    fps: float = 30.0,
    size: tuple[int, int] = (1280, 720),
    jitter_px: float = 0.0,
    seed: int = 0,
    drop: set[int] | None = None,
) -> PoseSeq:
    """Stack poses into a :class:`PoseSeq`; optional Gaussian jitter and dropped frames (no person)."""
    rng = np.random.default_rng(seed)
    fr = [frame(p, i / fps, size) for i, p in enumerate(poses)]
    xy = np.stack([f.xy for f in fr]).astype(np.float64)
    world = np.stack([f.world for f in fr]).astype(np.float64)
    vis = np.stack([f.vis for f in fr])
    if jitter_px:
        xy += rng.normal(0, jitter_px, xy.shape)
        world += rng.normal(0, jitter_px / 300.0, world.shape)
    for i in drop or ():
        xy[i] = np.nan
        world[i] = np.nan
        vis[i] = 0.0
    return PoseSeq(np.arange(len(poses)) / fps, xy, vis, world, size[0], size[1], fps)


def interp(a: Pose, b: Pose, s: float) -> Pose:
    """Pose a fraction ``s`` of the way from ``a`` to ``b`` (angles interpolated linearly)."""

    def mix(x, y):
        if x is None or y is None:
            return x if s < 0.5 else y
        if isinstance(x, tuple):
            return tuple(mix(u, v) for u, v in zip(x, y, strict=True))
        return x + (y - x) * s

    return replace(a, **{k: mix(getattr(a, k), getattr(b, k)) for k in a.__dataclass_fields__})


def reps(
    bottom: Pose,
    top: Pose,
    n: int,
    fps: float = 30.0,
    rep_s: float = 2.0,
    rest_s: float = 1.0,
    hold_s: float = 0.0,
    lead_s: float = 1.0,
    tail_s: float = 1.0,
    mid: dict | None = None,
) -> list[Pose]:
    """``n`` reps bottom -> top -> bottom with a smooth (cosine) profile.

    ``mid`` overrides fields at the top (e.g. ``{"torso": 70}``) blended in
    with the same profile, to make a faulty rep.
    """
    top = replace(top, **(mid or {}))
    out = [bottom] * int(lead_s * fps)
    for _ in range(n):
        half = int(rep_s * fps / 2)
        for i in range(half):
            out.append(interp(bottom, top, 0.5 - 0.5 * np.cos(np.pi * i / half)))
        out += [top] * int(hold_s * fps)
        for i in range(half):
            out.append(interp(top, bottom, 0.5 - 0.5 * np.cos(np.pi * i / half)))
        out += [bottom] * int(rest_s * fps)
    return out + [bottom] * int(tail_s * fps)


def with_back(seq: PoseSeq, bulge_pct: float | np.ndarray = 0.0) -> PoseSeq:
    """Give ``seq`` a traced back outline (as the silhouette tracer stores it) on the near
    side, bulging ``bulge_pct`` % of torso length away from the body (+ rounded, - arched),
    one value for all frames or one per frame."""
    from formcheck.engine.geometry import chest_normal
    from formcheck.engine.silhouette import N_STATIONS, SPAN
    from formcheck.engine.views import body_yaw

    n = len(seq)
    bulge = np.broadcast_to(np.asarray(bulge_pct, dtype=np.float64), (n,))
    s = np.linspace(*SPAN, N_STATIONS)
    back = np.full((n, N_STATIONS, 2), np.nan, np.float32)
    for i in range(n):
        w = seq.world[i].astype(np.float64)
        if not np.all(np.isfinite(w)):
            continue
        side = "RIGHT" if body_yaw(w) < 0 else "LEFT"
        hip, sh = seq.xy[i, L[f"{side}_HIP"]].astype(np.float64), seq.xy[i, L[f"{side}_SHOULDER"]].astype(np.float64)
        c = sh - hip
        length = float(np.hypot(*c))
        nb = -chest_normal(
            w[L.LEFT_SHOULDER],
            w[L.RIGHT_SHOULDER],
            (w[L.LEFT_HIP] + w[L.RIGHT_HIP]) / 2,
            (w[L.LEFT_SHOULDER] + w[L.RIGHT_SHOULDER]) / 2,
        )[:2]
        u = np.array([-c[1], c[0]]) / length
        if np.dot(u, nb) < 0:
            u = -u  # out of the back, in the image
        bump = np.sin(np.pi * (s - SPAN[0]) / (SPAN[1] - SPAN[0])) * bulge[i] / 100.0
        back[i] = hip + s[:, None] * c + ((0.1 + bump) * length)[:, None] * u
    return replace(seq, back=back)


def anchored(seq: PoseSeq, part: str = "WRIST") -> PoseSeq:
    """The image of ``seq`` shifted frame by frame so that both ``part`` landmarks (mean)
    stay where they are in the first frame: the hands holding a bar or the floor while the
    body moves (the kinematic model keeps the hips still). World landmarks are hip-centred
    in MediaPipe anyway, so only the image moves."""
    idx = [L[f"LEFT_{part}"], L[f"RIGHT_{part}"]]
    mid = seq.xy[:, idx].mean(axis=1)  # (T, 2)
    shift = mid[0] - mid
    return replace(seq, xy=(seq.xy + shift[:, None, :]).astype(np.float32))
