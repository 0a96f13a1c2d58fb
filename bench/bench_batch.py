"""Batch throughput (1 vs N jobs) and peak memory of `analyze` against clip length.

    python bench/bench_batch.py [--clips 6] [--jobs 2] [--runs 3]
    python bench/bench_batch.py --folder DIR [--min-s 4] [--max-s 20] [--runs 3]

Throughput: a folder of copies of a sample clip (same-clip mode), or every
clip of 4-20 s under DIR (mixed-length mode: real clips of different lengths,
linked from a temporary folder, never copied), `formcheck batch` with --jobs 1
and --jobs N, wall time -> clips per minute and speed-up, ``--runs`` times.
Ceiling: the bare MediaPipe loop (frames decoded into memory first) alone,
then N copies of it at once: the speed-up the model itself allows on these
cores, which batch (decoding, tracing and writing too) cannot beat.
Memory: `formcheck analyze --annotate` in a subprocess on the clip and on a
clip 8 times longer (the same frames looped, re-encoded), peak RSS of each.
"""

from __future__ import annotations

import argparse
import heapq
import json
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


def mixed_clips(folder: Path, dst: Path, min_s: float, max_s: float) -> list[tuple[str, float]]:
    """Link every clip of ``min_s``-``max_s`` seconds under ``folder`` into ``dst`` (flat names in
    the folder's path order); returns (relative path, duration) of each."""
    from formcheck.apps.batch import find_clips, output_stem
    from formcheck.media.video import VideoError, probe

    picked, taken = [], set()
    for p in find_clips(folder):
        try:
            dur = probe(p).duration_s
        except VideoError:
            continue
        if min_s <= dur <= max_s:
            rel = p.relative_to(folder).as_posix()
            (dst / f"{output_stem(rel, taken)}{p.suffix}").symlink_to(p.resolve())
            picked.append((rel, dur))
    return picked


def schedule_bound(seconds: dict[str, float], order: list[str], workers: int) -> float:
    """The speed-up an order of clips allows with ideal workers (no start-up, no sharing):
    total clip time over the makespan when each clip goes to the first free worker."""
    free = [0.0] * workers  # a heap of the times the workers come free
    for rel in order:
        heapq.heapreplace(free, free[0] + seconds[rel])
    return sum(seconds.values()) / max(free)


def any_order_bounds(seconds: dict[str, float], workers: int) -> list[float]:
    """:func:`schedule_bound` of every order the clips could come in (a random 5,000 when
    there are more than 8 clips): what path order gives depends on the names."""
    import itertools
    import random

    names = sorted(seconds)
    if len(names) <= 8:
        orders = itertools.permutations(names)
    else:
        rng = random.Random(0)
        orders = (rng.sample(names, len(names)) for _ in range(5000))
    return sorted(schedule_bound(seconds, list(o), workers) for o in orders)


def throughput(folder: Path, d: Path, exercise: str, jobs: int, runs: int, n_clips: int, ceiling: Path | None) -> None:
    """``runs`` x (batch with 1 job, then with ``jobs``): one table row per run. "busy" is the
    clips' own seconds over ``jobs`` x wall: what is left to 100 % is start-up, and workers
    idle at the end waiting for the last clip. With mixed lengths, "schedule bound" is what
    the order alone allows (:func:`schedule_bound`, from the 1-job run's clip times): in this
    folder's path order, in any order (median and worst of :func:`any_order_bounds`), and
    longest first (what batch does)."""
    from formcheck.apps.batch import longest_first, plan

    head = f"| run | load avg | 1 job: wall s | {jobs} jobs: wall s | speed-up | clips/min (1 / {jobs}) | busy ({jobs} jobs)"
    extra = " | schedule bound: path order / any order (median, worst) / longest first |"
    extra = f" | ceiling: {jobs} bare loops vs 1 |" if ceiling else extra
    print(head + extra)
    print("|---" * (head.count("|") + 1) + "|")
    jobs_in_path_order = plan(folder, exercise, None)
    orders = [[j.rel for j in jobs_in_path_order], [j.rel for j in longest_first(jobs_in_path_order)]]
    for k in range(1, runs + 1):
        load = os.getloadavg()[0]  # other work on the machine skews the figures: shown beside them
        t, busy, alone = {}, 0.0, {}
        for n in (1, jobs):
            out = d / f"out{k}-{n}"
            t[n] = run(["batch", str(folder), "-e", exercise, "-o", str(out), "-j", str(n), "--no-progress"])
            rows = json.loads((out / "summary.json").read_text())["results"]
            busy = sum(r["seconds"] for r in rows) / (n * t[n])
            alone = alone or {r["path"]: r["seconds"] for r in rows}  # the 1-job run's clip times
            shutil.rmtree(out)
        row = f"| {k} | {load:.1f} | {t[1]:.1f} | {t[jobs]:.1f} | {t[1] / t[jobs]:.2f} | "
        row += f"{60 * n_clips / t[1]:.1f} / {60 * n_clips / t[jobs]:.1f} | {busy:.0%} |"
        if ceiling:
            row += f" {bare_loops(ceiling, jobs) / bare_loops(ceiling, 1):.2f} |"
        else:
            path, longest = (schedule_bound(alone, o, jobs) for o in orders)
            anyo = any_order_bounds(alone, jobs)
            row += f" {path:.2f} / {anyo[len(anyo) // 2]:.2f}, {anyo[0]:.2f} / {longest:.2f} |"
        print(row, flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clip", default=str(ROOT / "sample_videos" / "seated_cable_row.mp4"))
    ap.add_argument("--exercise", default="seated_row")
    ap.add_argument("--clips", type=int, default=6, help="same-clip mode: copies of --clip")
    ap.add_argument("--folder", type=Path, help="mixed-length mode: the clips under this folder (recursive)")
    ap.add_argument("--min-s", type=float, default=4.0, help="mixed-length mode: shortest clip taken")
    ap.add_argument("--max-s", type=float, default=20.0, help="mixed-length mode: longest clip taken")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--no-memory", action="store_true", help="skip the peak-memory measurement")
    a = ap.parse_args()
    src = Path(a.clip)
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        folder = d / "clips"
        folder.mkdir()
        if a.folder:
            picked = mixed_clips(a.folder, folder, a.min_s, a.max_s)
            if not picked:
                sys.exit(f"no clips of {a.min_s:g}-{a.max_s:g} s under {a.folder}")
            print(f"batch: {len(picked)} clips of {a.min_s:g}-{a.max_s:g} s under {a.folder}, {os.cpu_count()} cores")
            for rel, dur in picked:
                print(f"  {rel}: {dur:.1f} s")
            throughput(folder, d, a.exercise, a.jobs, a.runs, len(picked), None)
            return
        for i in range(a.clips):
            shutil.copy(src, folder / f"clip{i:02d}{src.suffix}")
        print(f"batch: {a.clips} x {src.name}, {os.cpu_count()} cores")
        throughput(folder, d, a.exercise, a.jobs, a.runs, a.clips, src)
        if a.no_memory:
            return
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
