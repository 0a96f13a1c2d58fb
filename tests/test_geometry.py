import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from formcheck.engine import geometry as geo

coord = st.floats(-500, 500, allow_nan=False)
pt2 = st.tuples(coord, coord).map(np.array)


def test_joint_angle_known_values():
    a, b = np.array([1.0, 0.0]), np.array([0.0, 0.0])
    assert geo.joint_angle(a, b, np.array([0.0, 1.0])) == 90.0
    assert np.isclose(geo.joint_angle(a, b, np.array([-1.0, 0.0])), 180.0)
    assert np.isclose(geo.joint_angle(a, b, np.array([1.0, 1.0])), 45.0)


def test_joint_angle_vectorised_and_nan_safe():
    a = np.array([[1.0, 0, 0], [np.nan, 0, 0]])
    b = np.zeros((2, 3))
    c = np.array([[0, 1.0, 0], [0, 1.0, 0]])
    out = geo.joint_angle(a, b, c)
    assert out.shape == (2,)
    assert np.isclose(out[0], 90.0) and np.isnan(out[1])


@settings(max_examples=200)
@given(pt2, pt2, pt2, st.floats(0, 2 * np.pi), st.floats(0.1, 10), pt2)
def test_joint_angle_invariant_to_rotation_translation_scale(a, b, c, theta, k, shift):
    if min(np.linalg.norm(a - b), np.linalg.norm(c - b)) < 1e-2:
        return
    r = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    base = geo.joint_angle(a, b, c)
    moved = geo.joint_angle(k * r @ a + shift, k * r @ b + shift, k * r @ c + shift)
    assert 0.0 <= base <= 180.0
    assert abs(base - moved) < 1e-5 * max(1.0, 1 / min(np.linalg.norm(a - b), np.linalg.norm(c - b)))


def test_elevation_image_and_world():
    hip = np.array([0.0, 0.0])
    assert np.isclose(geo.elevation(hip, np.array([1.0, 0.0])), 0.0)  # level
    assert np.isclose(geo.elevation(hip, np.array([0.0, -1.0])), 90.0)  # straight up (y down)
    assert np.isclose(geo.elevation(hip, np.array([-1.0, -1.0])), 45.0)  # facing left, same angle
    # in 3D the horizontal part is measured in the x-z plane: facing the camera or sideways is the same
    assert np.isclose(geo.elevation(np.zeros(3), np.array([0.0, -1.0, 1.0])), 45.0)
    assert np.isclose(geo.elevation(np.zeros(3), np.array([1.0, -1.0, 0.0])), 45.0)


@given(st.floats(-89, 89), st.floats(0, 360))
def test_elevation_world_is_independent_of_heading(el, heading):
    e, h = np.radians(el), np.radians(heading)
    v = np.array([np.cos(e) * np.cos(h), -np.sin(e), np.cos(e) * np.sin(h)])
    assert abs(geo.elevation(np.zeros(3), v) - el) < 1e-6


def test_lateral_angle():
    ls, rs = np.array([0.2, 0.0, 0.0]), np.array([-0.2, 0.0, 0.0])
    sh = ls
    assert np.isclose(geo.lateral_angle(sh, sh + [0, 0.3, 0], ls, rs), 0.0)  # hanging
    assert np.isclose(geo.lateral_angle(sh, sh + [0, 0, 0.3], ls, rs), 0.0)  # pulled back
    assert np.isclose(geo.lateral_angle(sh, sh + [0.3, 0, 0], ls, rs), 90.0)  # straight out
    assert np.isclose(geo.lateral_angle(sh, sh + [0.3, 0, 0.3], ls, rs), 45.0)


def test_lean_signed_by_facing_direction():
    f = geo.forward_dir(np.array([0.2, 0, 0]), np.array([-0.2, 0, 0]))
    assert np.allclose(f, [0, 0, -1])  # facing the camera
    hip = np.zeros(3)
    assert np.isclose(geo.lean(hip, np.array([0, -1.0, 0]), f), 0.0)
    assert np.isclose(geo.lean(hip, np.array([0, -1.0, -1.0]), f), 45.0)  # toward the camera = forward
    assert np.isclose(geo.lean(hip, np.array([0, -1.0, 1.0]), f), -45.0)


def test_point_line_offset_sign():
    a, b = np.array([0.0, 0.0]), np.array([10.0, 0.0])
    assert geo.point_line_offset(np.array([5.0, 2.0]), a, b) == 2.0
    assert geo.point_line_offset(np.array([5.0, -3.0]), a, b) == -3.0


def test_chest_normal_points_out_of_the_chest():
    ls, rs = np.array([0.2, -0.5, 0]), np.array([-0.2, -0.5, 0])
    n = geo.chest_normal(ls, rs, np.zeros(3), np.array([0, -0.5, 0]))
    assert np.allclose(n, [0, 0, -1])  # upright, facing the camera


@given(st.floats(-170, 170), st.floats(-180, 180))
@settings(max_examples=60)
def test_twist_is_the_turn_of_the_shoulders_over_the_hips(turn, heading):
    """Hips along x, shoulders turned ``turn`` deg to the person's left (left shoulder
    back, away from the camera: +z), the whole body then facing any ``heading``."""
    th = np.radians(turn)
    hips = np.array([[0.1, 0.0, 0.0], [-0.1, 0.0, 0.0]])  # left, right: facing the camera (-z)
    sh = np.array([[0.18 * np.cos(th), -0.5, 0.18 * np.sin(th)], [-0.18 * np.cos(th), -0.5, -0.18 * np.sin(th)]])
    h = np.radians(heading)  # the whole body turned about the vertical: not a twist
    rot = np.array([[np.cos(h), 0, np.sin(h)], [0, 1, 0], [-np.sin(h), 0, np.cos(h)]])
    ls, rs, lh, rh = (p @ rot.T for p in (*sh, *hips))
    assert abs(geo.twist(ls, rs, lh, rh) - turn) < 1e-6


def test_twist_ignores_a_lean_of_the_torso():
    lh, rh = np.array([0.1, 0, 0]), np.array([-0.1, 0, 0])
    # torso leaning forward 50 deg (toward -z), shoulders square
    up = np.array([0, -np.sin(np.radians(40)), -np.cos(np.radians(40))]) * 0.5
    assert abs(geo.twist(up + [0.18, 0, 0], up - [0.18, 0, 0], lh, rh)) < 1e-9
