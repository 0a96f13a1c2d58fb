"""Glue between video, pose model and engine: one streaming pass per clip.

Frames are decoded, posed, analysed and (optionally) drawn and encoded one
at a time, so memory does not grow with clip length. The same
:class:`~formcheck.analysis.Analyzer` runs on stored landmarks
(:func:`analyze_seq`), which is how tests and re-analysis skip the model.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .engine.analysis import AnalysisResult, Analyzer, FrameState
from .engine.landmarks import PoseFrame, PoseSeq
from .engine.recognise import EngineRun
from .engine.segment import Segment
from .engine.specs import ExerciseSpec
from .media.video import VideoInfo, VideoWriter, iter_frames, prefetch, probe, scaled_size

if TYPE_CHECKING:
    from .media.pose import PoseEstimator

Progress = Callable[[int, int], None]  # (frames done, frames expected)


class NoPersonError(Exception):
    """No person was found in any frame."""


@dataclass
class PoseOptions:
    model: str | None = None  # a .task pose model (default: the shipped full model)
    max_side: int | None = None  # shrink frames before the model (speed option)
    max_fps: float | None = None  # analyse at most this many frames per second
    back: bool = True  # trace the back outline when the spec needs it
    decode_threads: int = 0  # 0 = FFmpeg decides; 1 when parallel workers share the cores
    crowd: bool = True  # look for other people now and then, and keep following the exerciser


def _near_side(world: np.ndarray) -> str:
    from .engine.views import body_yaw

    y = body_yaw(world)
    return "right" if np.isfinite(y) and y < 0 else "left"


def pose_frame(est: PoseEstimator, t_s: float, rgb: np.ndarray) -> PoseFrame:
    """One frame through the pose model, with the back outline traced when the
    estimator makes a mask."""
    return with_back(*est.process(t_s, rgb), rgb.shape)


def with_back(frame: PoseFrame, mask: np.ndarray | None, shape: tuple[int, ...]) -> PoseFrame:
    """``frame`` with its back outline traced on ``mask`` (of a frame of ``shape``).
    The mask may be smaller than the frame: the outline is traced at its size and
    returned in frame pixels."""
    from .engine.silhouette import trace_frame

    if mask is not None and frame.has_person:
        s = mask.shape[1] / shape[1]
        back = trace_frame(mask, frame.xy * s, frame.world, _near_side(frame.world))
        frame.back = back / s if s != 1.0 else back
    return frame


def pose_frames(
    est: PoseEstimator, frames: Iterator[tuple[float, np.ndarray]]
) -> Iterator[tuple[np.ndarray, PoseFrame]]:
    """Yield ``(rgb, PoseFrame)`` for ``(t_s, rgb)`` frames, the model running ahead.

    Three stages overlap on the cores: the frames' source (decoding) and their
    preparation for the model (shrinking, wrapping) on one thread, the pose
    model (which releases the GIL) on another, and here, on the caller's, the
    back trace and whatever the caller does with each frame (the engine,
    drawing). The model's thread does little but the model, which sets the
    pace. The results are those of :func:`pose_frame` one frame at a time.
    """
    import threading

    stop = threading.Event()
    ready = prefetch((t, rgb, est.prepare(rgb, stop)) for t, rgb in frames)
    posed = prefetch(((rgb, *est.process(t, rgb, prep)) for t, rgb, prep in ready), size=2, name="pose")
    try:
        for rgb, frame, mask in posed:
            yield rgb, with_back(frame, mask, rgb.shape)
    finally:  # stop the stages in order: a waiting prepare, the model, the decoder
        stop.set()
        posed.close()
        ready.close()


def pose_stream(path: str | Path, opts: PoseOptions, segmentation: bool) -> Iterator[tuple[np.ndarray, PoseFrame]]:
    """Yield ``(rgb, PoseFrame)`` for each analysed frame of ``path``."""
    from .media.pose import PoseEstimator

    with PoseEstimator(opts.model, segmentation=segmentation, crowd=opts.crowd) as est:
        yield from pose_frames(est, iter_frames(path, opts.max_side, opts.max_fps, opts.decode_threads))


def extract(
    path: str | Path, opts: PoseOptions | None = None, segmentation: bool = True, progress: Progress | None = None
) -> PoseSeq:
    """Run the pose model over a clip and return its landmarks (for ``.npz`` storage)."""
    opts = opts or PoseOptions()
    info = probe(path)
    w, h = scaled_size(info.width, info.height, opts.max_side)
    t, xy, vis, world, back, people = [], [], [], [], [], []
    from .engine.silhouette import N_STATIONS

    for i, (_, f) in enumerate(pose_stream(path, opts, segmentation)):
        t.append(f.t_s)
        xy.append(f.xy)
        vis.append(f.vis)
        world.append(f.world)
        back.append(f.back if f.back is not None else np.full((N_STATIONS, 2), np.nan, np.float32))
        people.append(f.people)
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
        people=np.array(people),
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


class _AnnotateSink:
    """Draws and encodes frames on a background thread (OpenCV and FFmpeg release
    the GIL), so annotation overlaps the pose model instead of adding to it.
    A bounded queue keeps memory flat; an error in the thread is re-raised."""

    def __init__(self, spec: ExerciseSpec, path: str | Path, size: tuple[int, int], fps: float) -> None:
        import queue
        import threading

        from .media.annotate import Annotator

        self._size = size
        self._annotators = {spec.id: Annotator(spec, *size)}
        self._spec = spec
        self._writer = VideoWriter(path, size, fps)
        self._q: queue.Queue = queue.Queue(maxsize=8)
        self._error: BaseException | None = None
        self._writer.__enter__()
        self._thread = threading.Thread(target=self._run, name="annotate", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            item = self._q.get()
            if item is None:
                return
            if self._error is None:
                rgb, st, annotator = item
                try:
                    self._writer.write(st.t_s, annotator.draw(rgb, st))
                except BaseException as e:  # surfaced in put()/close()
                    self._error = e

    def put(self, rgb: np.ndarray, st: FrameState, spec: ExerciseSpec | None = None) -> None:
        """Queue a frame and its state, drawn for ``spec`` (default: the sink's)."""
        if self._error is not None:
            raise self._error
        spec = spec or self._spec
        if spec.id not in self._annotators:
            from .media.annotate import Annotator

            self._annotators[spec.id] = Annotator(spec, *self._size)
        self._q.put((rgb, st, self._annotators[spec.id]))

    def close(self, ok: bool) -> None:
        self._q.put(None)
        self._thread.join()
        if ok and self._error is None:
            self._writer.__exit__(None, None, None)
        else:
            self._writer.__exit__(RuntimeError, RuntimeError("aborted"), None)
        if ok and self._error is not None:
            raise self._error


def annotate_seq(
    path: str | Path, seq: PoseSeq, spec: ExerciseSpec, out: str | Path, opts: PoseOptions | None = None
) -> None:
    """Draw stored landmarks' analysis onto the video they came from (no model run)."""
    opts = opts or PoseOptions()
    info = probe(path)
    fps = min(info.fps, opts.max_fps) if opts.max_fps else info.fps
    an = Analyzer(spec, seq.width, seq.height)
    sink = _AnnotateSink(spec, out, (seq.width, seq.height), fps)
    ok = False
    try:
        frames = iter_frames(path, opts.max_side, opts.max_fps, opts.decode_threads)
        for (_, rgb), f in zip(frames, seq.frames(), strict=False):
            sink.put(rgb, an.update(f))
        ok = True
    finally:
        sink.close(ok)


def analyze_segments(
    seq: PoseSeq, specs: dict[str, ExerciseSpec], runs: dict[str, EngineRun] | None = None, body=None
) -> list[tuple[Segment, ExerciseSpec, AnalysisResult]]:
    """Split a recording into exercise segments and analyse each with its spec
    (a fresh engine per segment, times kept in the recording's seconds).
    ``runs``: every spec's engine over ``seq`` (``recognise.run_all``), if already run;
    ``body``: ``posture.analyse(seq)``, if already measured."""
    from .engine.segment import slice_seq, split

    out = []
    for seg in split(seq, specs, runs, body):
        spec = specs[seg.exercise]
        out.append((seg, spec, analyze_seq(slice_seq(seq, seg.start_s, seg.end_s), spec)))
    return out


#: What the CLI, batch and the page say when no spec fits.
NONE_OF_THEM = "this looks like none of the exercises formcheck knows"


@dataclass
class AutoResult:
    """``--exercise auto`` on a recording: ``parts`` holds two or more segments (several
    exercises), one (the exercise, over the whole recording) or none (none of them);
    ``recognition`` is the report's ``recognition`` object for the whole recording."""

    parts: list[tuple[Segment, ExerciseSpec, AnalysisResult]]
    recognition: dict


def recognition_dict(
    best: str | None, conf: float, cands: list, postures: dict[str, float], candidates: int = 5
) -> dict:
    """The report's ``recognition`` object: the exercise (or ``unknown``), its confidence, the
    closest candidates (fits first, then the rejected with why) and the body positions seen."""
    rec = {
        "exercise": best or "unknown",
        "confidence": conf,
        "candidates": [c.to_dict() for c in cands[:candidates]],
        "posture": postures,
    }
    if best is None:
        rec["message"] = NONE_OF_THEM
    return rec


def recognise_clip(seq: PoseSeq, specs: dict[str, ExerciseSpec]) -> dict:
    """Whole-clip recognition only (no splitting): the ``recognition`` object."""
    from .engine.body import analyse
    from .engine.recognise import needed_joints, recognise

    summ = analyse(seq, needed_joints(specs)).summary()
    best, conf, cands = recognise(seq, specs, None, summ)
    return recognition_dict(best, conf, cands, summ.postures)


def auto(seq: PoseSeq, specs: dict[str, ExerciseSpec], candidates: int = 5) -> AutoResult:
    """Recognise the exercise(s) of a recording: posture and moving joints first
    (:mod:`formcheck.engine.recognise`), split when it holds several, or none of them."""
    from .engine.body import analyse
    from .engine.recognise import needed_joints, plausible, recognise, run_all

    body = analyse(seq, needed_joints(specs))
    summ = body.summary()
    runs = run_all(seq, plausible(specs, summ))
    best, conf, cands = recognise(seq, specs, runs, summ)
    rec = recognition_dict(best, conf, cands, summ.postures, candidates)
    parts = analyze_segments(seq, {k: specs[k] for k in runs}, runs, body)
    if len(parts) >= 2:
        return AutoResult(parts, rec)
    if best is None:
        return AutoResult([], rec)
    spec = specs[best]
    res = analyze_seq(seq, spec)
    t0, t1 = float(seq.t_s[0]), float(seq.t_s[-1])
    r0 = min((r.start_s for r in res.reps), default=t0)
    r1 = max((r.end_s for r in res.reps), default=t1)
    return AutoResult([(Segment(best, t0, t1, r0, r1, conf), spec, res)], rec)


def annotate_segments(
    path: str | Path,
    seq: PoseSeq,
    parts: list[tuple[Segment, ExerciseSpec]],
    out: str | Path,
    opts: PoseOptions | None = None,
) -> None:
    """Like :func:`annotate_seq`, each segment's frames drawn with its own spec and engine."""
    opts = opts or PoseOptions()
    info = probe(path)
    fps = min(info.fps, opts.max_fps) if opts.max_fps else info.fps
    analyzers = [Analyzer(spec, seq.width, seq.height) for _, spec in parts]
    starts = [seg.start_s for seg, _ in parts]
    sink = _AnnotateSink(parts[0][1], out, (seq.width, seq.height), fps)
    ok = False
    try:
        frames = iter_frames(path, opts.max_side, opts.max_fps, opts.decode_threads)
        for (_, rgb), f in zip(frames, seq.frames(), strict=False):
            k = max(0, bisect.bisect_right(starts, f.t_s) - 1)
            sink.put(rgb, analyzers[k].update(f), parts[k][1])
        ok = True
    finally:
        sink.close(ok)


def analyze_video(
    path: str | Path,
    spec: ExerciseSpec,
    opts: PoseOptions | None = None,
    annotate_to: str | Path | None = None,
    progress: Progress | None = None,
    on_state: Callable[[FrameState], None] | None = None,
) -> tuple[AnalysisResult, VideoInfo]:
    """Analyse a clip in one pass; optionally write the annotated video (atomically)."""
    opts = opts or PoseOptions()
    info = probe(path)
    w, h = scaled_size(info.width, info.height, opts.max_side)
    an = Analyzer(spec, w, h)
    seg = opts.back and spec.needs_mask
    sink = None
    if annotate_to is not None:
        fps = min(info.fps, opts.max_fps) if opts.max_fps else info.fps
        sink = _AnnotateSink(spec, annotate_to, (w, h), fps)
    ok = False
    try:
        for i, (rgb, frame) in enumerate(pose_stream(path, opts, seg)):
            st = an.update(frame)
            if on_state is not None:
                on_state(st)
            if sink is not None:
                sink.put(rgb, st)
            if progress:
                progress(i + 1, info.frames)
        ok = True
    finally:
        if sink is not None:
            sink.close(ok)
    res = an.result()
    if res.frames_with_pose == 0:
        if annotate_to is not None:
            Path(annotate_to).unlink(missing_ok=True)  # an error leaves nothing behind
        raise NoPersonError(f"{path}: no person found in any of its {res.frames} frames")
    return res, VideoInfo(info.path, w, h, info.fps, res.frames, info.duration_s)
