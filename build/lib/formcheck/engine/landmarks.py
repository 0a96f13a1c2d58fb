"""Landmark names, skeleton connections and the pose-sequence container.

Conventions used across formcheck:

* ``xy``: ``(T, 33, 2) float32`` image coordinates in **pixels** (x right, y down).
* ``vis``: ``(T, 33) float32`` MediaPipe visibility in [0, 1].
* ``world``: ``(T, 33, 3) float32`` MediaPipe world landmarks in **metres**, origin
  between the hips, axes aligned with the camera (x right, y down, z away from
  the camera).
* ``t_s``: ``(T,) float64`` media time of each frame in seconds (from the
  container's timestamps, never the wall clock).
* A frame with no person has NaN in ``xy``/``world`` and 0 in ``vis``.
* ``back``: optional ``(T, K, 2) float32`` pixel points of the traced back
  contour (see :mod:`formcheck.engine.silhouette`), NaN where not traced.
* ``people``: optional ``(T,) int16``: how many people the pose adapter saw in
  view around each frame (0 = not looked; see :mod:`formcheck.engine.people`).
"""

from __future__ import annotations

import enum
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

N_LANDMARKS = 33


class Landmark(enum.IntEnum):
    """The 33 BlazePose landmarks, in MediaPipe's order and naming."""

    NOSE = 0
    LEFT_EYE_INNER = 1
    LEFT_EYE = 2
    LEFT_EYE_OUTER = 3
    RIGHT_EYE_INNER = 4
    RIGHT_EYE = 5
    RIGHT_EYE_OUTER = 6
    LEFT_EAR = 7
    RIGHT_EAR = 8
    MOUTH_LEFT = 9
    MOUTH_RIGHT = 10
    LEFT_SHOULDER = 11
    RIGHT_SHOULDER = 12
    LEFT_ELBOW = 13
    RIGHT_ELBOW = 14
    LEFT_WRIST = 15
    RIGHT_WRIST = 16
    LEFT_PINKY = 17
    RIGHT_PINKY = 18
    LEFT_INDEX = 19
    RIGHT_INDEX = 20
    LEFT_THUMB = 21
    RIGHT_THUMB = 22
    LEFT_HIP = 23
    RIGHT_HIP = 24
    LEFT_KNEE = 25
    RIGHT_KNEE = 26
    LEFT_ANKLE = 27
    RIGHT_ANKLE = 28
    LEFT_HEEL = 29
    RIGHT_HEEL = 30
    LEFT_FOOT_INDEX = 31
    RIGHT_FOOT_INDEX = 32


#: Body parts a spec may name without a side; resolved to LEFT_/RIGHT_ landmarks.
SIDED_PARTS: frozenset[str] = frozenset(
    n.removeprefix("LEFT_").lower() for n in Landmark.__members__ if n.startswith("LEFT_")
)
#: Parts a spec may name that have no side.
UNSIDED_PARTS: frozenset[str] = frozenset({"nose"})


def resolve(part: str, side: str) -> Landmark:
    """Landmark for a spec part name (``"elbow"``) on ``side`` (``"left"``/``"right"``)."""
    if part in UNSIDED_PARTS:
        return Landmark[part.upper()]
    return Landmark[f"{side.upper()}_{part.upper()}"]


# Skeleton drawn by the annotator (body only: the face mesh adds clutter, not information).
CONNECTIONS: frozenset[tuple[Landmark, Landmark]] = frozenset(
    (Landmark[a], Landmark[b])
    for a, b in [
        ("LEFT_SHOULDER", "RIGHT_SHOULDER"),
        ("LEFT_HIP", "RIGHT_HIP"),
        *[
            (f"{s}_{a}", f"{s}_{b}")
            for s in ("LEFT", "RIGHT")
            for a, b in [
                ("SHOULDER", "ELBOW"),
                ("ELBOW", "WRIST"),
                ("SHOULDER", "HIP"),
                ("HIP", "KNEE"),
                ("KNEE", "ANKLE"),
                ("ANKLE", "HEEL"),
                ("HEEL", "FOOT_INDEX"),
                ("ANKLE", "FOOT_INDEX"),
                ("EAR", "SHOULDER"),
            ]
        ],
    ]
)


def _check(name: str, arr: np.ndarray, shape: tuple[int | None, ...]) -> None:
    ok = arr.ndim == len(shape) and all(s is None or s == a for s, a in zip(shape, arr.shape, strict=True))
    if not ok:
        want = "(" + ", ".join("T" if s is None else str(s) for s in shape) + ")"
        raise ValueError(f"{name} must have shape {want}, got {arr.shape}")


