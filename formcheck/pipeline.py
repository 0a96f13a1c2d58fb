"""Glue between video, pose model and engine: one streaming pass per clip.

Frames are decoded, posed, analysed and (optionally) drawn and encoded one
at a time, so memory does not grow with clip length. The same
:class:`~formcheck.analysis.Analyzer` runs on stored landmarks
(:func:`analyze_seq`), which is how tests and re-analysis skip the model.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .analysis import AnalysisResult, Analyzer, FrameState
from .landmarks import PoseFrame, PoseSeq
from .specs import ExerciseSpec
from .video import VideoInfo, VideoWriter, iter_frames, probe, scaled_size

Progress = Callable[[int, int], None]  # (frames done, frames expected)


class NoPersonError(Exception):
    """No person was found in any frame."""


@dataclass
class PoseOptions:
    model_complexity: int = 1
    max_side: int | None = None  # shrink frames before the model (speed option)
    max_fps: float | None = None  # analyse at most this many frames per second
    back: bool = True  # trace the back outline when the spec needs it


def _near_side(world: np.ndarray) -> str:
    from .views import body_yaw

    y = body_yaw(world)
    return "right" if np.isfinite(y) and y < 0 else "left"


def pose_stream(path: str | Path, opts: PoseOptions, segmentation: bool) -> Iterator[tuple[np.ndarray, PoseFrame]]:
    """Yield ``(rgb, PoseFrame)`` for each analysed frame of ``path``."""
    from .pose import PoseEstimator
    from .silhouette import trace_frame

    with PoseEstimator(opts.model_complexity, segmentation=segmentation) as est:
        for t, rgb in iter_frames(path, max_side=opts.max_side, max_fps=opts.max_fps):
            frame, mask = est.process(t, rgb)
            if mask is not None and frame.has_person:
                frame.back = trace_frame(mask, frame.xy, frame.world, _near_side(frame.world))
            yield rgb, frame


def extract(
    path: str | Path, opts: PoseOptions | None = None, segmentation: bool = True, progress: Progress | None = None
) -> PoseSeq:
    """Run the pose model over a clip and return its landmarks (for ``.npz`` storage)."""
    opts = opts or PoseOptions()
    info = probe(path)
    w, h = scaled_size(info.width, info.height, opts.max_side)
    t, xy, vis, world, back = [], [], [], [], []
    from .silhouette import N_STATIONS

    for i, (_, f) in enumerate(pose_stream(path, opts, segmentation)):
        t.append(f.t_s)
        xy.append(f.xy)
        vis.append(f.vis)
        world.append(f.world)
        back.append(f.back if f.back is not None else np.full((N_STATIONS, 2), np.nan, np.float32))
        if progress:
            progress(i + 1, info.frames)
    return PoseSeq(
        np.array(t),
        np.array(xy),
        np.array(vis),
        np.array(world),
        w,
        h,
        info.fps,
        back=np.array(back) if segmentation else None,
        source=str(path),
    )


def analyze_seq(
    seq: PoseSeq, spec: ExerciseSpec, on_frame: Callable[[FrameState], None] | None = None
) -> AnalysisResult:
    an = Analyzer(spec, seq.width, seq.height)
    for f in seq.frames():
        st = an.update(f)
        if on_frame:
            on_frame(st)
    return an.result()


def analyze_video(
    path: str | Path,
    spec: ExerciseSpec,
    opts: PoseOptions | None = None,
    annotate_to: str | Path | None = None,
    progress: Progress | None = None,
) -> tuple[AnalysisResult, VideoInfo]:
    """Analyse a clip in one pass; optionally write the annotated video (atomically)."""
    opts = opts or PoseOptions()
    info = probe(path)
    w, h = scaled_size(info.width, info.height, opts.max_side)
    an = Analyzer(spec, w, h)
    seg = opts.back and spec.needs_mask
    writer = None
    if annotate_to is not None:
        from .annotate import Annotator

        annotator = Annotator(spec, w, h)
        fps = min(info.fps, opts.max_fps) if opts.max_fps else info.fps
        writer = VideoWriter(annotate_to, (w, h), fps)
        writer.__enter__()
    ok = False
    try:
        for i, (rgb, frame) in enumerate(pose_stream(path, opts, seg)):
            st = an.update(frame)
            if writer is not None:
                writer.write(st.t_s, annotator.draw(rgb, st))
            if progress:
                progress(i + 1, info.frames)
        ok = True
    finally:
        if writer is not None:
            if ok:
                writer.__exit__(None, None, None)
            else:
                writer.__exit__(RuntimeError, RuntimeError("aborted"), None)
    res = an.result()
    if res.frames_with_pose == 0:
        raise NoPersonError(f"{path}: no person found in any of its {res.frames} frames")
    return res, VideoInfo(info.path, w, h, info.fps, res.frames, info.duration_s)
