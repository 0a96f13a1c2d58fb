"""Which person is the exerciser, when more than one is in view.

Pure bookkeeping on bounding boxes in normalised image coordinates
``(x0, y0, x1, y1)`` in [0, 1]. The pose adapter looks for everyone in view
now and then (:meth:`PeopleTracker.look`) and reports the box of the person its
tracker follows on every frame (:meth:`PeopleTracker.tracked`). The exerciser
is the person who stays the biggest and most central over the looks: a
passer-by is seen once or twice, a bystander at the edge or far behind scores
low, and a mirror reflection is smaller or further off-centre than the lifter.
When the tracker is found on someone other than the exerciser, :meth:`look`
returns the other people's boxes so the adapter can restart the tracker with
them blanked out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

Box = tuple[float, float, float, float]

MIN_VISIBILITY = 0.5
SCORE_DECAY = 0.7  # per look: a person's prominence fades when not seen again
SWITCH_RATIO = 1.3  # another person must score this much more to become the exerciser
SAME_PERSON_IOU = 0.3
ON_OTHER_IOU = 0.4


def bbox_of(xy: np.ndarray, vis: np.ndarray, width: int, height: int) -> Box | None:
    """Normalised box of one pose's visible landmarks (``xy (33, 2)`` px), clipped to the image."""
    ok = (vis >= MIN_VISIBILITY) & np.all(np.isfinite(xy), axis=1)
    if ok.sum() < 4:
        return None
    p = xy[ok] / np.array([width, height], dtype=np.float64)
    x0, y0 = np.clip(p.min(axis=0), 0.0, 1.0)
    x1, y1 = np.clip(p.max(axis=0), 0.0, 1.0)
    if x1 - x0 <= 0 or y1 - y0 <= 0:
        return None
    return (float(x0), float(y0), float(x1), float(y1))


def iou(a: Box, b: Box) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def prominence(b: Box) -> float:
    """Size (square root of the area) weighed down by distance from the image centre."""
    size = float(np.sqrt((b[2] - b[0]) * (b[3] - b[1])))
    d = float(np.hypot((b[0] + b[2]) / 2 - 0.5, (b[1] + b[3]) / 2 - 0.5))
    return size * (1.0 - 0.5 * min(d / 0.7, 1.0))


@dataclass
class _Track:
    box: Box
    score: float
    seen: bool = True


class PeopleTracker:
    """People seen over time, and which of them is the exerciser."""

    def __init__(self) -> None:
        self._tracks: list[_Track] = []
        self._exerciser: _Track | None = None
        self._main: Box | None = None
        self.count = 0  # people in view at the last look
        self.looks = 0

    def tracked(self, box: Box | None) -> None:
        """The box of the person the pose tracker follows on this frame."""
        if box is not None:
            self._main = box

    def look(self, t_s: float, boxes: list[Box]) -> list[Box] | None:
        """Everyone in view now. Returns the boxes to blank for a tracker restart when
        the tracker follows someone other than the exerciser, else None."""
        self.looks += 1
        self.count = len(boxes)
        for tr in self._tracks:
            tr.score *= SCORE_DECAY
            tr.seen = False
        for b in boxes:
            best = max(self._tracks, key=lambda tr: iou(tr.box, b), default=None)
            if best is not None and not best.seen and iou(best.box, b) >= SAME_PERSON_IOU:
                best.box, best.seen = b, True
                best.score += prominence(b)
            else:
                self._tracks.append(_Track(b, prominence(b)))
        self._tracks = [tr for tr in self._tracks if tr.seen or tr.score > 0.02]
        if not self._tracks:
            return None
        top = max(self._tracks, key=lambda tr: tr.score)
        cur = self._exerciser if self._exerciser in self._tracks else None
        if cur is None or top.score > SWITCH_RATIO * cur.score:
            self._exerciser = cur = top
        if len(boxes) < 2 or self._main is None or not cur.seen:
            return None
        if iou(self._main, cur.box) >= SAME_PERSON_IOU:
            return None
        on_other = any(tr is not cur and tr.seen and iou(self._main, tr.box) >= ON_OTHER_IOU for tr in self._tracks)
        if not on_other:
            return None
        blank = [
            _grow(tr.box, 0.05) for tr in self._tracks if tr is not cur and tr.seen and iou(tr.box, cur.box) == 0.0
        ]
        if not blank:
            return None  # the others overlap the exerciser: blanking them would blank the exerciser too
        self._main = None
        return blank


def _grow(b: Box, frac: float) -> Box:
    dx, dy = (b[2] - b[0]) * frac, (b[3] - b[1]) * frac
    return (max(0.0, b[0] - dx), max(0.0, b[1] - dy), min(1.0, b[2] + dx), min(1.0, b[3] + dy))
