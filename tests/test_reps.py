"""The rep counter driven frame by frame on built signals."""

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from formcheck.engine.reps import RepCounter, State
from formcheck.engine.specs import Reps

CFG = Reps(
    metric="elbow",
    direction="decreasing",
    rest=140,
    count=115,
    full=100,
    unit="deg",
    min_duration_s=0.6,
    max_duration_s=12,
    hold_band=8,
    max_gap_s=0.5,
    reason="test",
)
FPS = 30


def elbow_signal(
    n_reps: int,
    low: float = 85.0,
    high: float = 165.0,
    rep_s: float = 2.0,
    lead_s: float = 1.0,
    noise: float = 0.0,
    seed: int = 0,
) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int((lead_s * 2 + n_reps * rep_s) * FPS)) / FPS
    ph = np.clip((t - lead_s) / rep_s, 0, n_reps)
    x = high - (high - low) * (0.5 - 0.5 * np.cos(2 * np.pi * ph))
    return x + rng.normal(0, noise, len(t))


def run(signal, ready=None, cfg=CFG):
    c = RepCounter(cfg)
    events = []
    for i, v in enumerate(signal):
        ev = c.update(i / FPS, float(v), True if ready is None else bool(ready[i]))
        if ev is not None:
            events.append(ev)
    return c, events


def test_exact_count_clean_and_noisy():
    for noise in (0.0, 2.0, 4.0):
        c, ev = run(elbow_signal(7, noise=noise, seed=3))
        assert c.count == 7, noise
        assert all(e.counted and e.full for e in ev)


def test_rep_timing_fields():
    _, ev = run(elbow_signal(1))
    e = ev[0]
    assert 0.9 < e.start_s < 1.4 and 2.6 < e.end_s < 3.1
    assert abs(e.peak_s - 2.0) < 0.1
    assert e.concentric_s > 0 and e.eccentric_s > 0
    assert e.start_s < e.peak_s < e.end_s


def test_hovering_at_thresholds_makes_no_phantom_reps():
    rng = np.random.default_rng(0)
    at_rest_edge = CFG.rest + rng.normal(0, 3, 300)  # hovering around rest
    at_count_edge = np.r_[np.full(30, 160.0), CFG.count + rng.normal(0, 3, 300), np.full(30, 160.0)]
    assert run(at_rest_edge)[0].count == 0
    assert run(at_count_edge)[0].count == 1  # one excursion, however long it hovers at the count line


def test_short_dropouts_keep_the_count_long_ones_drop_the_rep():
    sig = elbow_signal(5)
    short = sig.copy()
    short[80:88] = np.nan  # ~0.27 s gap inside rep 2
    assert run(short)[0].count == 5
    long = sig.copy()
    long[80:110] = np.nan  # 1 s gap: that rep cannot be trusted
    assert run(long)[0].count == 4


def test_no_reps_before_the_setup_gate_and_rest_position():
    sig = elbow_signal(5)
    ready = np.ones(len(sig), bool)
    ready[: 30 + 2 * 60] = False  # getting into position during the first two reps
    assert run(sig, ready)[0].count == 3


def test_clip_starting_and_ending_mid_rep():
    sig = elbow_signal(4)
    mid = sig[30 + 30 : -30 - 45]  # starts at a peak, ends on the way up
    c, ev = run(mid)
    assert c.count == 2
    assert c.state is State.ACTIVE  # the last partial rep is open, not counted


def test_partial_attempt_is_reported_not_counted():
    sig = np.r_[np.full(30, 160.0), elbow_signal(1, low=125, lead_s=0)[:60], np.full(30, 160.0), elbow_signal(2)]
    c, ev = run(sig)
    assert c.count == 2
    attempt = [e for e in ev if not e.counted]
    assert len(attempt) == 1 and attempt[0].index is None


def test_partial_range_rep_counts_but_is_not_full():
    _, ev = run(elbow_signal(2, low=108))
    assert [e.counted for e in ev] == [True, True]
    assert not any(e.full for e in ev)


def test_too_fast_is_not_a_rep_and_hold_is_timed():
    _, ev = run(elbow_signal(3, rep_s=0.4))
    assert not any(e.counted for e in ev)
    plain = elbow_signal(1)
    held = np.r_[plain[:60], np.full(45, 85.0), plain[60:]]  # 1.5 s pause at the top
    _, ev_plain = run(plain)
    _, ev_held = run(held)
    # the hold is the time within hold_band of the peak: the pause plus the rounded turn
    assert abs((ev_held[0].hold_s - ev_plain[0].hold_s) - 1.5) < 0.1
    assert ev_plain[0].hold_s < 0.6


def test_increasing_direction():
    cfg = CFG.model_copy(update=dict(direction="increasing", rest=-60, count=-35, full=-20))
    sig = -elbow_signal(4, low=10, high=85) + 0  # -85 .. -10
    assert run(sig, cfg=cfg)[0].count == 4


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(0, 6),
    noise=st.floats(0, 5),
    rep_s=st.floats(0.8, 4),
    low=st.floats(60, 160),
    drops=st.lists(st.integers(0, 500), max_size=20),
    seed=st.integers(0, 100),
)
def test_count_never_exceeds_full_oscillations(n, noise, rep_s, low, drops, seed):
    sig = elbow_signal(n, low=low, rep_s=rep_s, noise=noise, seed=seed)
    for d in drops:
        if d < len(sig):
            sig[d] = math.nan
    c, _ = run(sig)
    assert 0 <= c.count <= n
    if low > CFG.count + 5 * noise + 1:  # never reaches the count line, even with a noise spike
        assert c.count == 0


def test_relative_thresholds_follow_each_persons_rest_value():
    cfg = CFG.model_copy(update=dict(baseline="rest", rest=-10.0, count=-30.0, full=-45.0))
    for offset in (-40.0, 0.0, 25.0):  # the same movement from different resting values
        sig = elbow_signal(5, low=110, high=165, noise=1.5, seed=2) + offset
        assert run(sig, cfg=cfg)[0].count == 5, offset
    # absolute thresholds would miss the shifted person entirely
    assert run(elbow_signal(5, low=110, high=165) + 40.0)[0].count == 0
