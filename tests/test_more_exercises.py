"""The exercises added for the guides' programmes (hyperextension, incline rows, cable
crossover) and the other exercises the guides describe (deadlift, push-up, dip): on
synthetic sequences each check fires on a faulty rep and stays quiet on a good one,
counts are exact, and the variants are told apart; then on real clips."""

from dataclasses import replace
from pathlib import Path

import pytest
from kinematics import Pose, anchored, reps, sequence, with_back

from formcheck.engine.landmarks import PoseSeq
from formcheck.engine.specs import get_spec
from formcheck.media.video import VideoInfo
from formcheck.pipeline import analyze_seq
from formcheck.results.report import build_report

SIDE, OBLIQUE, FRONT = 90.0, 45.0, 0.0
FIX = Path(__file__).resolve().parent / "fixtures" / "landmarks"


def run(spec_id, bottom, top, n=3, back=None, hands_fixed=False, jitter=1.0, **kw):
    seq = sequence(reps(bottom, top, n, **kw), jitter_px=jitter)
    if back is not None:
        seq = with_back(seq, back)
    if hands_fixed:
        seq = anchored(seq)
    return analyze_seq(seq, get_spec(spec_id))


def fault_ids(res):
    return {f.id for f in res.faults}


def report(res):
    return build_report(res, VideoInfo("x.mp4", 1280, 720, 30.0, res.frames, res.duration_s))


# ------------------------------------------------------------------ deadlift
STAND = Pose(yaw=SIDE, torso=88, thigh=(-88.0, 0.0), shank=(-92.0, 180.0))
CONVENTIONAL = {"torso": 30, "thigh": (-30.0, 0.0), "shank": (-70.0, 180.0)}  # knees ~100, hip ~60: bar at the floor
ROMANIAN = {"torso": 15, "thigh": (-80.0, 0.0), "shank": (-78.0, 180.0)}  # soft knees ~158, hip ~95


@pytest.mark.parametrize("bottom,variant", [(CONVENTIONAL, "conventional"), (ROMANIAN, "romanian")])
@pytest.mark.parametrize("yaw", [SIDE, -SIDE, OBLIQUE])
def test_deadlift_good_reps_and_variant(bottom, variant, yaw):
    res = run("deadlift", replace(STAND, yaw=yaw), replace(STAND, yaw=yaw, **bottom), n=4, back=0.0)
    assert len(res.reps) == 4
    assert fault_ids(res) == set()
    rep = report(res)
    assert [r["variant"] for r in rep["reps"]] == [variant] * 4
    assert rep["sets"][0]["variant"] == variant and rep["variants"] == {variant: 4}
    assert "variant" in rep["reps"][0] and rep["reps"][0]["metrics"]["knee"]["at_peak"] is not None


@pytest.mark.parametrize(
    "fault,bottom,kw",
    [
        ("back_not_flat", ROMANIAN, {"back": 8.0}),  # rounded 8% of torso length
        ("back_not_flat", CONVENTIONAL, {"back": -13.0}),  # arched past the lumbar curve
        ("pulling_with_arms", {**ROMANIAN, "forearm": (-20.0, 0.0)}, {}),  # elbows bent ~110 at the bottom
        ("head_dropped", {**ROMANIAN, "head_drop": 55.0}, {}),
        ("partial_range", {"torso": 40, "thigh": (-82.0, 0.0), "shank": (-80.0, 180.0)}, {}),  # hip ~122
    ],
)
def test_deadlift_faults(fault, bottom, kw):
    res = run("deadlift", STAND, replace(STAND, **bottom), n=3, **{"back": 0.0, **kw})
    assert len(res.reps) == 3
    assert fault_ids(res) == {fault}
    assert all(fault in r.faults for r in res.reps)


def test_deadlift_not_locked_out_between_reps():
    half = replace(STAND, torso=70, thigh=(-88.0, 0.0))  # hip stays ~158 between reps
    res = run("deadlift", half, replace(STAND, **ROMANIAN), n=3, back=0.0)
    assert len(res.reps) == 3
    assert "not_locked_out" in fault_ids(res)


def test_deadlift_not_counted_with_the_bar_on_the_back():
    """A squat with the bar on the back (hands at the shoulders) moves the hips the same
    way; the deadlift's start position needs the arms hanging."""
    racked = {"upper_arm": (-60.0, 90.0), "forearm": (60.0, 180.0)}
    squat = {"torso": 60, "thigh": (-5.0, 0.0), "shank": (-60.0, 180.0)}
    res = run("deadlift", replace(STAND, **racked), replace(STAND, **racked, **squat), n=3)
    assert res.reps == []


