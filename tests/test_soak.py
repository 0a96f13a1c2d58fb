"""Hours without slowing down: ten minutes of a live stream through LiveCoach (stored landmarks
of a sample clip, looped, as the page feeds it: the stats polled twice a second, the session
saved to the history after each rep). Per-frame latency and memory stay flat.
bench/soak_live.py does the same with the real model (figures in the README)."""

from __future__ import annotations

import os
import pickle
import time
from pathlib import Path

import numpy as np

from formcheck.apps.live import LiveCoach
from formcheck.apps.live_history import LiveHistory
from formcheck.engine.landmarks import PoseSeq
from formcheck.engine.specs import get_spec
from formcheck.results.history import History

FIX = Path(__file__).parent / "fixtures" / "landmarks"
MINUTES = 10


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def test_ten_minutes_of_live_stream_stay_flat(tmp_path):
    seq = PoseSeq.load(FIX / "rowing.npz")
    coach = LiveCoach(get_spec("seated_row"))
    rec = LiveHistory(coach, History.open(tmp_path / "history.db"))
    per_min = int(round(60 * seq.fps))
    lat = np.zeros(MINUTES * per_min)
    rss: list[float] = []
    shown: list[int] = []
    for k in range(MINUTES * per_min):
        f = seq.frame(k % len(seq))
        f.t_s = k / seq.fps
        t0 = time.perf_counter()
        coach.feed(f, (seq.width, seq.height))
        lat[k] = time.perf_counter() - t0
        if k % int(seq.fps / 2) == 0:  # the page's stats, twice a second, and its rep checkpoint
            s = coach.snapshot()
            shown.append(s.reps)
            if s.reps > rec.reps_seen:
                rec.reps_seen = s.reps
                coach.checkpoint("rep")
        if (k + 1) % per_min == 0:
            rss.append(rss_mb())
    ms = lat.reshape(MINUTES, per_min) * 1000
    p1, p10 = np.percentile(ms[0], [50, 95]), np.percentile(ms[-1], [50, 95])
    print(f"minute 1: p50 {p1[0]:.2f} p95 {p1[1]:.2f} ms; minute 10: p50 {p10[0]:.2f} p95 {p10[1]:.2f} ms")
    print(f"RSS {rss[0]:.0f} -> {rss[-1]:.0f} MB; {shown[-1]} reps; history session {rec.session_id}")
    assert shown == sorted(shown) and shown[-1] >= 10 * MINUTES  # the clip rows about 15 times a minute
    assert p10[0] <= 1.5 * p1[0] + 0.3
    assert p10[1] <= 2.0 * p1[1] + 1.0
    assert rss[-1] - rss[0] < 30
    # what a history checkpoint holds the frames up for (the engine serialised) stays small
    t0 = time.perf_counter()
    pickle.dumps(coach._an, pickle.HIGHEST_PROTOCOL)
    held_s = time.perf_counter() - t0
    print(f"a history checkpoint holds the frames {held_s * 1000:.1f} ms after {shown[-1]} reps")
    assert held_s < 0.05
    assert rec.session_id is not None and rec.error is None
