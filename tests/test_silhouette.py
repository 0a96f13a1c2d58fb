"""Back outline and curvature on drawn silhouettes with known shape."""

import cv2
import numpy as np
import pytest

from formcheck.engine.silhouette import N_STATIONS, SPAN, back_curvature, trace_back

HIP, SHOULDER = np.array([200.0, 420.0]), np.array([620.0, 300.0])  # bent forward, facing right
LENGTH = float(np.hypot(*(SHOULDER - HIP)))
U = (SHOULDER - HIP) / LENGTH
BACK_N = np.array([U[1], -U[0]])  # the normal pointing up, out of the back


def silhouette(bulge: float, depth: float = 60.0, arm_at: float | None = None) -> np.ndarray:
    """Torso mask: belly 50 px below the chord, back edge ``depth + bulge*4u(1-u)`` above it."""
    mask = np.zeros((720, 900), np.uint8)
    u = np.linspace(-0.05, 1.05, 200)
    base = HIP + u[:, None] * (SHOULDER - HIP)
    back = base + (depth + bulge * 4 * u * (1 - u))[:, None] * BACK_N
    belly = base - 50.0 * BACK_N
    cv2.fillPoly(mask, [np.int32(np.r_[back, belly[::-1]])], 1)
    if arm_at is not None:  # an upper arm rising from the side, past the back line (a row's top)
        p = HIP + arm_at * (SHOULDER - HIP)
        cv2.line(mask, tuple(np.int32(p)), tuple(np.int32(p + 140 * BACK_N)), 1, 36)
    return mask.astype(np.float32)


@pytest.mark.parametrize("bulge_frac", [-0.15, -0.08, 0.0, 0.05, 0.1, 0.2])
def test_curvature_sign_and_size_follow_the_drawn_shape(bulge_frac):
    pts = trace_back(silhouette(bulge_frac * LENGTH, depth=90.0), HIP, SHOULDER, BACK_N)
    assert np.isfinite(pts).all()
    pct, where = back_curvature(pts, SHOULDER, HIP)
    # the deviation is measured from the line through the mean of the two end stations
    # at each end; for a parabola 4u(1-u) that line sits at this height:
    s = np.linspace(*SPAN, N_STATIONS)
    ends = np.mean(4 * s[:2] * (1 - s[:2]))
    assert pct == pytest.approx(100 * (1 - ends) * bulge_frac, abs=0.5)
    if abs(bulge_frac) >= 0.05:
        assert 0.35 < where < 0.65  # the bulge is mid-back


def test_traced_points_lie_on_the_back_edge():
    pts = trace_back(silhouette(0.0, depth=60.0), HIP, SHOULDER, BACK_N)
    dist = (pts - HIP) @ BACK_N
    assert np.allclose(dist, 60.0, atol=1.6)  # a binary mask is exact to a pixel


def test_back_direction_only_picks_the_side():
    a = trace_back(silhouette(0.1 * LENGTH), HIP, SHOULDER, BACK_N)
    b = trace_back(silhouette(0.1 * LENGTH), HIP, SHOULDER, 5.0 * BACK_N + U)
    assert np.allclose(a, b, equal_nan=True)


def test_arm_crossing_the_back_is_dropped_not_traced():
    mask = silhouette(0.0, arm_at=0.5)
    elbow = HIP + 0.5 * (SHOULDER - HIP) + 100 * BACK_N
    with_occ = trace_back(mask, HIP, SHOULDER, BACK_N, occluders_xy=elbow[None])
    assert np.isnan(with_occ[6:9]).all()  # stations under the arm are dropped
    pct, _ = back_curvature(with_occ, SHOULDER, HIP)
    assert np.isnan(pct) or abs(pct) < 1.5  # never a false rounding
    # without knowing where the arm is, the jump in the edge makes the frame unreliable
    blind = trace_back(mask, HIP, SHOULDER, BACK_N)
    assert np.isnan(back_curvature(blind, SHOULDER, HIP)[0])


def test_unreliable_inputs_give_nan():
    empty = np.zeros((720, 900), np.float32)
    assert np.isnan(trace_back(empty, HIP, SHOULDER, BACK_N)).all()
    assert np.isnan(back_curvature(np.full((15, 2), np.nan), SHOULDER, HIP)[0])
    assert np.isnan(trace_back(silhouette(0), HIP, HIP + 2, BACK_N)).all()  # degenerate chord
    # the body runs off the top of the image: the edge found there is the border, not the back
    cut = silhouette(0.0)
    cut[:330] = 1.0
    pts = trace_back(cut, HIP, SHOULDER, BACK_N)
    assert np.isnan(pts[-4:]).all()
