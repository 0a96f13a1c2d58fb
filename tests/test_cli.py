"""The command line: outputs, the report contract, and one-line errors for bad input."""

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from formcheck.apps.cli import app

ROOT = Path(__file__).resolve().parent.parent
FIX = ROOT / "tests" / "fixtures" / "landmarks"
runner = CliRunner()

REPORT_KEYS = {"exercise", "video", "view", "side", "rep_count", "reps", "faults", "warnings", "frames_with_pose"}
VIDEO_KEYS = {"path", "fps", "frames", "duration_s", "width", "height"}
REP_KEYS = {
    "index",
    "start_s",
    "end_s",
    "peak_s",
    "concentric_s",
    "eccentric_s",
    "hold_s",
    "faults",
    "metrics",
    "rom_deg",
}
FAULT_KEYS = {"id", "message", "start_s", "end_s", "rep", "severity"}


def test_analyze_npz_writes_the_report_contract(tmp_path):
    r = runner.invoke(
        app, ["analyze", str(FIX / "seated_cable_row.npz"), "-e", "seated_row", "-o", str(tmp_path), "--no-progress"]
    )
    assert r.exit_code == 0, r.output
    rep = json.loads((tmp_path / "seated_cable_row.report.json").read_text())
    assert REPORT_KEYS <= rep.keys() and VIDEO_KEYS <= rep["video"].keys()
    assert rep["exercise"] == "seated_row" and rep["rep_count"] == len(rep["reps"]) == 1
    assert REP_KEYS <= rep["reps"][0].keys()
    assert rep["view"] in {"side_left", "side_right", "front", "back", "oblique", "unknown"}
    assert 0.0 <= rep["frames_with_pose"] <= 1.0
    assert rep["video"]["fps"] == 30.0 and rep["video"]["frames"] == 240
    for w in rep["warnings"]:
        assert {"id", "message", "start_s", "end_s"} <= w.keys() and w["start_s"] <= w["end_s"]
    import jsonschema

    jsonschema.validate(rep, json.loads((ROOT / "docs" / "report.schema.json").read_text()))
    rows = list(csv.DictReader((tmp_path / "seated_cable_row.reps.csv").read_text().splitlines()))
    assert len(rows) == 1 and rows[0]["index"] == "1" and float(rows[0]["rom_deg"]) > 40
    assert "1 reps" in r.output


def test_faults_carry_rep_and_time(tmp_path):
    import sys

    sys.path.insert(0, str(ROOT / "tests"))
    from dataclasses import replace

    from kinematics import Pose, reps, sequence

    b = Pose(yaw=90, torso=62)
    seq = sequence(reps(b, replace(b, upper_arm=(10.0, 180.0)), 3))
    seq.save(tmp_path / "upright.npz")
    r = runner.invoke(
        app, ["analyze", str(tmp_path / "upright.npz"), "-e", "bent_over_row", "-o", str(tmp_path), "--no-progress"]
    )
    assert r.exit_code == 0, r.output
    rep = json.loads((tmp_path / "upright.report.json").read_text())
    faults = [f for f in rep["faults"] if f["id"] == "torso_too_upright"]
    assert [f["rep"] for f in faults] == [1, 2, 3]
    for f in faults:
        assert FAULT_KEYS <= f.keys() and f["severity"] == "warning" and f["message"]
    import jsonschema

    jsonschema.validate(rep, json.loads((ROOT / "docs" / "report.schema.json").read_text()))
    assert all(r_["faults"] == ["torso_too_upright"] for r_ in rep["reps"])


@pytest.mark.parametrize(
    "args,words",
    [
        (["analyze", "missing.mp4", "-e", "seated_row"], "no such file"),
        (["analyze", "{notvideo}", "-e", "seated_row"], "not a readable video"),
        (["analyze", "{empty}", "-e", "seated_row"], "empty file"),
        (
            ["analyze", str(FIX / "seated_cable_row.npz"), "-e", "no_such_exercise"],
            "unknown exercise 'no_such_exercise'",
        ),
        (["analyze", "{badnpz}", "-e", "seated_row"], "not a formcheck landmark file"),
        (["analyze", "{nobody}", "-e", "seated_row"], "no person found"),
        (["analyze", "{nobodyvideo}", "-e", "seated_row"], "no person found"),
        (["analyze", "{nobodyvideo}", "-e", "seated_row", "--annotate"], "no person found"),
        (["extract", "missing.mp4", "-o", "x.npz"], "no such file"),
        (["analyze", "{clip}", "-e", "seated_row", "--model", "heavy.task"], "no such model file"),
    ],
)
def test_bad_input_is_one_line_and_nonzero(tmp_path, args, words):
    import numpy as np

    (tmp_path / "notes.mp4").write_text("not a video at all\n" * 20)
    (tmp_path / "empty.mp4").write_bytes(b"")
    (tmp_path / "bad.npz").write_bytes(b"PK\x03\x04garbage")
    import sys

    sys.path.insert(0, str(ROOT / "tests"))
    from kinematics import Pose, sequence

    seq = sequence([Pose()] * 20, drop=set(range(20)))
    seq.save(tmp_path / "nobody.npz")
    from formcheck.media.video import VideoWriter

    with VideoWriter(tmp_path / "blank.mp4", (160, 120), 10) as w:
        for i in range(10):
            w.write(i / 10, np.full((120, 160, 3), 90, np.uint8))
    subs = {
        "{notvideo}": "notes.mp4",
        "{empty}": "empty.mp4",
        "{badnpz}": "bad.npz",
        "{nobody}": "nobody.npz",
        "{nobodyvideo}": "blank.mp4",
    }
    args = [str(tmp_path / subs[a]) if a in subs else a for a in args]
    args = [str(ROOT / "sample_videos" / "seated_cable_row.mp4") if a == "{clip}" else a for a in args]
    if args[0] == "analyze":
        args += ["--no-progress", "-o", str(tmp_path / "out")]
    r = runner.invoke(app, args)
    assert r.exit_code == 2, r.output
    assert "Traceback" not in r.output
    err_lines = [ln for ln in r.output.splitlines() if ln.startswith("error:")]
    assert len(err_lines) == 1 and words in r.output.replace("\n", " ")
    out_dir = tmp_path / "out"
    assert not out_dir.exists() or not any(out_dir.rglob("*"))  # no file written


