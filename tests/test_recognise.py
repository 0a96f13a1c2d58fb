"""--exercise auto: posture first, then the moving joints, then the spec's own movement;
``unknown`` (none of the exercises formcheck knows) when nothing fits."""

import csv
import json
from dataclasses import replace
from pathlib import Path

import pytest
from kinematics import Pose, anchored, reps, sequence
from typer.testing import CliRunner

from formcheck.apps.cli import app
from formcheck.engine.landmarks import PoseSeq
from formcheck.engine.recognise import recognise
from formcheck.engine.specs import load_specs
from formcheck.pipeline import NONE_OF_THEM, auto, recognise_clip

ROOT = Path(__file__).resolve().parent.parent
FIX = ROOT / "tests" / "fixtures" / "landmarks"
RECOGNITION = list(csv.DictReader((ROOT / "sample_videos" / "recognition.csv").read_text().splitlines()))
SIDE, FRONT = 90.0, 0.0


@pytest.fixture(scope="module")
def specs():
    return load_specs()


@pytest.mark.parametrize("row", RECOGNITION, ids=[r["path"] for r in RECOGNITION])
def test_every_labelled_sample_clip_is_recognised_or_declined(row, specs):
    """sample_videos/recognition.csv: the exercise for clips of exercises with a spec, and
    ``unknown`` for the squat, the presses, the seated lateral raises and the clips where
    nothing is done (a bent-over hold, rising on the toes at a bar)."""
    best, conf, cands = recognise(PoseSeq.load(FIX / f"{Path(row['path']).stem}.npz"), specs)
    assert (best or "unknown") in row["exercise"].split("|")
    if best is None:
        assert conf == 0.0 and all(c.rejected for c in cands)
    else:
        assert 0.3 < conf <= 1.0 and cands[0].exercise == best and cands[0].rejected is None


def test_every_rejected_candidate_says_why(specs):
    _, _, cands = recognise(PoseSeq.load(FIX / "squat.npz"), specs)
    assert all(c.rejected for c in cands)
    dl = next(c for c in cands if c.exercise == "deadlift")  # the hips hinge, but the bar sits on the back
    assert "hands" in dl.rejected
    gm = next(c for c in cands if c.exercise == "good_morning")  # a squat bends the knees
    assert "knee" in gm.rejected
    row = next(c for c in cands if c.exercise == "bent_over_row")
    assert "posture" in row.rejected


def test_analyze_auto_reports_what_it_recognised(tmp_path):
    r = CliRunner().invoke(
        app, ["analyze", str(FIX / "seated_cable_row.npz"), "-e", "auto", "-o", str(tmp_path), "--no-progress"]
    )
    assert r.exit_code == 0, r.output
    assert "recognised seated_row" in r.output
    rep = json.loads((tmp_path / "seated_cable_row.report.json").read_text())
    assert rep["exercise"] == "seated_row" and rep["recognition"]["exercise"] == "seated_row"
    assert rep["recognition"]["confidence"] > 0.5 and rep["rep_count"] == 1
    first = rep["recognition"]["candidates"][0]
    assert {"exercise", "score", "reps", "posture", "joints"} <= first.keys() and "rejected" not in first
    assert rep["recognition"]["posture"]["seated"] > 0.8


@pytest.mark.parametrize("clip", ["squat", "pull_up_attempt", "overhead_press"])
def test_analyze_auto_says_none_of_them_instead_of_the_wrong_exercise(tmp_path, clip):
    r = CliRunner().invoke(
        app, ["analyze", str(FIX / f"{clip}.npz"), "-e", "auto", "-o", str(tmp_path), "--no-progress"]
    )
    assert r.exit_code == 0, r.output
    assert "looks like none of the exercises formcheck knows" in r.output and "closest:" in r.output
    rep = json.loads((tmp_path / f"{clip}.report.json").read_text())
    assert rep["exercise"] == "unknown" and rep["rep_count"] == 0 and rep["reps"] == [] and rep["faults"] == []
    rec = rep["recognition"]
    assert rec["exercise"] == "unknown" and rec["confidence"] == 0.0 and rec["message"] == NONE_OF_THEM
    assert rec["candidates"] and all(c["rejected"] for c in rec["candidates"])
    assert [w["id"] for w in rep["warnings"]] == ["not_recognised"]