@dataclass
class PoseSeq:
    """Landmarks of one clip (see the module docstring for shapes and units)."""

    t_s: np.ndarray
    xy: np.ndarray
    vis: np.ndarray
    world: np.ndarray
    width: int
    height: int
    fps: float
    back: np.ndarray | None = None
    source: str = ""
    people: np.ndarray | None = None
    meta: dict[str, float | int | str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.t_s = np.asarray(self.t_s, dtype=np.float64)
        self.xy = np.asarray(self.xy, dtype=np.float32)
        self.vis = np.asarray(self.vis, dtype=np.float32)
        self.world = np.asarray(self.world, dtype=np.float32)
        n = len(self.t_s)
        _check("t_s", self.t_s, (n,))
        _check("xy", self.xy, (n, N_LANDMARKS, 2))
        _check("vis", self.vis, (n, N_LANDMARKS))
        _check("world", self.world, (n, N_LANDMARKS, 3))
        if self.back is not None:
            self.back = np.asarray(self.back, dtype=np.float32)
            _check("back", self.back, (n, None, 2))
        if self.people is not None:
            self.people = np.asarray(self.people, dtype=np.int16)
            _check("people", self.people, (n,))
        if n > 1 and np.any(np.diff(self.t_s) <= 0):
            raise ValueError("t_s must be strictly increasing")

    def __len__(self) -> int:
        return len(self.t_s)

    def frame(self, i: int) -> PoseFrame:
        return PoseFrame(
            t_s=float(self.t_s[i]),
            xy=self.xy[i],
            vis=self.vis[i],
            world=self.world[i],
            back=None if self.back is None else self.back[i],
            people=0 if self.people is None else int(self.people[i]),
        )

    def frames(self):
        for i in range(len(self)):
            yield self.frame(i)

    def save(self, path: str | Path) -> None:
        """Write to ``.npz`` (atomically: temp file then rename)."""
        from ..io_utils import atomic_path

        arrays = dict(
            t_s=self.t_s,
            xy=self.xy,
            vis=self.vis,
            world=self.world,
            size=np.array([self.width, self.height]),
            fps=np.array(self.fps),
            source=np.array(self.source),
        )
        if self.back is not None:
            arrays["back"] = self.back
        if self.people is not None:
            arrays["people"] = self.people
        with atomic_path(path) as tmp:
            with open(tmp, "wb") as fh:
                np.savez_compressed(fh, allow_pickle=False, **arrays)

    @classmethod
    def load(cls, path: str | Path) -> PoseSeq:
        """Read a file written by :meth:`save`; a clear ``ValueError`` if it is not one."""
        try:  # the file opened here: np.load leaves its own handle open when the zip is bad
            with open(path, "rb") as fh, np.load(fh, allow_pickle=False) as z:
                w, h = (int(v) for v in z["size"])
                return cls(
                    t_s=z["t_s"],
                    xy=z["xy"],
                    vis=z["vis"],
                    world=z["world"],
                    width=w,
                    height=h,
                    fps=float(z["fps"]),
                    back=z["back"] if "back" in z.files else None,
                    source=str(z["source"]) if "source" in z.files else "",
                    people=z["people"] if "people" in z.files else None,
                )
        except FileNotFoundError:
            raise ValueError(f"{path}: no such file") from None
        except (OSError, KeyError, ValueError, zipfile.BadZipFile, EOFError) as e:
            raise ValueError(f"{path}: not a formcheck landmark file ({e})") from None


@dataclass
class PoseFrame:
    """One frame's landmarks: ``xy (33, 2)`` px, ``vis (33,)``, ``world (33, 3)`` m;
    ``people``: how many people were in view (0 = not looked)."""

    t_s: float
    xy: np.ndarray
    vis: np.ndarray
    world: np.ndarray
    back: np.ndarray | None = None
    people: int = 0

    @classmethod
    def empty(cls, t_s: float, people: int = 0) -> PoseFrame:
        return cls(
            t_s=t_s,
            people=people,
            xy=np.full((N_LANDMARKS, 2), np.nan, np.float32),
            vis=np.zeros(N_LANDMARKS, np.float32),
            world=np.full((N_LANDMARKS, 3), np.nan, np.float32),
        )

    @property
    def has_person(self) -> bool:
        return bool(np.isfinite(self.xy[Landmark.LEFT_SHOULDER, 0]))