# ------------------------------------------------------------- hyperextension
# face down on a 45-degree bench: the legs rise from the feet to the hips at 45 deg
HX_TOP = Pose(
    yaw=SIDE, torso=45, thigh=(-45.0, 180.0), shank=(-45.0, 180.0), upper_arm=(-60.0, 0.0), forearm=(60.0, 180.0)
)
HX_BOTTOM = replace(HX_TOP, torso=-60)
ROMAN_CHAIR = replace(HX_TOP, torso=0, thigh=(0.0, 180.0), shank=(0.0, 180.0))


@pytest.mark.parametrize("top", [HX_TOP, ROMAN_CHAIR], ids=["45-degree bench", "roman chair"])
def test_hyperextension_good_reps(top):
    bottom = replace(top, torso=top.torso - 90)
    res = run("hyperextension", bottom, top, n=4, back=0.0, rep_s=3.0)
    assert len(res.reps) == 4
    assert fault_ids(res) == set()
    assert all(r.full_range for r in res.reps)


@pytest.mark.parametrize(
    "fault,top,kw",
    [
        ("back_not_flat", {}, {"back": 8.0}),
        ("over_arched", {"torso": 70}, {}),  # 25 deg above the line of the legs
        ("knees_bent", {"shank": (-10.0, 180.0)}, {}),  # knee ~145
        ("partial_range", {"torso": 25}, {}),  # stops 20 deg short of the line
    ],
)
def test_hyperextension_faults(fault, top, kw):
    t = replace(HX_TOP, **top)
    b = replace(HX_BOTTOM, shank=t.shank)
    res = run("hyperextension", b, t, n=3, rep_s=3.0, **{"back": 0.0, **kw})
    assert len(res.reps) == 3
    assert fault_ids(res) == {fault}


def test_hyperextension_neck_tipped_back():
    top = replace(ROMAN_CHAIR, head_drop=-60.0)
    res = run("hyperextension", replace(ROMAN_CHAIR, torso=-90), top, n=3, rep_s=3.0, back=0.0)
    assert len(res.reps) == 3
    assert fault_ids(res) == {"neck_hyperextended"}


def test_hyperextension_not_counted_standing():
    """The same hip hinge standing up (a good morning) is not a back extension."""
    res = run("hyperextension", STAND, replace(STAND, torso=10), n=3, back=0.0, rep_s=3.0)
    assert res.reps == []


# -------------------------------------------------------------- incline rows
BENCH = Pose(yaw=OBLIQUE, torso=40, thigh=(-40.0, 180.0), shank=(-70.0, 180.0))  # chest on a 40-degree bench
TUCKED = {"upper_arm": (0.0, 180.0), "forearm": (-90.0, 0.0)}  # elbows back beside the body, ~90 deg
WIDE = {"upper_arm": (0.0, 90.0), "forearm": (-90.0, 0.0)}  # upper arms out to the sides, elbows ~90


@pytest.mark.parametrize("yaw", [SIDE, OBLIQUE, FRONT])
def test_incline_dumbbell_row_good_reps(yaw):
    b = replace(BENCH, yaw=yaw)
    res = run("incline_dumbbell_row", b, replace(b, **TUCKED), n=4)
    assert len(res.reps) == 4
    assert fault_ids(res) == set()


@pytest.mark.parametrize(
    "fault,top",
    [
        ("elbows_flared", WIDE),
        ("chest_off_bench", {**TUCKED, "torso": 62}),
        ("partial_range", {"upper_arm": (-20.0, 180.0), "forearm": (-90.0, 0.0)}),  # elbow ~110: counted, not full
    ],
)
def test_incline_dumbbell_row_faults(fault, top):
    res = run("incline_dumbbell_row", BENCH, replace(BENCH, **top), n=3)
    assert len(res.reps) == 3
    assert fault_ids(res) == {fault}


@pytest.mark.parametrize(
    "fault,top",
    [
        (None, WIDE),
        ("elbows_tucked", TUCKED),  # the middle-back row: the trapezius version pulls wide
        ("shrugging", {**WIDE, "shrug": 0.06}),
        ("chest_off_bench", {**WIDE, "torso": 62}),
    ],
)
def test_incline_barbell_row(fault, top):
    res = run("incline_barbell_row", BENCH, replace(BENCH, **top), n=3)
    assert len(res.reps) == 3
    assert fault_ids(res) == ({fault} if fault else set())


def test_incline_rows_not_counted_standing_or_with_raised_hands():
    upright = replace(BENCH, torso=85, thigh=(-88.0, 0.0), shank=(-92.0, 180.0))
    assert run("incline_dumbbell_row", upright, replace(upright, **TUCKED)).reps == []
    fly = {"upper_arm": (5.0, 90.0), "forearm": (5.0, 90.0)}  # a raise to shoulder height: hands too high
    assert run("incline_dumbbell_row", BENCH, replace(BENCH, **fly)).reps == []


