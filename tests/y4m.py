"""Write clips as a raw .y4m file: what Chromium's fake webcam plays (no ffmpeg needed)."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

from formcheck.media.video import iter_frames


def letterbox(rgb: np.ndarray, w: int, h: int) -> np.ndarray:
    import cv2

    ih, iw = rgb.shape[:2]
    k = min(w / iw, h / ih)
    nw, nh = int(iw * k) // 2 * 2, int(ih * k) // 2 * 2
    out = np.zeros((h, w, 3), np.uint8)
    y0, x0 = (h - nh) // 2, (w - nw) // 2
    out[y0 : y0 + nh, x0 : x0 + nw] = cv2.resize(rgb, (nw, nh), interpolation=cv2.INTER_AREA)
    return out


def write_y4m(
    parts: list[tuple[Path, float] | tuple[Path, float, float]],
    dst: Path,
    size: tuple[int, int] = (640, 480),
    fps: int = 15,
    speed: float = 1.0,
) -> int:
    """Concatenate clips, letterboxed to ``size``, at ``fps``, played ``speed`` times as fast
    (frames skipped): each part is ``(path, seconds)`` (its first seconds) or ``(path, start_s, end_s)``."""
    w, h = size
    n = 0
    with open(dst, "wb") as fh:
        fh.write(f"YUV4MPEG2 W{w} H{h} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for path, *span in parts:
            start, end = (0.0, span[0]) if len(span) == 1 else span
            due = start  # media time of the next frame out
            for t, rgb in iter_frames(path):
                if t > end:
                    break
                if t + 1e-6 < due:
                    continue
                due += speed / fps
                frame = av.VideoFrame.from_ndarray(letterbox(rgb, w, h), format="rgb24").reformat(format="yuv420p")
                fh.write(b"FRAME\n")
                fh.write(frame.to_ndarray().tobytes())  # (h * 3 / 2, w): Y then U then V, no padding
                n += 1
    return n
