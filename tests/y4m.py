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


def write_y4m(parts: list[tuple[Path, float]], dst: Path, size: tuple[int, int] = (640, 480), fps: int = 15) -> int:
    """Concatenate the first ``seconds`` of each clip, letterboxed to ``size``, at ``fps``."""
    w, h = size
    n = 0
    with open(dst, "wb") as fh:
        fh.write(f"YUV4MPEG2 W{w} H{h} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for path, seconds in parts:
            for t, rgb in iter_frames(path, max_fps=fps):
                if t > seconds:
                    break
                frame = av.VideoFrame.from_ndarray(letterbox(rgb, w, h), format="rgb24").reformat(format="yuv420p")
                fh.write(b"FRAME\n")
                fh.write(frame.to_ndarray().tobytes())  # (h * 3 / 2, w): Y then U then V, no padding
                n += 1
    return n
