import numpy as np

from formcheck.engine.filters import OneEuroFilter


def test_constant_passes_through_and_jitter_is_reduced():
    rng = np.random.default_rng(1)
    f = OneEuroFilter(min_cutoff_hz=1.0, beta=0.0)
    truth = np.full((33, 2), 100.0)
    raw, out = [], []
    for i in range(300):
        x = truth + rng.normal(0, 3.0, truth.shape)
        raw.append(x)
        out.append(f(i / 30, x))
    raw, out = np.array(raw[50:]), np.array(out[50:])
    assert abs(out.mean() - 100.0) < 0.5
    assert out.std() < 0.5 * raw.std()


def test_fast_motion_has_small_lag_with_beta():
    slow = OneEuroFilter(min_cutoff_hz=1.0, beta=0.0, scale=100.0)
    adaptive = OneEuroFilter(min_cutoff_hz=1.0, beta=1.0, scale=100.0)
    errs = {"slow": [], "adaptive": []}
    for i in range(60):
        t = i / 30
        x = np.array([300.0 * t])  # 300 px/s ramp
        errs["slow"].append(abs(slow(t, x)[0] - x[0]))
        errs["adaptive"].append(abs(adaptive(t, x)[0] - x[0]))
    assert np.mean(errs["adaptive"][20:]) < 0.5 * np.mean(errs["slow"][20:])


def test_nan_frames_do_not_raise_and_reentry_starts_fresh():
    f = OneEuroFilter()
    f(0.0, np.array([0.0, 0.0]))
    out = f(1 / 30, np.array([np.nan, 5.0]))
    assert np.isnan(out[0]) and np.isfinite(out[1])
    back = f(2 / 30, np.array([50.0, 5.0]))
    assert back[0] == 50.0  # not dragged from the stale value
    # a long gap resets everything
    assert f(5.0, np.array([-7.0, -7.0]))[0] == -7.0
