"""Soak a live session with the real model: a looped sample clip through LiveCoach.process for
MINUTES of wall time, as the page runs it (the stats polled twice a second, the session saved to
the history after each rep). Prints per-minute frame latency percentiles and the process RSS.

    python bench/soak_live.py [--minutes 10] [--clip sample_videos/rowing.mp4 --start 0.9 --end 5.7] [--exercise seated_row]

Frames are decoded once (640x480, letterboxed like a webcam, at most 30 a second) and fed back to
back with media times 1/fps apart, so the model never waits for a camera: the latency is the work
per frame.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def webcam_frames(clip: Path, start_s: float, end_s: float, size: tuple[int, int] = (640, 480)) -> list[np.ndarray]:
    import cv2

    from formcheck.media.video import iter_frames

    w, h = size
    out = []
    for t, rgb in iter_frames(clip, max_fps=30):
        if not start_s <= t <= end_s:
            continue
        ih, iw = rgb.shape[:2]
        k = min(w / iw, h / ih)
        nw, nh = int(iw * k) // 2 * 2, int(ih * k) // 2 * 2
        img = np.zeros((h, w, 3), np.uint8)
        y0, x0 = (h - nh) // 2, (w - nw) // 2
        img[y0 : y0 + nh, x0 : x0 + nw] = cv2.resize(rgb, (nw, nh), interpolation=cv2.INTER_AREA)
        out.append(img)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--clip", type=Path, default=ROOT / "sample_videos/rowing.mp4")
    ap.add_argument("--start", type=float, default=0.9, help="loop from (s): one full row, arms straight to straight")
    ap.add_argument("--end", type=float, default=5.7, help="loop to (s)")
    ap.add_argument("--exercise", default="seated_row")
    ap.add_argument("--fps", type=float, default=30.0, help="the camera's frame rate: media time per frame is 1/fps")
    args = ap.parse_args()

    from formcheck.apps.live import LiveCoach
    from formcheck.apps.live_history import LiveHistory
    from formcheck.engine.specs import get_spec
    from formcheck.results.history import History

    frames = webcam_frames(args.clip, args.start, args.end)
    coach = LiveCoach(get_spec(args.exercise))
    with tempfile.TemporaryDirectory() as d:
        rec = LiveHistory(coach, History.open(Path(d) / "history.db"))
        print(
            f"{args.clip.name} {args.start:g}-{args.end:g} s ({len(frames)} frames, looped) as {args.exercise}, "
            f"{args.minutes:g} min",
            flush=True,
        )
        print("minute | frames | p50 ms | p95 ms | p99 ms | max ms | RSS MB | reps", flush=True)
        t_start = time.perf_counter()
        minute, lat, k = 1, [], 0
        while True:
            t0 = time.perf_counter()
            coach.process(k / args.fps, frames[k % len(frames)].copy())  # it draws on the frame it is given
            t1 = time.perf_counter()
            lat.append((t1 - t0) * 1000)
            if k % max(1, int(args.fps / 2)) == 0:
                s = coach.snapshot()
                if s.reps > rec.reps_seen:
                    rec.reps_seen = s.reps
                    coach.checkpoint("rep")
            k += 1
            if t1 - t_start >= minute * 60:
                a = np.array(lat)
                p = np.percentile(a, [50, 95, 99])
                print(
                    f"{minute} | {len(a)} | {p[0]:.1f} | {p[1]:.1f} | {p[2]:.1f} | {a.max():.1f} | {rss_mb():.0f} | "
                    f"{coach.snapshot().reps}",
                    flush=True,
                )
                lat = []
                minute += 1
                if minute > args.minutes:
                    break
        coach.close()


if __name__ == "__main__":
    main()
