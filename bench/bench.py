"""Where the time goes: formcheck against a bare MediaPipe loop on the same frames.

    python bench/bench.py [CLIP] [--frames N] [--back-exercise ID] [--plain-exercise ID] [--runs 3]

The bare loop is the cost floor: MediaPipe's PoseLandmarker (VIDEO mode, one
person, no mask) over frames decoded once into memory. formcheck runs the
same frames through its adapter, the back trace (when the spec checks the
back), and the engine, in the threads ``analyze`` uses; "from the file" rows
add decoding (and drawing plus H.264 encoding with --annotate). Every variant gets a fresh estimator; the
variants are interleaved and each is run ``--runs`` times, and the median is
reported. Speed is frames per second and its ratio to the bare loop (1.00 =
as fast as the bare model; higher is faster).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from formcheck.engine.analysis import Analyzer
from formcheck.engine.specs import ExerciseSpec, get_spec
from formcheck.media.pose import DEFAULT_MODEL, PoseEstimator, quiet_native
from formcheck.media.video import iter_frames, probe
from formcheck.pipeline import PoseOptions, analyze_video, pose_frames

ROOT = Path(__file__).resolve().parent.parent
Frames = list


def bare(frames: Frames, mask: bool) -> float:
    """The floor: MediaPipe Tasks called directly, nothing done with the results."""
    import mediapipe as mp
    from mediapipe.tasks.python import BaseOptions, vision

    opts = vision.PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(DEFAULT_MODEL)),
        running_mode=vision.RunningMode.VIDEO,
        output_segmentation_masks=mask,
    )
    with quiet_native():
        lm = vision.PoseLandmarker.create_from_options(opts)
        lm.detect_for_video(mp.Image(image_format=mp.ImageFormat.SRGB, data=frames[0][1]), 0)  # warm-up
    t0 = time.perf_counter()
    for i, (t, rgb) in enumerate(frames):
        lm.detect_for_video(mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb), 1 + int(t * 1000) + i)
    dt = time.perf_counter() - t0
    with quiet_native():
        lm.close()
    return dt


def on_frames(frames: Frames, spec: ExerciseSpec) -> float:
    """formcheck on the decoded frames, through the pipeline ``analyze`` runs
    (:func:`formcheck.pipeline.pose_frames`: the frames prepared for the model on
    one thread, the model on another, the back trace and engine on this one):
    the adapter (+ mask and back trace when the spec checks the back, + the look
    for other people) and the engine."""
    h, w = frames[0][1].shape[:2]
    an = Analyzer(spec, w, h)
    with PoseEstimator(segmentation=spec.needs_mask) as est:
        est.process(0.0, frames[0][1])  # warm-up, as in the bare loop
        t0 = time.perf_counter()
        for _, frame in pose_frames(est, iter(frames)):  # the pipeline analyze runs, on frames in memory
            an.update(frame)
        an.result()
        return time.perf_counter() - t0


def from_file(clip: Path, spec: ExerciseSpec, annotate: bool, n: int) -> float:
    """``formcheck analyze`` on the file: decoding (and drawing and encoding) included."""
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as d:
        analyze_video(clip, spec, PoseOptions(), annotate_to=Path(d) / "a.mp4" if annotate else None)
    return (time.perf_counter() - t0) * n / probe(clip).frames


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("clip", nargs="?", default=str(ROOT / "sample_videos" / "cat_cow_side.mp4"))
    ap.add_argument("--frames", type=int, default=300)
    ap.add_argument("--back-exercise", default="cat_cow", help="a spec that checks the back (mask on)")
    ap.add_argument("--plain-exercise", default="superman", help="a spec that does not (mask off)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--no-file", action="store_true", help="skip the from-the-file rows")
    a = ap.parse_args()
    back, plain = get_spec(a.back_exercise), get_spec(a.plain_exercise)
    assert back.needs_mask and not plain.needs_mask, "--back-exercise must check the back, --plain-exercise not"
    clip = Path(a.clip)
    info = probe(clip)
    t0 = time.perf_counter()
    frames: Frames = []
    for item in iter_frames(clip):
        frames.append(item)
        if len(frames) >= a.frames:
            break
    n = len(frames)
    decode = (time.perf_counter() - t0) / n
    variants: dict[str, Callable[[], float]] = {
        "bare MediaPipe loop, no mask (the floor)": lambda: bare(frames, False),
        "bare MediaPipe loop, with its full-size mask": lambda: bare(frames, True),
        f"formcheck on the frames, back check ({back.id})": lambda: on_frames(frames, back),
        f"formcheck on the frames, no back check ({plain.id})": lambda: on_frames(frames, plain),
    }
    if not a.no_file:
        variants |= {
            f"formcheck analyze from the file ({back.id})": lambda: from_file(clip, back, False, n),
            f"formcheck analyze from the file ({plain.id})": lambda: from_file(clip, plain, False, n),
            f"formcheck analyze --annotate from the file ({back.id})": lambda: from_file(clip, back, True, n),
        }
    times: dict[str, list[float]] = {k: [] for k in variants}
    for _ in range(a.runs):  # interleaved: drift on a shared machine hits every variant alike
        for k, fn in variants.items():
            times[k].append(fn())
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, python {platform.python_version()}; "
        f"{clip.name}: {n} frames {info.width}x{info.height}; median of {a.runs} interleaved runs"
    )
    base = statistics.median(times[next(iter(variants))])
    print("| step | s | frames/s | speed vs bare loop |\n|---|---|---|---|")
    print(f"| decode only (PyAV, rgb24, per frame x {n}) | {decode * n:.2f} | {1 / decode:.1f} | - |")
    for k, ts in times.items():
        m = statistics.median(ts)
        spread = f" ({min(base / t for t in ts):.2f}-{max(base / t for t in ts):.2f})" if len(ts) > 1 else ""
        print(f"| {k} | {m:.2f} | {n / m:.1f} | {base / m:.2f}{spread} |")


if __name__ == "__main__":
    main()