def test_a_broken_model_file_is_one_error_line_before_any_work(tmp_path):
    bad = tmp_path / "heavy.task"
    bad.write_text("not a model")
    clip = ROOT / "sample_videos" / "seated_cable_row.mp4"
    r = runner.invoke(
        app, ["analyze", str(clip), "-e", "seated_row", "--model", str(bad), "--out", str(tmp_path / "o")]
    )
    assert r.exit_code == 2
    assert "not a MediaPipe .task model" in r.output and "Traceback" not in r.output
    assert not (tmp_path / "o").exists()


def test_eval_on_the_sample_labels_with_stored_landmarks():
    labels = ROOT / "sample_videos" / "labels.csv"
    r = runner.invoke(app, ["eval", str(labels), "--landmarks", str(FIX), "--json", "--no-progress"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    s = data["summary"]
    truth = {row["path"]: int(row["reps"]) for row in csv.DictReader(labels.read_text().splitlines())}
    counted = {Path(c["path"]).name: c["counted"] for c in data["clips"]}
    exact = sum(counted[p] == n for p, n in truth.items()) / len(truth)
    assert s["exact_count_rate"] == pytest.approx(exact, abs=1e-3)
    assert s["clips"] == len(truth) and s["errors"] == 0
    for m in s["faults"].values():
        assert m["tp"] + m["fp"] + m["fn"] > 0


def test_eval_metrics_arithmetic():
    from formcheck.results.evaluate import ClipEval, summarise

    clips = [
        ClipEval("a", "x", 10, 10, ["f1"], ["f1"]),
        ClipEval("b", "x", 10, 9, ["f1"], []),
        ClipEval("c", "x", 4, 6, [], ["f1", "f2"]),
        ClipEval("d", "x", 3, None, [], [], error="boom"),
    ]
    s = summarise(clips)
    assert s["evaluated"] == 3 and s["errors"] == 1
    assert s["exact_count_rate"] == pytest.approx(1 / 3, abs=1e-3)
    assert s["off_by_one_rate"] == pytest.approx(1 / 3, abs=1e-3)
    assert s["count_mae_normalised"] == pytest.approx((0 + 0.1 + 0.5) / 3, abs=1e-3)
    assert s["faults"]["f1"] == {"tp": 1, "fp": 1, "fn": 1, "precision": 0.5, "recall": 0.5}
    assert s["faults"]["f2"]["precision"] == 0.0 and s["faults"]["f2"]["recall"] is None


def test_user_text_prints_verbatim_brackets_and_all(tmp_path, monkeypatch):
    """Paths and names print as given: nothing the user typed is read as rich markup."""
    monkeypatch.chdir(tmp_path)  # short relative paths: the lines stay unwrapped
    r = runner.invoke(app, ["analyze", "nope[red]x.mp4", "-e", "seated_row", "--no-progress"])
    assert r.exit_code == 2 and "error: nope[red]x.mp4: no such file" in r.output
    npz = str(FIX / "seated_cable_row.npz")
    r = runner.invoke(app, ["analyze", npz, "-e", "x[bold]y", "--no-progress"])
    assert r.exit_code == 2 and "unknown exercise 'x[bold]y'" in r.output
    r = runner.invoke(app, ["analyze", npz, "-e", "seated_row", "-o", "w[1]/[b]", "--no-progress"])
    assert r.exit_code == 0, r.output
    assert "wrote w[1]/[b]/seated_cable_row.report.json" in r.output


def test_the_batch_table_shows_clip_names_and_errors_verbatim(capsys):
    from formcheck.apps import cli
    from formcheck.apps.batch import ClipResult

    cli.out.width = 200
    try:
        cli._print_batch_table([ClipResult("week[1]/a[red].mp4", "seated_row", "a", "error", error="bad [x] frame")])
    finally:
        cli.out.width = None
    text = capsys.readouterr().out
    assert "week[1]/a[red].mp4" in text and "bad [x] frame" in text