# ------------------------------------------------------------ cable crossover
CROSSED = Pose(
    yaw=FRONT, torso=88, thigh=(-88.0, 0.0), shank=(-92.0, 180.0), upper_arm=(-5.0, -25.0), forearm=(-5.0, -35.0)
)
OPEN = {"upper_arm": (-5.0, 85.0), "forearm": (-5.0, 80.0)}


@pytest.mark.parametrize("yaw", [FRONT, OBLIQUE, 180.0])
def test_cable_crossover_good_reps(yaw):
    b = replace(CROSSED, yaw=yaw)
    res = run("cable_crossover", b, replace(b, **OPEN), n=4)
    assert len(res.reps) == 4
    assert fault_ids(res) == set()


@pytest.mark.parametrize(
    "fault,top",
    [
        ("elbows_bending", {"upper_arm": (-5.0, 85.0), "forearm": (-5.0, -10.0)}),  # elbow closes to ~95
        ("arms_dropping", {"upper_arm": (-34.0, 90.0), "forearm": (-34.0, 90.0)}),
        ("shrugging", {**OPEN, "shrug": 0.08}),
        ("partial_range", {"upper_arm": (-5.0, 62.0), "forearm": (-5.0, 62.0)}),
    ],
)
def test_cable_crossover_faults(fault, top):
    res = run("cable_crossover", CROSSED, replace(CROSSED, **top), n=3)
    assert len(res.reps) == 3
    # arms opening low cannot open fully out to the sides either
    assert fault_ids(res) == ({fault, "partial_range"} if fault == "arms_dropping" else {fault})


def test_cable_crossover_swinging_seen_from_45_degrees():
    b = replace(CROSSED, yaw=OBLIQUE)
    res = run("cable_crossover", b, replace(b, **OPEN, torso=64), n=3)
    assert len(res.reps) == 3
    assert fault_ids(res) == {"swinging"}


def test_cable_crossover_not_counted_bent_over():
    b = replace(CROSSED, torso=35)
    assert run("cable_crossover", b, replace(b, **OPEN)).reps == []


# ------------------------------------------------------------------ push-up
PLANK = Pose(
    yaw=SIDE, torso=15, thigh=(-12.0, 180.0), shank=(-10.0, 180.0), upper_arm=(-90.0, 0.0), forearm=(-90.0, 0.0)
)
LOWERED = {
    "torso": 5,
    "thigh": (-4.0, 180.0),
    "shank": (-3.0, 180.0),
    "upper_arm": (-30.0, 180.0),
    "forearm": (-60.0, 0.0),
}
# lower-back variant: hands back by the belt (arms angled back), one straight leg lifted at the bottom
BELT = {"upper_arm": (-50.0, 180.0), "forearm": (-50.0, 180.0)}  # arms leaning back: hands by the hips
BELT_LOWERED = {**LOWERED, "upper_arm": (10.0, 180.0), "forearm": (-75.0, 180.0)}
LEG_UP = ((15.0, 180.0), (15.0, 180.0))


@pytest.mark.parametrize("yaw", [SIDE, -SIDE, OBLIQUE])
def test_push_up_good_reps_standard(yaw):
    b = replace(PLANK, yaw=yaw)
    res = run("push_up", b, replace(b, **LOWERED), n=4, hands_fixed=True)
    assert len(res.reps) == 4
    assert fault_ids(res) == set()
    assert report(res)["variants"] == {"standard": 4}


def test_push_up_lower_back_variant_with_a_straight_leg_lifted():
    b = replace(PLANK, **BELT)
    res = run("push_up", b, replace(b, **{**BELT_LOWERED, "right_leg": LEG_UP}), n=4, hands_fixed=True)
    assert len(res.reps) == 4
    assert fault_ids(res) == set()
    rep = report(res)
    assert rep["variants"] == {"lower_back": 4}
    assert all(r["metrics"]["leg_lift"]["max"] > 5 for r in rep["reps"])  # the lifted leg is reported


@pytest.mark.parametrize(
    "fault,bottom,top",
    [
        (
            "hips_sagging",
            {"thigh": (5.0, 180.0), "shank": (5.0, 180.0)},
            {"thigh": (12.0, 180.0), "shank": (12.0, 180.0)},
        ),
        (
            "hips_piked",
            {"thigh": (-40.0, 180.0), "shank": (-40.0, 180.0)},
            {"thigh": (-35.0, 180.0), "shank": (-35.0, 180.0)},
        ),
        ("raised_leg_bent", {}, {"right_leg": ((15.0, 180.0), (80.0, 0.0))}),  # the lifted leg folds at the knee
        ("partial_range", {}, {"upper_arm": (-40.0, 180.0), "forearm": (-70.0, 0.0)}),  # elbow ~110
    ],
)
def test_push_up_faults(fault, bottom, top):
    b = replace(PLANK, **bottom)
    t = replace(PLANK, **{**LOWERED, **bottom, **top})
    res = run("push_up", b, t, n=3, hands_fixed=True)
    assert len(res.reps) == 3
    assert fault_ids(res) == {fault}


