"""Video input and output: the only module that opens media files.

Frames are yielded as ``(t_s, rgb)`` where ``rgb`` is ``(H, W, 3) uint8`` in RGB
order (what the pose model wants: no colour conversion downstream) and ``t_s``
is the media time from the container's timestamps, strictly increasing.
Decoding and resizing happen inside FFmpeg (PyAV), which is several times
cheaper than resizing and converting in Python.
"""

from __future__ import annotations

import math
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TypeVar

import av
import numpy as np

from ..io_utils import atomic_path

T = TypeVar("T")

VIDEO_EXTENSIONS = frozenset({".mp4", ".mov", ".m4v", ".avi", ".mkv", ".webm", ".mpg", ".mpeg", ".wmv"})


class VideoError(Exception):
    """A file that cannot be read as a video (message is user-facing, one line)."""


@dataclass(frozen=True)
class VideoInfo:
    path: str
    width: int
    height: int
    fps: float
    frames: int
    duration_s: float


def _rotated_size(w: int, h: int, rotation: int) -> tuple[int, int]:
    return (h, w) if rotation % 180 else (w, h)


def _open(path: str | Path) -> av.container.InputContainer:
    p = Path(path)
    if not p.exists():
        raise VideoError(f"{p}: no such file")
    if p.is_dir():
        raise VideoError(f"{p}: is a folder, not a video file")
    if p.stat().st_size == 0:
        raise VideoError(f"{p}: empty file")
    try:
        container = av.open(str(p))
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as e:
        raise VideoError(f"{p}: not a readable video ({type(e).__name__}: {e})") from None
    if not container.streams.video:
        container.close()
        raise VideoError(f"{p}: contains no video stream")
    return container


def probe(path: str | Path) -> VideoInfo:
    """Read size, frame rate and length from the container without decoding."""
    container = _open(path)
    try:
        s = container.streams.video[0]
        fps = float(s.average_rate or s.guessed_rate or 30)
        if s.duration is not None and s.time_base is not None:
            duration = float(s.duration * s.time_base)
        elif container.duration:
            duration = container.duration / av.time_base
        else:
            duration = 0.0
        frames = s.frames or int(round(duration * fps))
        w, h = s.codec_context.width, s.codec_context.height
        if not w or not h:
            raise VideoError(f"{path}: video stream has no frame size")
        return VideoInfo(str(path), w, h, fps, frames, duration)
    finally:
        container.close()


def scaled_size(w: int, h: int, max_side: int | None) -> tuple[int, int]:
    """Size after shrinking so the longer side is at most ``max_side`` (even numbers)."""
    if not max_side or max(w, h) <= max_side:
        return w, h
    k = max_side / max(w, h)
    return max(2, int(round(w * k / 2)) * 2), max(2, int(round(h * k / 2)) * 2)


