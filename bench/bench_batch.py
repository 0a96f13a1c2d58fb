"""Batch throughput (1 vs N jobs) and peak memory of `analyze` against clip length.

    python bench/bench_batch.py [--clips 6] [--jobs 2]

Throughput: a folder of N copies of a sample clip, `formcheck batch` with
--jobs 1 and --jobs N, wall time -> clips per minute and speed-up.
Ceiling: the bare MediaPipe loop (frames decoded into memory first) alone,
then N copies of it at once: the speed-up the model itself allows on these
cores, which batch (decoding, tracing and writing too) cannot beat.
Memory: `formcheck analyze --annotate` in a subprocess on the clip and on a
clip 8 times longer (the same frames looped, re-encoded), peak RSS of each.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-m", "formcheck.apps.cli"]
ENV = dict(os.environ)


def run(args: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(CLI + args, check=False, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


BARE = """
import sys, time
import mediapipe as mp
from mediapipe.tasks.python import BaseOptions, vision
from formcheck.media.pose import DEFAULT_MODEL, quiet_native
from formcheck.media.video import iter_frames
frames = [f for _, f in iter_frames(sys.argv[1])]
opts = vision.PoseLandmarkerOptions(base_options=BaseOptions(model_asset_path=str(DEFAULT_MODEL)),
                                    running_mode=vision.RunningMode.VIDEO)
with quiet_native():
    lm = vision.PoseLandmarker.create_from_options(opts)
ms = 0
for f in frames[:10]:
    ms += 33
    lm.detect_for_video(mp.Image(image_format=mp.ImageFormat.SRGB, data=f), ms)
sys.stdout.write("ready\\n"); sys.stdout.flush()
sys.stdin.readline()  # start together
t0 = time.perf_counter()
for f in frames * 3:
    ms += 33
    lm.detect_for_video(mp.Image(image_format=mp.ImageFormat.SRGB, data=f), ms)
print(3 * len(frames) / (time.perf_counter() - t0))
"""


def bare_loops(clip: Path, n: int) -> float:
    """Total frames/s of ``n`` bare MediaPipe loops started at the same moment."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", BARE, str(clip)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=ENV,
        )
        for _ in range(n)
    ]
    for p in procs:  # every loop decoded and warmed up
        assert p.stdout is not None and p.stdout.readline().strip() == "ready"
    for p in procs:
        assert p.stdin is not None
        p.stdin.write("go\n")
        p.stdin.flush()
    return sum(float(p.communicate()[0].strip()) for p in procs)


def peak_rss_mb(args: list[str]) -> float:
    """Peak RSS of one child process (ru_maxrss of the children so far is a running max,
    so each measurement runs in a fresh Python that reports its own)."""
    code = (
        "import resource, subprocess, sys; "
        f"subprocess.run({CLI + args!r}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=ENV, check=True)
    return int(out.stdout.strip()) / 1024


def looped(src: Path, dst: Path, times: int) -> None:
    from formcheck.media.video import VideoWriter, iter_frames, probe

    info = probe(src)
    frames = list(iter_frames(src))
    period = frames[-1][0] + 1 / info.fps
    with VideoWriter(dst, (info.width, info.height), info.fps) as w:
        for k in range(times):
            for t, rgb in frames:
                w.write(k * period + t, rgb)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clip", default=str(ROOT / "sample_videos" / "seated_cable_row.mp4"))
    ap.add_argument("--exercise", default="seated_row")
    ap.add_argument("--clips", type=int, default=6)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    a = ap.parse_args()
    src = Path(a.clip)
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        folder = d / "clips"
        folder.mkdir()
        for i in range(a.clips):
            shutil.copy(src, folder / f"clip{i:02d}{src.suffix}")
        rows = []
        for jobs in (1, a.jobs):
            out = d / f"out{jobs}"
            t = run(["batch", str(folder), "-e", a.exercise, "-o", str(out), "-j", str(jobs), "--no-progress"])
            rows.append((jobs, t))
        print(f"batch: {a.clips} x {src.name}, {os.cpu_count()} cores")
        print("| jobs | wall s | clips/min | speed-up |\n|---|---|---|---|")
        for jobs, t in rows:
            print(f"| {jobs} | {t:.1f} | {60 * a.clips / t:.1f} | {rows[0][1] / t:.2f} |")
        one, many = bare_loops(src, 1), bare_loops(src, a.jobs)
        print("\nceiling: bare MediaPipe loops (with mask) at once, total frames/s")
        print("| loops | frames/s | speed-up |\n|---|---|---|")
        print(f"| 1 | {one:.1f} | 1.00 |\n| {a.jobs} | {many:.1f} | {many / one:.2f} |")
        long = d / "long.mp4"
        looped(src, long, 8)
        print("\nanalyze --annotate peak memory (subprocess RSS)")
        print("| clip | length | peak RSS MB |\n|---|---|---|")
        for clip, label in ((src, "1x"), (long, "8x")):
            from formcheck.media.video import probe

            mb = peak_rss_mb(
                ["analyze", str(clip), "-e", a.exercise, "-o", str(d / "mem"), "--annotate", "--no-progress"]
            )
            print(f"| {label} | {probe(clip).duration_s:.0f} s | {mb:.0f} |")


if __name__ == "__main__":
    main()
