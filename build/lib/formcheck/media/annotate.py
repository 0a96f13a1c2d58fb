"""Drawing the engine's frame state onto frames: ``Annotator.draw(rgb, state) -> rgb``.

Colours say the state at a glance: green = in position and no fault,
red = a fault cue is showing, amber = guidance (not in position, out of frame).
Draws in place on the frame it is given (the decoder's fresh buffer).
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from ..engine.analysis import FrameState
from ..engine.landmarks import CONNECTIONS
from ..engine.specs import ExerciseSpec

GREEN = (60, 200, 90)
RED = (230, 50, 50)
AMBER = (240, 170, 30)
WHITE = (255, 255, 255)
DARK = (25, 25, 25)
BACK = (255, 230, 0)
_UNIT = {"deg": " deg", "pct_torso": "%", "torso_lengths": "", "s": "s"}


def _pt(p: np.ndarray) -> tuple[int, int]:
    return int(round(float(p[0]))), int(round(float(p[1])))


class Annotator:
    def __init__(self, spec: ExerciseSpec, width: int, height: int) -> None:
        self.spec = spec
        self.scale = max(0.5, min(width, height) / 720)
        self.thick = max(1, int(round(2 * self.scale)))
        self.font = cv2.FONT_HERSHEY_SIMPLEX
        self._conn = np.array(sorted((int(a), int(b)) for a, b in CONNECTIONS))

    def text(self, img: np.ndarray, text: str, org: tuple[int, int], color=WHITE, size: float = 0.6) -> None:
        """Write ``text`` with an outline (for text not on a darkened band)."""
        cv2.putText(img, text, org, self.font, size * self.scale, DARK, self.thick + 2, cv2.LINE_AA)
        cv2.putText(img, text, org, self.font, size * self.scale, color, self.thick, cv2.LINE_AA)

    def _text(self, img: np.ndarray, text: str, org: tuple[int, int], color=WHITE, size: float = 0.7) -> None:
        # text always sits on a darkened panel or band, so no outline pass is needed
        cv2.putText(img, text, org, self.font, size * self.scale, color, self.thick, cv2.LINE_AA)

    def draw(self, rgb: np.ndarray, st: FrameState) -> np.ndarray:
        img = rgb if rgb.flags.writeable else rgb.copy()
        h, w = img.shape[:2]
        f = st.frame
        colour = RED if st.cue else (GREEN if st.ready else AMBER)
        if st.has_person:
            pts = f.xy
            ok = (f.vis >= 0.5) & np.all(np.isfinite(pts), axis=1)
            for a, b in self._conn:
                if ok[a] and ok[b]:
                    cv2.line(img, _pt(pts[a]), _pt(pts[b]), colour, self.thick + 1, cv2.LINE_AA)
            for i in np.flatnonzero(ok[11:]) + 11:
                cv2.circle(img, _pt(pts[i]), self.thick + 2, WHITE, -1, cv2.LINE_AA)
            traced = any(
                m.kind == "back_curvature" and math.isfinite(st.values.get(n, math.nan))
                for n, m in self.spec.metrics.items()
            )
            if traced and f.back is not None:
                b = f.back[np.isfinite(f.back).all(axis=1)]
                cv2.polylines(img, [np.int32(b).reshape(-1, 1, 2)], False, BACK, self.thick + 1, cv2.LINE_AA)
                cv2.line(img, _pt(b[0]), _pt(b[-1]), WHITE, 1, cv2.LINE_AA)
        # panel
        line = int(30 * self.scale)
        x0, y = int(12 * self.scale), int(34 * self.scale)
        panel_h = line * (3 + len(st.display))
        sub = img[0:panel_h, 0 : int(330 * self.scale)]
        np.right_shift(sub, 1, out=sub)  # halve the brightness in place: cheap, readable
        self._text(img, f"{self.spec.name}", (x0, y), WHITE, 0.6)
        y += line
        self._text(img, f"Reps {st.rep_count}", (x0, y), colour, 0.9)
        y += line
        for label, value, unit in st.display:
            v = "--" if not math.isfinite(value) else f"{value:.0f}{_UNIT.get(unit, '')}"
            self._text(img, f"{label}: {v}", (x0, y), WHITE, 0.6)
            y += line
        self._text(img, f"view {st.view} | t {st.t_s:5.1f}s", (x0, y), WHITE, 0.45)
        # rep progress bar
        if math.isfinite(st.progress):
            bx, by, bw, bh = w - int(40 * self.scale), int(20 * self.scale), int(18 * self.scale), int(160 * self.scale)
            cv2.rectangle(img, (bx, by), (bx + bw, by + bh), WHITE, 1)
            fill = int(bh * st.progress)
            cv2.rectangle(img, (bx, by + bh - fill), (bx + bw, by + bh), colour, -1)
        # cue banner
        msg = st.cue or st.guidance or ("Good form" if st.ready else None)
        if msg:
            bh = int(44 * self.scale)
            band = img[h - bh : h]
            np.right_shift(band, 1, out=band)
            self._text(
                img,
                msg,
                (x0, h - int(14 * self.scale)),
                RED if st.cue else (GREEN if st.ready and not st.guidance else AMBER),
                0.75,
            )
        return img
