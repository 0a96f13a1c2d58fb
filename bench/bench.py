"""Where the time goes: formcheck's pipeline against a bare MediaPipe loop on the same frames.

    python bench/bench.py [CLIP ...] [--frames N] [--exercise ID]

The bare model loops run over frames decoded once into memory (so they pay
no decoding); formcheck's rows run the real pipeline from the file, decoding
included. Each variant starts a fresh estimator (the same start-up for all).
Prints frames per second and the ratio to the bare model loop with the same
mediapipe settings (the mask is on when the spec checks the back).
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

os.environ.setdefault("GLOG_minloglevel", "2")


from formcheck.engine.analysis import Analyzer  # noqa: E402
from formcheck.engine.silhouette import trace_frame  # noqa: E402
from formcheck.engine.specs import get_spec  # noqa: E402
from formcheck.media.pose import PoseEstimator  # noqa: E402
from formcheck.media.video import iter_frames, probe  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def bare(frames, segmentation: bool) -> float:
    import mediapipe as mp

    t0 = time.perf_counter()
    with mp.solutions.pose.Pose(model_complexity=1, enable_segmentation=segmentation) as pose:
        for _, rgb in frames:
            pose.process(rgb)
    return time.perf_counter() - t0


def bare_threads(frames, segmentation: bool, threads: int) -> float:
    """The bare loop on mediapipe's graph with ``threads`` inference threads
    (the adapter builds the graph; the loop calls mediapipe directly)."""
    t0 = time.perf_counter()
    with PoseEstimator(segmentation=segmentation, threads=threads) as est:
        for _, rgb in frames:
            est._pose.process(rgb)
    return time.perf_counter() - t0


def ours(clip, spec, annotate: bool, threads: int = 1) -> float:
    """The real pipeline (decode, model, trace, engine, optional annotate+encode)."""
    from formcheck.pipeline import PoseOptions, analyze_video

    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as d:
        analyze_video(
            clip, spec, PoseOptions(model_threads=threads), annotate_to=Path(d) / "a.mp4" if annotate else None
        )
    return time.perf_counter() - t0


def engine_on_frames(frames, spec) -> float:
    """Model + back trace + engine on pre-decoded frames: the same input as the bare loop."""
    from formcheck.pipeline import _near_side

    h, w = frames[0][1].shape[:2]
    t0 = time.perf_counter()
    an = Analyzer(spec, w, h)
    with PoseEstimator(segmentation=spec.needs_mask) as est:
        for t, rgb in frames:
            f, mask = est.process(t, rgb)
            if mask is not None and f.has_person:
                f.back = trace_frame(mask, f.xy, f.world, _near_side(f.world))
            an.update(f)
    an.result()
    return time.perf_counter() - t0


def raw_loop_from_file(clip, segmentation: bool, n: int) -> float:
    """What a user would write first: OpenCV capture, BGR->RGB, mediapipe."""
    import cv2
    import mediapipe as mp

    t0 = time.perf_counter()
    cap = cv2.VideoCapture(str(clip))
    with mp.solutions.pose.Pose(model_complexity=1, enable_segmentation=segmentation) as pose:
        for _ in range(n):
            ok, bgr = cap.read()
            if not ok:
                break
            pose.process(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    cap.release()
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
        seg = spec.needs_mask
        rows = {
            "decode only (PyAV, rgb24)": decode,
            "bare mediapipe, no mask (decoded frames)": min(bare(frames, False) for _ in range(a.repeat)),
            "bare mediapipe, with mask (decoded frames)": min(bare(frames, True) for _ in range(a.repeat)),
            "formcheck model + trace + engine (decoded frames)": min(
                engine_on_frames(frames, spec) for _ in range(a.repeat)
            ),
            "raw OpenCV + mediapipe loop from the file": min(raw_loop_from_file(clip, seg, n) for _ in range(a.repeat)),
            "formcheck analyze from the file": min(ours(clip, spec, False) for _ in range(a.repeat)),
            "formcheck analyze --annotate from the file": min(ours(clip, spec, True) for _ in range(a.repeat)),
        }
        rows["back trace alone (on the model's masks)"] = trace_cost(frames)
        base = rows[f"bare mediapipe, {'with' if seg else 'no'} mask (decoded frames)"]
        print(
            f"\n{Path(clip).name}: {n} frames {info.width}x{info.height}, exercise {spec.id} (mask {'on' if spec.needs_mask else 'off'})"
        )
        print("| step | s | frames/s | x bare model |\n|---|---|---|---|")
        for k, v in rows.items():
            print(f"| {k} | {v:.2f} | {n / v:.1f} | {v / base:.2f} |")
        th = os.cpu_count() or 1
        if th > 1:  # what `formcheck analyze` does alone on the machine: all cores to the model
            many = {
                f"bare mediapipe, {th} inference threads": min(bare_threads(frames, seg, th) for _ in range(a.repeat)),
                f"formcheck analyze, {th} threads": min(ours(clip, spec, False, th) for _ in range(a.repeat)),
                f"formcheck analyze --annotate, {th} threads": min(ours(clip, spec, True, th) for _ in range(a.repeat)),
            }
            base_th = next(iter(many.values()))
            print(f"\nwith {th} inference threads (the default of `analyze` alone on the machine)")
            print(
                "| step | s | frames/s | x bare model (same threads) | x bare model (1 thread) |\n|---|---|---|---|---|"
            )
            for k, v in many.items():
                print(f"| {k} | {v:.2f} | {n / v:.1f} | {v / base_th:.2f} | {v / base:.2f} |")


if __name__ == "__main__":
    main()