def test_push_up_not_counted_standing():
    upright = replace(PLANK, torso=85, thigh=(-88.0, 0.0), shank=(-92.0, 180.0))
    assert run("push_up", upright, replace(upright, upper_arm=(-30.0, 180.0), forearm=(-60.0, 0.0))).reps == []


# ---------------------------------------------------------------------- dip
SUPPORT = Pose(
    yaw=SIDE, torso=80, thigh=(-80.0, 0.0), shank=(-100.0, 180.0), upper_arm=(-90.0, 0.0), forearm=(-90.0, 0.0)
)
DIPPED = {"upper_arm": (-10.0, 180.0), "forearm": (-80.0, 0.0)}  # upper arm near level, elbow ~90


@pytest.mark.parametrize("yaw", [SIDE, OBLIQUE, FRONT])
def test_dip_good_reps(yaw):
    b = replace(SUPPORT, yaw=yaw)
    res = run("dip", b, replace(b, **DIPPED), n=4, hands_fixed=True)
    assert len(res.reps) == 4
    assert fault_ids(res) == set()


@pytest.mark.parametrize(
    "fault,bottom,top",
    [
        ("no_full_extension", {"upper_arm": (-85.0, 180.0), "forearm": (-65.0, 0.0)}, {}),  # top elbow ~150
        ("shrugging", {}, {"shrug": 0.06}),
        ("swinging", {}, {"thigh": (-40.0, 0.0)}),  # knees kick up 40 deg
        ("partial_range", {}, {"upper_arm": (-30.0, 180.0), "forearm": (-80.0, 0.0)}),  # elbow ~110
    ],
)
def test_dip_faults(fault, bottom, top):
    b = replace(SUPPORT, **bottom)
    res = run("dip", b, replace(b, **{**DIPPED, **top}), n=3, hands_fixed=True)
    assert len(res.reps) == 3
    assert fault_ids(res) == {fault}


# ---------------------------------------------------------------- real clips
def _fixture(stem: str) -> PoseSeq:
    return PoseSeq.load(FIX / f"{stem}.npz")


def test_real_romanian_deadlift_one_rep_told_romanian():
    """gymnai romanian_deadlift (sample_videos/romanian_deadlift.mp4): one full hinge
    1.4-4.3 s, then a second descent cut by the clip's end (LABELS.md)."""
    res = analyze_seq(_fixture("romanian_deadlift"), get_spec("deadlift"))
    assert len(res.reps) == 1
    r = res.reps[0]
    assert 0.3 <= r.start_s <= 1.6 and 3.8 <= r.end_s <= 5.0
    assert report(res)["reps"][0]["variant"] == "romanian"
    assert "back_not_flat" not in fault_ids(res)


def test_real_conventional_deadlift_lift_from_the_floor_is_no_full_rep():
    """gymnai deadlifts (sample_videos/deadlift.mp4): set-up at the bar, one pull from the
    floor to the lockout (2.8-3.8 s), then standing to the end: no down-and-up rep, and
    nothing else is counted from the set-up."""
    res = analyze_seq(_fixture("deadlift"), get_spec("deadlift"))
    assert res.reps == []


def test_real_push_up_one_rep():
    """gymnai push_up (sample_videos/push_up.mp4): one push-up (down 1.0-2.1 s, bottom to
    3.1 s, up by 4.5 s), then holding the top and kneeling down."""
    res = analyze_seq(_fixture("push_up"), get_spec("push_up"))
    assert len(res.reps) == 1
    r = res.reps[0]
    assert 0.3 <= r.start_s <= 1.3 and 3.5 <= r.end_s <= 5.0
    assert report(res)["reps"][0]["variant"] == "standard"
    assert fault_ids(res) <= {"hips_piked"}


def test_a_report_with_variants_follows_the_schema():
    import json

    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((Path(__file__).resolve().parent.parent / "docs" / "report.schema.json").read_text())
    rep = report(analyze_seq(_fixture("romanian_deadlift"), get_spec("deadlift")))
    jsonschema.validate(rep, schema)
    assert rep["variants"] == {"romanian": 1} and rep["sets"][0]["variant"] == "romanian"
