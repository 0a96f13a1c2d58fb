"""History store figures: record latency, concurrent writers, file size per session, report time.

    python bench/bench_history.py [--writers 8] [--sessions 100]

Uses the stored landmarks of rowing.mp4 (2 reps, 3 faults) for its report.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--writers", type=int, default=8)
    ap.add_argument("--sessions", type=int, default=100)
    a = ap.parse_args()
    from formcheck.engine.landmarks import PoseSeq
    from formcheck.engine.specs import get_spec
    from formcheck.media.video import VideoInfo
    from formcheck.pipeline import analyze_seq
    from formcheck.results.clinical import write_report
    from formcheck.results.history import History
    from formcheck.results.report import build_report

    seq = PoseSeq.load(ROOT / "tests/fixtures/landmarks/rowing.npz")
    res = analyze_seq(seq, get_spec("seated_row"))
    info = VideoInfo(seq.source, seq.width, seq.height, seq.fps, len(seq), float(seq.t_s[-1] - seq.t_s[0]))
    report = build_report(res, info, seq.source)
    with tempfile.TemporaryDirectory() as d:
        db = Path(d) / "h.db"
        t0 = time.perf_counter()
        hist = History.open(db)
        print(f"create + migrate a new file: {1000 * (time.perf_counter() - t0):.0f} ms")
        t0 = time.perf_counter()
        History.open(db).close()
        print(f"open an up-to-date file: {1000 * (time.perf_counter() - t0):.1f} ms")
        n = 200
        t0 = time.perf_counter()
        for _ in range(n):
            hist.record(report, kind="analyze", person="bench")
        print(f"record one session (one writer, fsync per commit): {1000 * (time.perf_counter() - t0) / n:.1f} ms")
        rp = Path(d) / "r.json"
        rp.write_text(json.dumps(report))
        writer = [sys.executable, str(ROOT / "tests/history_writer.py"), str(db), str(rp)]
        env = os.environ | {"PYTHONPATH": str(ROOT)}
        t0 = time.perf_counter()
        procs = [
            subprocess.Popen([*writer, f"w{k}", str(a.sessions)], stdout=subprocess.PIPE, env=env)
            for k in range(a.writers)
        ]
        for p in procs:
            p.communicate()
        wall = time.perf_counter() - t0
        total = a.writers * (a.sessions + 5)
        print(
            f"{a.writers} processes x {a.sessions} sessions (+5 shared upserts each): {wall:.1f} s wall incl. start-up, "
            f"{total / wall:.0f} sessions/s"
        )
        count = len(hist.sessions())
        for f in (db, Path(f"{db}-wal")):
            if f.exists():
                os.sync()
        import sqlite3

        with sqlite3.connect(db) as c:
            c.execute("pragma wal_checkpoint(TRUNCATE)")
            ok = c.execute("pragma integrity_check").fetchone()[0]
        size = db.stat().st_size
        print(
            f"{count} sessions: {size / 1e6:.2f} MB, {size / count / 1e3:.1f} kB per session "
            f"({report['rep_count']} reps, {len(report['faults'])} faults); integrity_check {ok}"
        )
        sid = hist.latest()
        assert sid is not None
        for ext in ("html", "pdf"):
            t0 = time.perf_counter()
            write_report(hist, sid, Path(d) / f"r.{ext}", video=ROOT / "sample_videos/rowing.mp4")
            print(f"report .{ext} (key frames, trend chart): {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