def iter_frames(
    path: str | Path, max_side: int | None = None, max_fps: float | None = None, threads: int = 0
) -> Iterator[tuple[float, np.ndarray]]:
    """Yield ``(t_s, rgb)`` frames of ``path``; the file is closed however the loop ends.

    ``rgb`` is a C-contiguous ``(H, W, 3) uint8`` array.

    ``max_side`` shrinks frames in the decoder; ``max_fps`` skips frames so no
    two yielded frames are closer than ``1 / max_fps`` seconds; ``threads``
    caps FFmpeg's decoding threads (0 = automatic; batch workers sharing the
    cores use 1). Raises
    :class:`VideoError` for unreadable input, including a file that has no
    decodable frame at all.
    """
    container = _open(path)
    try:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        if threads:
            stream.codec_context.thread_count = threads
        start = stream.start_time if stream.start_time is not None else 0
        tb = stream.time_base or Fraction(1, 1000)
        last_t = -math.inf
        min_gap = 1.0 / max_fps if max_fps else 0.0
        n = 0
        try:
            for frame in container.decode(stream):
                if frame.pts is None:
                    t = (last_t + 1e-3) if n else 0.0
                else:
                    t = float((frame.pts - start) * tb)
                if t <= last_t or (min_gap and t < last_t + min_gap - 1e-6):
                    continue
                w, h = scaled_size(frame.width, frame.height, max_side)
                rgb: np.ndarray = frame.to_ndarray(format="rgb24", width=w, height=h)
                rot = getattr(frame, "rotation", 0) or 0
                if rot:
                    rgb = np.rot90(rgb, k=int(rot) // 90)
                # FFmpeg pads rows (1080 px wide: 3264 bytes, not 3240); the pose model's C API
                # reads rows back to back, so hand on a packed copy (made here, on the decode thread)
                rgb = np.ascontiguousarray(rgb)
                last_t = t
                n += 1
                yield t, rgb
        except av.error.FFmpegError as e:
            if n == 0:
                raise VideoError(f"{path}: could not decode any frame ({e})") from None
            raise VideoError(f"{path}: decoding failed after {n} frames ({e})") from None
        if n == 0:
            raise VideoError(f"{path}: the video has no frames")
    finally:
        container.close()


def prefetch(items: Iterator[T], size: int = 4, name: str = "decode") -> Generator[T, None, None]:
    """Run ``items`` ahead on a background thread named ``name`` (FFmpeg and the pose
    model release the GIL), so that stage overlaps the consumer's work. At most
    ``size`` items wait in memory. Errors in the stage are re-raised in the
    consumer; stopping early stops the thread (and closes ``items``)."""
    import queue
    import threading

    q: queue.Queue = queue.Queue(maxsize=size)
    stop = threading.Event()
    done = object()

    def run() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        q.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    break
            q.put(done)
        except BaseException as e:  # handed to the consumer
            q.put(e)
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    th = threading.Thread(target=run, name=name, daemon=True)
    th.start()
    try:
        while True:
            item = q.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while th.is_alive():
            try:
                q.get_nowait()
            except queue.Empty:
                th.join(timeout=0.05)


class VideoWriter:
    """H.264 MP4 writer (plays in browsers) with media-time stamps; atomic on close.

    Use as a context manager; the file appears at ``path`` only when the
    ``with`` block finishes without an exception.
    """

    def __init__(self, path: str | Path, size_wh: tuple[int, int], fps: float, crf: int = 23) -> None:
        self.path = Path(path)
        w, h = size_wh
        self.size = (w - w % 2, h - h % 2)
        self.fps = fps
        self.crf = crf
        self._atomic = atomic_path(self.path)
        self._container: av.container.OutputContainer | None = None

    def __enter__(self) -> VideoWriter:
        self._tmp = self._atomic.__enter__()
        self._container = av.open(str(self._tmp), mode="w", format="mp4")
        s = self._container.add_stream("libx264", rate=Fraction(self.fps).limit_denominator(1001))
        s.width, s.height = self.size
        s.pix_fmt = "yuv420p"
        s.time_base = Fraction(1, 90000)
        # superfast: ~40 % less CPU than veryfast for ~1.5x the size; the pose model needs the cores
        s.options = {"crf": str(self.crf), "preset": "superfast", "movflags": "+faststart"}
        s.codec_context.thread_type = "AUTO"
        self._stream = s
        self._last_pts = -1
        return self

    def write(self, t_s: float, rgb: np.ndarray) -> None:
        w, h = self.size
        if rgb.shape[1] != w or rgb.shape[0] != h:
            rgb = np.ascontiguousarray(rgb[:h, :w])
        frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
        pts = max(int(round(t_s * 90000)), self._last_pts + 1)
        frame.pts = pts
        frame.time_base = self._stream.time_base
        self._last_pts = pts
        assert self._container is not None
        for packet in self._stream.encode(frame):
            self._container.mux(packet)

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if self._container is not None:
                if exc_type is None:
                    for packet in self._stream.encode():
                        self._container.mux(packet)
                self._container.close()
        finally:
            self._atomic.__exit__(exc_type, exc, tb)
