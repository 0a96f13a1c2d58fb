"""Pure, vectorised geometry on landmark coordinates.

Every function takes arrays of shape ``(..., D)`` with ``D`` = 2 (image pixels,
y down) or 3 (world metres, y down) and returns ``(...)`` arrays. NaN inputs
give NaN outputs, never an exception. Angles are in degrees.
"""

from __future__ import annotations

import numpy as np

_EPS = 1e-9


def _norm(v: np.ndarray) -> np.ndarray:
    return np.sqrt(np.sum(v * v, axis=-1))


def joint_angle(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Angle ABC at vertex ``b`` in [0, 180] degrees (180 = straight limb)."""
    u = np.asarray(a, dtype=np.float64) - b
    v = np.asarray(c, dtype=np.float64) - b
    cos = np.sum(u * v, axis=-1) / np.maximum(_norm(u) * _norm(v), _EPS)
    with np.errstate(invalid="ignore"):
        return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def elevation(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Angle of the segment a->b above the horizontal, in [-90, 90] degrees.

    Gravity is +y (image and MediaPipe world frames both point y down), so
    +90 means ``b`` straight above ``a`` and 0 means level. In 3D the
    horizontal component is the length in the x-z plane, so the angle does
    not depend on which way the person faces the camera.
    """
    d = np.asarray(b, dtype=np.float64) - a
    horiz = _norm(d[..., [0, 2]]) if d.shape[-1] == 3 else np.abs(d[..., 0])
    return np.degrees(np.arctan2(-d[..., 1], horiz))


def distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return _norm(np.asarray(b, dtype=np.float64) - a)


def forward_dir(left_shoulder: np.ndarray, right_shoulder: np.ndarray) -> np.ndarray:
    """Unit vector the chest faces, ``(..., 3)``, from world shoulder positions.

    ``cross(L - R, up)`` with up = -y: a person facing the camera gets -z
    (toward the camera). The vertical component is removed.
    """
    lr = np.asarray(left_shoulder, dtype=np.float64) - right_shoulder
    up = np.array([0.0, -1.0, 0.0])
    f = np.cross(lr, up)
    f[..., 1] = 0.0
    return f / np.maximum(_norm(f), _EPS)[..., None]


def lean(hip: np.ndarray, shoulder: np.ndarray, forward: np.ndarray) -> np.ndarray:
    """Signed torso lean from vertical in degrees: + forward, - backward, 90 = flat.

    ``forward`` is the unit facing direction from :func:`forward_dir` (3D) or
    an image-plane direction (2D).
    """
    t = np.asarray(shoulder, dtype=np.float64) - hip
    up = np.zeros(t.shape[-1])
    up[1] = -1.0
    return np.degrees(np.arctan2(np.sum(t * forward, axis=-1), np.sum(t * up, axis=-1)))


def lateral_angle(
    shoulder: np.ndarray, elbow: np.ndarray, left_shoulder: np.ndarray, right_shoulder: np.ndarray
) -> np.ndarray:
    """Angle of the upper arm out of the body's sagittal plane, in [0, 90] degrees.

    0 = the elbow moves straight forward/back/down beside the body (a tucked
    row), 90 = the upper arm points straight out to the side (a fly). 3D only.
    """
    arm = np.asarray(elbow, dtype=np.float64) - shoulder
    lr = np.asarray(left_shoulder, dtype=np.float64) - right_shoulder
    lr = lr / np.maximum(_norm(lr), _EPS)[..., None]
    s = np.abs(np.sum(arm * lr, axis=-1)) / np.maximum(_norm(arm), _EPS)
    with np.errstate(invalid="ignore"):
        return np.degrees(np.arcsin(np.clip(s, 0.0, 1.0)))


def twist(
    left_shoulder: np.ndarray, right_shoulder: np.ndarray, left_hip: np.ndarray, right_hip: np.ndarray
) -> np.ndarray:
    """Signed rotation of the shoulder line against the hip line about the torso, in degrees.

    Both lines are projected on the plane square to the hip-mid -> shoulder-mid
    axis; the angle between them is positive when the upper body has turned
    to the person's own left (its left shoulder back, right shoulder forward),
    negative to its right, in (-180, 180]. MediaPipe world (y-down) axes. 3D only.
    """
    ls, rs, lh, rh = (np.asarray(v, dtype=np.float64) for v in (left_shoulder, right_shoulder, left_hip, right_hip))
    axis = (ls + rs) / 2 - (lh + rh) / 2
    axis = axis / np.maximum(_norm(axis), _EPS)[..., None]

    def flat(v: np.ndarray) -> np.ndarray:
        return v - np.sum(v * axis, axis=-1, keepdims=True) * axis

    sh, hp = flat(ls - rs), flat(lh - rh)  # right -> left across each girdle
    # a turn to the left is right-handed about the up-pointing torso axis
    sin = np.sum(np.cross(hp, sh) * axis, axis=-1)
    cos = np.sum(hp * sh, axis=-1)
    return np.degrees(np.arctan2(sin, cos))


def point_line_offset(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Signed perpendicular distance of ``p`` from the line a->b (2D, same unit as input).

    Positive on the side of the normal ``(-d_y, d_x)`` where ``d = b - a``.
    """
    d = np.asarray(b, dtype=np.float64) - a
    q = np.asarray(p, dtype=np.float64) - a
    cross = d[..., 0] * q[..., 1] - d[..., 1] * q[..., 0]
    return cross / np.maximum(_norm(d), _EPS)


def chest_normal(
    left_shoulder: np.ndarray, right_shoulder: np.ndarray, hip_mid: np.ndarray, shoulder_mid: np.ndarray
) -> np.ndarray:
    """Unit vector out of the chest, perpendicular to the torso, ``(..., 3)`` world.

    ``cross(L - R, shoulders - hips)``: for an upright person facing the camera
    this is -z (toward the camera); for a person bent over it points at the floor.
    """
    lr = np.asarray(left_shoulder, dtype=np.float64) - right_shoulder
    up = np.asarray(shoulder_mid, dtype=np.float64) - hip_mid
    n = np.cross(lr, up)
    return n / np.maximum(_norm(n), _EPS)[..., None]