def test_the_unknown_report_follows_the_schema(tmp_path):
    jsonschema = pytest.importorskip("jsonschema")
    CliRunner().invoke(app, ["analyze", str(FIX / "squat.npz"), "-e", "auto", "-o", str(tmp_path), "--no-progress"])
    schema = json.loads((ROOT / "docs" / "report.schema.json").read_text())
    jsonschema.validate(json.loads((tmp_path / "squat.report.json").read_text()), schema)


def test_eval_recognition_prints_accuracy_unknown_rate_and_confusion():
    args = ["eval", str(ROOT / "sample_videos" / "recognition.csv"), "--recognition", "--landmarks", str(FIX)]
    r = CliRunner().invoke(app, [*args, "--json"])
    assert r.exit_code == 0, r.output
    s = json.loads(r.output)["summary"]
    assert (s["with_spec"], s["without_spec"]) == (8, 8)
    assert s["accuracy"] == 1.0 and s["unknown_rate"] == 1.0
    assert s["confusion"]["unknown"] == {"unknown": 8} and s["confusion"]["deadlift"] == {"deadlift": 2}
    md = CliRunner().invoke(app, [*args, "--markdown"])
    assert md.exit_code == 0 and "| clip is \\ formcheck said |" in md.output and "**8/8**" in md.output
    table = CliRunner().invoke(app, args)
    assert table.exit_code == 0 and "right exercise 8/8" in table.output and "unknown 8/8" in table.output


def test_eval_recognition_counts_a_wrong_answer_in_the_confusion_table(tmp_path):
    labels = tmp_path / "labels.csv"
    labels.write_text(f"path,exercise\n{FIX / 'push_up.npz'},dip\n{FIX / 'squat.npz'},unknown\n")
    r = CliRunner().invoke(app, ["eval", str(labels), "--recognition", "--landmarks", str(FIX), "--json"])
    assert r.exit_code == 0, r.output
    s = json.loads(r.output)["summary"]
    assert s["right_exercise"] == 0 and s["said_unknown"] == 1
    assert s["confusion"] == {"dip": {"push_up": 1}, "unknown": {"unknown": 1}}


# ------------------------------------------------------------ synthetic clips
STAND = Pose(yaw=SIDE, torso=88, thigh=(-88.0, 0.0), shank=(-92.0, 180.0))
SEATED = Pose(yaw=FRONT, torso=88, thigh=(0.0, 0.0), shank=(-85.0, 180.0))
RACKED = {"upper_arm": (-40.0, 90.0), "forearm": (80.0, 180.0)}  # dumbbells at the shoulders


def _seq(bottom, top, n=4, fixed=False, **kw):
    seq = sequence(reps(bottom, top, n, **kw), jitter_px=1.0)
    return anchored(seq) if fixed else seq


