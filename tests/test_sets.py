"""Sets from rest gaps, on rep times and on a synthetic session with two sets."""

from dataclasses import replace

from kinematics import Pose, reps, sequence

from formcheck.engine.sets import group_sets
from formcheck.engine.specs import get_spec
from formcheck.media.video import VideoInfo
from formcheck.pipeline import analyze_seq
from formcheck.results.report import build_report


def test_group_sets_by_rest_gaps():
    r = [(1, 0.0, 2.0), (2, 3.0, 5.0), (3, 6.0, 8.0), (4, 60.0, 62.0), (5, 63.0, 65.0), (6, 140.0, 142.0)]
    sets = group_sets(r)
    assert [s.reps for s in sets] == [[1, 2, 3], [4, 5], [6]]
    assert [s.rest_before_s for s in sets] == [None, 52.0, 75.0]
    assert group_sets([]) == []
    assert len(group_sets(r, gap_s=1000)) == 1


def test_a_session_with_two_sets_is_split_in_the_report():
    bottom = Pose(yaw=90, torso=35)
    top = replace(bottom, upper_arm=(10.0, 180.0))
    poses = reps(bottom, top, 3) + [bottom] * (30 * 25) + reps(bottom, top, 2)  # 25 s rest
    res = analyze_seq(sequence(poses), get_spec("bent_over_row"))
    rep = build_report(res, VideoInfo("x.mp4", 1280, 720, 30.0, res.frames, res.duration_s))
    assert [s["reps"] for s in rep["sets"]] == [3, 2]
    assert 24 <= rep["sets"][1]["rest_before_s"] <= 30
    assert [r["set"] for r in rep["reps"]] == [1, 1, 1, 2, 2]
