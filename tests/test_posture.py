"""Body position per frame from the body alone: every posture from synthetic bodies, the
same answers with the camera tilted 10 degrees, ``unknown`` (with what it is still
consistent with) when the needed landmarks are out of frame, and the joint ranges."""

from dataclasses import replace

import numpy as np
import pytest
from kinematics import Pose, anchored, reps, sequence

from formcheck.engine.body import JOINTS, analyse, summarise
from formcheck.engine.landmarks import Landmark as L
from formcheck.engine.landmarks import PoseSeq
from formcheck.engine.posture import POSTURES, UNKNOWN, classify, frame_postures

SIDE, OBLIQUE, FRONT = 90.0, 45.0, 0.0

STILL = {
    "standing": Pose(yaw=SIDE, torso=88, thigh=(-88.0, 0.0), shank=(-92.0, 180.0)),
    "hinged": Pose(yaw=SIDE, torso=35, thigh=(-80.0, 0.0), shank=(-95.0, 180.0)),
    "seated": Pose(yaw=SIDE, torso=88, thigh=(0.0, 0.0), shank=(-85.0, 180.0)),
    "kneeling": Pose(yaw=SIDE, torso=88, thigh=(-88.0, 0.0), shank=(0.0, 180.0)),
    "supine": Pose(yaw=SIDE, torso=180, thigh=(45.0, 0.0), shank=(-45.0, 0.0)),
    "prone": Pose(
        yaw=SIDE, torso=0.0, upper_arm=(0.0, 0.0), forearm=(0.0, 0.0), thigh=(0.0, 180.0), shank=(0.0, 180.0)
    ),
    "all_fours": Pose(yaw=SIDE, torso=0.0, thigh=(-90.0, 0.0), shank=(0.0, 180.0)),
    "on_bench": Pose(yaw=SIDE, torso=45, thigh=(-45.0, 180.0), shank=(-70.0, 180.0)),  # a 45-degree bench
    "head_down": Pose(yaw=SIDE, torso=-60, thigh=(-45.0, 180.0), shank=(-45.0, 180.0)),
}


def tilted(seq: PoseSeq, roll: float = 0.0, pitch: float = 0.0) -> PoseSeq:
    """The same body filmed by a camera rolled (about its axis) and pitched (up/down) by degrees."""
    r, p = np.radians(roll), np.radians(pitch)
    rz = np.array([[np.cos(r), -np.sin(r), 0], [np.sin(r), np.cos(r), 0], [0, 0, 1]])
    rx = np.array([[1, 0, 0], [0, np.cos(p), -np.sin(p)], [0, np.sin(p), np.cos(p)]])
    world = seq.world @ (rx @ rz).T
    c = np.array([seq.width / 2, seq.height / 2])
    xy = (seq.xy - c) @ rz[:2, :2].T + c
    return replace(seq, world=world.astype(np.float32), xy=xy.astype(np.float32))


def labels(seq: PoseSeq) -> set[str]:
    return set(frame_postures(seq).labels)


@pytest.mark.parametrize("posture", list(STILL))
@pytest.mark.parametrize("yaw", [SIDE, OBLIQUE, FRONT])
@pytest.mark.parametrize("roll,pitch", [(0, 0), (10, 0), (-10, 0), (0, 10), (0, -10)])
def test_each_posture_from_any_view_and_a_tilted_camera(posture, yaw, roll, pitch):
    seq = tilted(sequence([replace(STILL[posture], yaw=yaw)] * 20, jitter_px=1.0), roll, pitch)
    assert labels(seq) == {posture}


def test_hanging_and_on_bars_need_the_hands_to_hold_the_body():
    """Arms overhead or down the sides look the same standing; what tells hanging (a bar)
    and support on parallel bars is the hands holding still while the body moves."""
    hang = Pose(
        yaw=FRONT, torso=90, upper_arm=(90.0, 90.0), forearm=(90.0, 90.0), thigh=(-90.0, 0.0), shank=(-90.0, 0.0)
    )
    pull = replace(hang, upper_arm=(-60.0, 90.0), forearm=(40.0, 90.0))
    moving_body = anchored(sequence(reps(hang, pull, 3), jitter_px=1.0))
    moving_hands = sequence(reps(hang, pull, 3), jitter_px=1.0)  # the hips still: a press or a pulldown
    assert summarise(moving_body).postures.get("hanging", 0) > 0.6
    assert "hanging" not in labels(moving_hands)
    support = Pose(
        yaw=SIDE, torso=80, thigh=(-80.0, 0.0), shank=(-100.0, 180.0), upper_arm=(-90.0, 0.0), forearm=(-90.0, 0.0)
    )
    dip = replace(support, upper_arm=(-10.0, 180.0), forearm=(-80.0, 0.0))
    assert summarise(anchored(sequence(reps(support, dip, 3), jitter_px=1.0))).postures.get("on_bars", 0) > 0.6
    assert "on_bars" not in labels(sequence(reps(support, dip, 3), jitter_px=1.0))


def test_legs_out_of_frame_is_unknown_but_still_rules_things_out():
    seq = sequence([STILL["standing"]] * 10)
    legs = [L[f"{s}_{p}"] for s in ("LEFT", "RIGHT") for p in ("KNEE", "ANKLE", "HEEL", "FOOT_INDEX")]
    seq.xy[:, legs, 1] = seq.height + 50  # guessed beyond the bottom edge, with high visibility
    post = frame_postures(seq)
    assert set(post.labels) == {UNKNOWN}
    assert "standing" in post.consistent[0] and "seated" in post.consistent[0]
    assert "supine" not in post.consistent[0] and "all_fours" not in post.consistent[0]
    s = summarise(seq)
    assert s.postures == {UNKNOWN: 1.0} and s.seen["standing"] < 0.25  # consistent, not seen


def test_nobody_in_the_frames_is_no_posture():
    seq = sequence([STILL["standing"]] * 10, drop=set(range(10)))
    s = summarise(seq)
    assert s.postures == {} and all(not j.measured for j in s.joints.values())


def test_classify_without_any_landmark_allows_everything():
    nan = float("nan")
    label, consistent = classify(*([nan] * 10))
    assert label == UNKNOWN and consistent == frozenset(POSTURES)


def test_joint_ranges_tell_moving_from_still_joints():
    stand = STILL["standing"]
    curl = sequence(reps(stand, replace(stand, forearm=(60.0, 0.0)), 3), jitter_px=1.0)
    s = analyse(curl).summary()
    assert s.joints["elbow"].moves and s.joints["elbow"].range > 100
    assert not s.joints["knee"].moves and not s.joints["hip"].moves and not s.joints["torso"].moves
    assert s.joints["knee"].range < JOINTS["knee"].still_max
    # the ranges of part of the clip only
    first = curl.t_s < 1.0  # the lead-in, standing still
    assert not analyse(curl).summary(first).joints["elbow"].moves