NEW = {
    "deadlift": _seq(STAND, replace(STAND, torso=15, thigh=(-80.0, 0.0), shank=(-78.0, 180.0))),
    "hyperextension": _seq(
        Pose(yaw=SIDE, torso=-60, thigh=(-45.0, 180.0), shank=(-45.0, 180.0), upper_arm=(-60.0, 0.0)),
        Pose(yaw=SIDE, torso=45, thigh=(-45.0, 180.0), shank=(-45.0, 180.0), upper_arm=(-60.0, 0.0)),
        rep_s=3.0,
    ),
    "cable_crossover": _seq(
        Pose(
            yaw=FRONT,
            torso=88,
            thigh=(-88.0, 0.0),
            shank=(-92.0, 180.0),
            upper_arm=(-5.0, -25.0),
            forearm=(-5.0, -35.0),
        ),
        Pose(
            yaw=FRONT, torso=88, thigh=(-88.0, 0.0), shank=(-92.0, 180.0), upper_arm=(-5.0, 85.0), forearm=(-5.0, 80.0)
        ),
    ),
    "push_up": _seq(
        Pose(
            yaw=SIDE, torso=15, thigh=(-12.0, 180.0), shank=(-10.0, 180.0), upper_arm=(-90.0, 0.0), forearm=(-90.0, 0.0)
        ),
        Pose(
            yaw=SIDE, torso=5, thigh=(-4.0, 180.0), shank=(-3.0, 180.0), upper_arm=(-30.0, 180.0), forearm=(-60.0, 0.0)
        ),
        fixed=True,
    ),
    "dip": _seq(
        Pose(
            yaw=SIDE, torso=80, thigh=(-80.0, 0.0), shank=(-100.0, 180.0), upper_arm=(-90.0, 0.0), forearm=(-90.0, 0.0)
        ),
        Pose(
            yaw=SIDE,
            torso=80,
            thigh=(-80.0, 0.0),
            shank=(-100.0, 180.0),
            upper_arm=(-10.0, 180.0),
            forearm=(-80.0, 0.0),
        ),
        fixed=True,
    ),
}


@pytest.mark.parametrize("spec_id", list(NEW))
def test_the_new_exercises_are_recognised_by_name(spec_id, specs):
    best, _, _ = recognise(NEW[spec_id], specs)
    assert best == spec_id


def test_incline_rows_are_recognised_as_a_chest_supported_row(specs):
    bench = Pose(yaw=45.0, torso=40, thigh=(-40.0, 180.0), shank=(-70.0, 180.0))
    tucked = _seq(bench, replace(bench, upper_arm=(0.0, 180.0), forearm=(-90.0, 0.0)))
    wide = _seq(bench, replace(bench, upper_arm=(0.0, 90.0), forearm=(-90.0, 0.0)))
    assert recognise(tucked, specs)[0] == "incline_dumbbell_row"  # elbows close: the middle-back row
    assert recognise(wide, specs)[0] == "incline_barbell_row"  # elbows wide: the upper-back row


UNKNOWN = {
    # a back squat: the hips hinge like a deadlift, but the bar sits on the back and the knees bend deep
    "back squat": _seq(
        replace(STAND, **RACKED),
        replace(STAND, **RACKED, torso=60, thigh=(-5.0, 0.0), shank=(-60.0, 180.0)),
    ),
    "standing curl": _seq(STAND, replace(STAND, forearm=(60.0, 0.0))),
    "standing lateral raise": _seq(
        replace(STAND, yaw=FRONT, upper_arm=(-85.0, 90.0), forearm=(-85.0, 90.0)),
        replace(STAND, yaw=FRONT, upper_arm=(0.0, 90.0), forearm=(0.0, 90.0)),
    ),
    # a seated dumbbell press moves the elbows like a pulldown, but the hands never come below the shoulders
    "seated shoulder press": _seq(
        replace(SEATED, **RACKED), replace(SEATED, upper_arm=(75.0, 90.0), forearm=(80.0, 90.0))
    ),
    "standing still": _seq(STAND, STAND),
}


@pytest.mark.parametrize("name", list(UNKNOWN))
def test_movements_without_a_spec_are_unknown(name, specs):
    best, conf, cands = recognise(UNKNOWN[name], specs)
    assert best is None and conf == 0.0
    assert all(c.rejected for c in cands)


def test_auto_on_a_recording_of_none_of_them(specs):
    ar = auto(UNKNOWN["back squat"], specs)
    assert ar.parts == [] and ar.recognition["exercise"] == "unknown"
    assert recognise_clip(UNKNOWN["back squat"], specs)["exercise"] == "unknown"
    ar = auto(NEW["push_up"], specs)
    assert [spec.id for _, spec, _ in ar.parts] == ["push_up"] and len(ar.parts[0][2].reps) == 4
