"""--exercise auto: recognising the exercise from the movement, on the labelled clips."""

import csv
import json
from pathlib import Path

from typer.testing import CliRunner

from formcheck.apps.cli import app
from formcheck.engine.landmarks import PoseSeq
from formcheck.engine.recognise import recognise
from formcheck.engine.specs import load_specs

ROOT = Path(__file__).resolve().parent.parent
FIX = ROOT / "tests" / "fixtures" / "landmarks"
LABELS = list(csv.DictReader((ROOT / "sample_videos" / "labels.csv").read_text().splitlines()))


def test_recognition_on_the_labelled_clips():
    specs = load_specs()
    right = wrong = unsure = 0
    for row in LABELS:
        best, conf, cands = recognise(PoseSeq.load(FIX / f"{Path(row['path']).stem}.npz"), specs)
        if int(row["reps"]) == 0:
            assert best is None and conf == 0.0  # nothing done: nothing claimed
            unsure += 1
        elif best == row["exercise"]:
            assert 0.3 < conf <= 1.0
            right += 1
        else:
            wrong += 1
    assert wrong == 0 and right == 5 and unsure == 2


def test_analyze_auto_reports_what_it_recognised(tmp_path):
    r = CliRunner().invoke(
        app, ["analyze", str(FIX / "seated_cable_row.npz"), "-e", "auto", "-o", str(tmp_path), "--no-progress"]
    )
    assert r.exit_code == 0, r.output
    rep = json.loads((tmp_path / "seated_cable_row.report.json").read_text())
    assert rep["exercise"] == "seated_row" and rep["recognition"]["exercise"] == "seated_row"
    assert rep["recognition"]["confidence"] > 0.5 and rep["rep_count"] == 1
    r = CliRunner().invoke(
        app, ["analyze", str(FIX / "pull_up_attempt.npz"), "-e", "auto", "-o", str(tmp_path), "--no-progress"]
    )
    assert r.exit_code == 2 and "could not tell the exercise" in r.output
