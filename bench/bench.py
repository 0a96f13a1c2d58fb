"""Where the time goes: formcheck's pipeline against a bare MediaPipe loop on the same frames.

    python bench/bench.py [CLIP ...] [--frames N] [--exercise ID]

Frames are decoded once into memory, then each variant runs over the same
frames in a fresh estimator (mediapipe's tracking state makes the first frames
slower, so every variant pays the same start-up). Prints frames per second and
the ratio to the bare model loop with the same mediapipe settings.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

os.environ.setdefault("GLOG_minloglevel", "2")

import numpy as np  # noqa: E402

from formcheck.analysis import Analyzer  # noqa: E402
from formcheck.annotate import Annotator  # noqa: E402
from formcheck.pose import PoseEstimator  # noqa: E402
from formcheck.silhouette import trace_frame  # noqa: E402
from formcheck.specs import get_spec  # noqa: E402
from formcheck.video import VideoWriter, iter_frames, probe  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def bare(frames, segmentation: bool) -> float:
    import mediapipe as mp

    t0 = time.perf_counter()
    with mp.solutions.pose.Pose(model_complexity=1, enable_segmentation=segmentation) as pose:
        for _, rgb in frames:
            pose.process(rgb)
    return time.perf_counter() - t0


def ours(frames, spec, annotate: bool, fps: float) -> float:
    h, w = frames[0][1].shape[:2]
    t0 = time.perf_counter()
    an = Analyzer(spec, w, h)
    ann = Annotator(spec, w, h) if annotate else None
    with tempfile.TemporaryDirectory() as d:
        writer = VideoWriter(Path(d) / "a.mp4", (w, h), fps) if annotate else None
        if writer:
            writer.__enter__()
        with PoseEstimator(segmentation=spec.needs_mask) as est:
            for t, rgb in frames:
                f, mask = est.process(t, rgb)
                if mask is not None and f.has_person:
                    f.back = trace_frame(
                        mask,
                        f.xy,
                        f.world,
                        "left" if np.nanmean(f.world[[11, 23], 2]) < np.nanmean(f.world[[12, 24], 2]) else "right",
                    )
                st = an.update(f)
                if writer and ann:
                    writer.write(t, ann.draw(rgb.copy(), st))
        an.result()
        if writer:
            writer.__exit__(None, None, None)
    return time.perf_counter() - t0


def trace_cost(frames) -> float:
    """Seconds spent tracing the back outline alone, over the same frames."""
    masks = []
    with PoseEstimator(segmentation=True) as est:
        for t, rgb in frames:
            f, m = est.process(t, rgb)
            if m is not None and f.has_person:
                masks.append((f, m))
    t0 = time.perf_counter()
    for f, m in masks:
        trace_frame(m, f.xy, f.world, "left")
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("clips", nargs="*", default=[str(ROOT / "sample_videos" / "seated_cable_row.mp4")])
    ap.add_argument("--frames", type=int, default=240)
    ap.add_argument("--exercise", default="seated_row")
    ap.add_argument("--repeat", type=int, default=2)
    a = ap.parse_args()
    spec = get_spec(a.exercise)
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, python {platform.python_version()}"
    )
    for clip in a.clips:
        info = probe(clip)
        t0 = time.perf_counter()
        frames = []
        for t, rgb in iter_frames(clip):
            frames.append((t, rgb))
            if len(frames) >= a.frames:
                break
        decode = time.perf_counter() - t0
        n = len(frames)
        rows = {
            "decode only (PyAV, rgb24)": decode,
            "bare mediapipe, no mask": min(bare(frames, False) for _ in range(a.repeat)),
            "bare mediapipe, with mask": min(bare(frames, True) for _ in range(a.repeat)),
            "formcheck analyse": min(ours(frames, spec, False, info.fps) for _ in range(a.repeat)),
            "formcheck analyse + annotate": min(ours(frames, spec, True, info.fps) for _ in range(a.repeat)),
        }
        rows["back trace alone (on the model's masks)"] = trace_cost(frames)
        base = rows["bare mediapipe, with mask" if spec.needs_mask else "bare mediapipe, no mask"]
        print(
            f"\n{Path(clip).name}: {n} frames {info.width}x{info.height}, exercise {spec.id} (mask {'on' if spec.needs_mask else 'off'})"
        )
        print("| step | s | frames/s | x bare model |\n|---|---|---|---|")
        for k, v in rows.items():
            print(f"| {k} | {v:.2f} | {n / v:.1f} | {v / base:.2f} |")


if __name__ == "__main__":
    main()
