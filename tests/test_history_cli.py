"""formcheck history / report, and the sessions analyze, batch and live record (the issue's done-when)."""

import json
import re
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from formcheck.apps.cli import app
from formcheck.results.history import History

ROOT = Path(__file__).resolve().parent.parent
FIX = ROOT / "tests" / "fixtures" / "landmarks"
CONTRACT = {"id", "started_at", "exercise", "rep_count", "sets", "faults", "source"}
runner = CliRunner()
needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None and not __import__("os").environ.get("CI"),
    reason="needs poppler-utils (pdftotext, pdftoppm); .ci/run installs it",
)


def run(*args: str):
    return runner.invoke(app, [str(a) for a in args])


def history_json(db: Path, *args: str) -> list[dict]:
    r = run("history", "--db", db, "--json", *args)
    assert r.exit_code == 0, r.output
    return json.loads(r.output)


def pdf_text(pdf: Path, layout: bool = True) -> str:
    """The PDF's text: laid out as printed (labels beside their values), or in reading order."""
    args = ["pdftotext", *(["-layout"] if layout else []), str(pdf), "-"]
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


def test_analyze_records_and_history_lists_with_filters(tmp_path):
    db = tmp_path / "x.db"
    out = tmp_path / "out"
    r = run(
        "analyze", FIX / "rowing.npz", "-e", "seated_row", "-o", out, "--db", db, "--person", "Ann", "--no-progress"
    )
    assert r.exit_code == 0 and f"recorded session 1 in {db}" in r.output, r.output
    r = run("analyze", FIX / "bird_dog_side.npz", "-e", "bird_dog", "-o", out, "--db", db, "--no-progress")
    assert r.exit_code == 0, r.output
    r = run("analyze", FIX / "lat_pulldown.npz", "-e", "lat_pulldown", "-o", out, "--db", db, "--no-history")
    assert r.exit_code == 0 and "recorded" not in r.output
    rows = sorted(history_json(db), key=lambda s: -s["id"])  # newest first is by start: the files' times here
    assert [s["exercise"] for s in rows] == ["bird_dog", "seated_row"]
    for s in rows:
        assert CONTRACT <= s.keys()
        rep = json.loads((out / f"{Path(s['source']).stem}.report.json").read_text())
        assert s["rep_count"] == rep["rep_count"] and s["sets"] == [x["reps"] for x in rep["sets"]]
        faults: dict[str, int] = {}
        for f in rep["faults"]:
            faults[f["id"]] = faults.get(f["id"], 0) + 1
        assert s["faults"] == faults
    assert rows[1]["faults"] == {"leaning_back": 1, "no_hold": 1, "partial_range": 1}
    assert [s["id"] for s in history_json(db, "--exercise", "seated_row")] == [1]
    assert [s["id"] for s in history_json(db, "--person", "ann")] == [1]
    assert {s["id"] for s in history_json(db, "--since", "30d")} == {1, 2}  # the worktree's files are new
    assert history_json(db, "--since", "2999-01-01") == []
    r = run("history", "--db", db)
    assert r.exit_code == 0 and "seated_row" in r.output and "2 sessions" in r.output

    r = run("history", "export", "--db", db, "--csv", tmp_path / "csv")
    assert r.exit_code == 0, r.output
    import csv

    csv_dir = tmp_path / "csv"
    tables = {
        n: list(csv.DictReader((csv_dir / f"{n}.csv").read_text().splitlines()))
        for n in ("sessions", "sets", "reps", "faults")
    }
    assert sorted(t["id"] for t in tables["sessions"]) == ["1", "2"]
    assert (
        len(tables["reps"]) == 4
        and {"session_id", "rep", "set", "rom", "hold_s", "elbow_mean"} <= tables["reps"][0].keys()
    )
    assert sorted(f["fault"] for f in tables["faults"]) == ["leaning_back", "no_hold", "partial_range"]

    r = run("history", "delete", "2", "--db", db)
    assert r.exit_code == 0 and [s["id"] for s in history_json(db)] == [1]


@pytest.mark.parametrize(
    "args, words",
    [
        (["report", "7", "-o", "{tmp}/r.pdf"], "no session 7"),
        (["report", "latest", "-o", "{tmp}/r.docx"], "written as .html or .pdf"),
        (["report", "first", "-o", "{tmp}/r.pdf"], "'first': give a session id"),
        (["report", "latest", "--db", "{tmp}/none.db", "-o", "{tmp}/r.pdf"], "no history there yet"),
        (["history", "delete", "9"], "no session 9"),
        (["history", "--since", "last week"], "--since 'last week'"),
        (["history", "--db", "{tmp}"], "is a folder"),
        (
            ["analyze", str(FIX / "rowing.npz"), "-e", "seated_row", "-o", "{tmp}/o", "--db", "{tmp}/junk.db"],
            "not a formcheck history",
        ),
    ],
)
def test_bad_history_input_is_one_line_and_exit_2(tmp_path, args, words):
    db = tmp_path / "x.db"
    History.open(db).close()
    (tmp_path / "junk.db").write_bytes(b"junk" * 1000)
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    if "--db" not in args:
        args += ["--db", str(db)]
    r = runner.invoke(app, args)
    assert r.exit_code == 2, r.output
    assert r.output.startswith("error:") and r.output.count("\n") == 1 and words in r.output, r.output
    assert not (tmp_path / "o").exists()  # a bad history stops analyze before any work


@needs_poppler
def test_the_pdf_report_names_the_exercise_counts_faults_and_trend(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)  # the landmarks remember their clip as sample_videos/rowing.mp4: key frames come from it
    db = tmp_path / "x.db"
    for _ in range(2):  # an earlier session, for the trend
        r = run(
            "analyze",
            FIX / "rowing.npz",
            "-e",
            "seated_row",
            "-o",
            tmp_path / "out",
            "--db",
            db,
            "--person",
            "Ann",
            "--programme",
            ROOT / "programmes/middle_back.toml",
            "--no-progress",
        )
        assert r.exit_code == 0, r.output
    rep = json.loads((tmp_path / "out" / "rowing.report.json").read_text())
    r = run("report", "latest", "--db", db, "-o", tmp_path / "s.pdf")
    assert r.exit_code == 0 and "(session 2)" in r.output, r.output
    text = pdf_text(tmp_path / "s.pdf")
    flat = " ".join(text.split())
    assert "Seated row (cable or band)" in text and "Ann" in text
    assert f"Reps {rep['rep_count']}" in flat and "Sets 1 (2 reps)" in flat
    assert "target 3 sets x 12 reps" in flat and "short" in text  # the programme's target and the verdict
    for r_ in rep["reps"]:  # the per-rep numbers as in report.json
        for k in ("rom_deg", "concentric_s", "hold_s", "eccentric_s"):
            assert f"{r_[k]:g}" in text, (k, r_[k])
    reading = " ".join(pdf_text(tmp_path / "s.pdf", layout=False).split())
    for f in rep["faults"]:
        assert f["id"] in text and f["message"] in reading  # each fault with its cue
    assert "1 time, in 1 of 2 reps" in flat
    assert "Trend: Ann's sessions of this exercise" in flat and "previous 1" in flat
    pages = subprocess.run(["pdfinfo", str(tmp_path / "s.pdf")], capture_output=True, text=True).stdout
    assert int(re.search(r"Pages:\s+(\d+)", pages).group(1)) <= 2 and "(A4)" in pages  # one or two printable pages
    images = subprocess.run(["pdfimages", "-list", str(tmp_path / "s.pdf")], capture_output=True, text=True).stdout
    assert len(images.splitlines()) - 2 >= len({f["id"] for f in rep["faults"]})  # a key frame per fault
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(tmp_path / "s.pdf"), str(tmp_path / "p")], check=True
    )
    import cv2

    page = cv2.imread(str(tmp_path / "p-1.png"))
    assert page is not None and page.shape[0] > page.shape[1]  # A4 portrait
    assert (page < 128).mean() > 0.02  # text, tables and frames on it, not a blank page

    r = run("report", "1", "--db", db, "-o", tmp_path / "s.html")
    html = (tmp_path / "s.html").read_text()
    assert (
        r.exit_code == 0 and "<table>" in html and "data:image/jpeg;base64," in html and "<svg" not in html
    )  # first: no trend


def test_live_sessions_are_recorded_at_new_set_reset_and_close(tmp_path):
    """The coach's checkpoints: one session per Reset, replaced in place at each New set (same id),
    reps numbered through the session, and a report that keeps the report.json contract."""
    sys.path.insert(0, str(ROOT / "tests"))
    import jsonschema
    from kinematics import Pose, frame, reps

    from formcheck.apps.live import LiveCoach
    from formcheck.apps.live_history import LiveHistory
    from formcheck.engine.specs import get_spec

    hist = History.open(tmp_path / "x.db")
    coach = LiveCoach(get_spec("seated_row"))
    rec = LiveHistory.attach(coach, hist, "Bo", "camera 0")
    bottom = Pose(
        yaw=90, torso=90, upper_arm=(-170.0, 180.0), forearm=(-170.0, 180.0), thigh=(0.0, 0.0), shank=(-30.0, 0.0)
    )
    top = replace(bottom, upper_arm=(-80.0, 180.0), forearm=(-10.0, 0.0))
    poses = list(reps(bottom, top, 2, hold_s=1.5))
    coach.checkpoint("stop")
    assert rec.session_id is None and hist.sessions() == []  # nothing counted yet: nothing recorded
    for i, p in enumerate(poses):
        coach.feed(frame(p, i / 30), (1280, 720))
    coach.new_set()
    first = rec.session_id
    assert first is not None and hist.get(first).sets == [2]
    for i, p in enumerate(poses):
        coach.feed(frame(p, 30 + i / 30), (1280, 720))
    coach.reset()  # the session ends: recorded with both sets, under the same id
    report = hist.report(first)
    assert [r["index"] for r in report["reps"]] == [1, 2, 3, 4] and [r["set"] for r in report["reps"]] == [1, 1, 2, 2]
    assert [s["reps"] for s in report["sets"]] == [2, 2] and report["sets"][1]["rep_indexes"] == [3, 4]
    jsonschema.validate(report, json.loads((ROOT / "docs" / "report.schema.json").read_text()))
    for i, p in enumerate(poses):
        coach.feed(frame(p, 60 + i / 30), (1280, 720))
    coach.close()
    infos = hist.sessions()
    assert [(i.kind, i.person, i.source, i.sets) for i in infos] == [
        ("live", "Bo", "camera 0", [2]),
        ("live", "Bo", "camera 0", [2, 2]),
    ]
    assert rec.recorded == [first, infos[0].id]


@pytest.mark.model
@needs_poppler
def test_done_when_two_analyze_runs_and_a_two_worker_batch_of_four_clips(tmp_path):
    """The issue's done-when: 6 sessions with the reports' rep counts; 'report latest' names the exercise
    and the counts; --resume records no clip twice."""
    db = tmp_path / "x.db"
    out = tmp_path / "out"
    for clip, ex in (("seated_cable_row", "seated_row"), ("bird_dog_side", "bird_dog")):
        r = run("analyze", FIX / f"{clip}.npz", "-e", ex, "-o", out, "--db", db, "--no-progress")
        assert r.exit_code == 0, r.output
    clips = tmp_path / "clips"
    clips.mkdir()
    for name in ("seated_cable_row", "rowing", "lat_pulldown", "seated_cable_row"):
        shutil.copy(ROOT / "sample_videos" / f"{name}.mp4", clips / f"{len(list(clips.iterdir()))}_{name}.mp4")
    fast = ["--max-fps", "8", "--max-side", "360", "--no-progress"]
    manifest = tmp_path / "m.csv"
    manifest.write_text(
        "path,exercise\n0_seated_cable_row.mp4,seated_row\n1_rowing.mp4,seated_row\n2_lat_pulldown.mp4,lat_pulldown\n"
        "3_seated_cable_row.mp4,seated_row\n"
    )
    r = run("batch", clips, "--manifest", manifest, "-o", tmp_path / "bout", "-j", "2", "--db", db, *fast)
    assert r.exit_code == 0, r.output
    sessions = history_json(db)
    assert len(sessions) == 6
    summary = {row["path"]: row for row in json.loads((tmp_path / "bout" / "summary.json").read_text())["results"]}
    for s in sessions:
        if s["source"] in summary:
            assert s["rep_count"] == summary[s["source"]]["reps"]
            rep = json.loads((tmp_path / "bout" / f"{summary[s['source']]['outputs']}.report.json").read_text())
        else:
            rep = json.loads((out / f"{Path(s['source']).stem}.report.json").read_text())
        assert s["rep_count"] == rep["rep_count"] and s["exercise"] == rep["exercise"]
    # a resumed batch redoes one clip: its session is replaced, not added
    (tmp_path / "bout" / f"{summary['1_rowing.mp4']['outputs']}.status.json").unlink()
    r = run("batch", clips, "--manifest", manifest, "-o", tmp_path / "bout", "--resume", "--db", db, *fast)
    assert r.exit_code == 0 and "3 clips already finished, 1 to do" in r.output, r.output
    again = history_json(db)
    assert len(again) == 6 and {s["id"] for s in again} == {s["id"] for s in sessions}

    r = run("report", "latest", "--db", db, "-o", tmp_path / "s.pdf")
    assert r.exit_code == 0, r.output
    latest = max(again, key=lambda s: (s["recorded_at"], s["id"]))
    flat = " ".join(pdf_text(tmp_path / "s.pdf").split())
    assert "Seated row (cable or band)" in flat and latest["source"] == "1_rowing.mp4"
    assert f"Reps {latest['rep_count']}" in flat and f"Sets {len(latest['sets'])}" in flat


def test_a_split_recording_is_one_session_per_segment(tmp_path):
    """analyze -e auto on a recording with two exercises: two sessions, each with its segment,
    starting where its segment starts in the recording."""
    sys.path.insert(0, str(ROOT / "tests"))
    from test_segment import joined

    npz = tmp_path / "floor_routine.npz"
    joined("bird_dog_side", "cat_cow_side").save(npz)
    db = tmp_path / "x.db"
    r = run("analyze", npz, "-e", "auto", "-o", tmp_path / "out", "--db", db, "--person", "Di", "--no-progress")
    assert r.exit_code == 0, r.output
    sessions = sorted(history_json(db), key=lambda s: s["started_at"])
    assert [s["exercise"] for s in sessions] == ["bird_dog", "cat_cow"]
    hist = History.open(db)
    segs = [hist.report(s["id"])["segment"] for s in sessions]
    assert [(g["index"], g["of"]) for g in segs] == [(1, 2), (2, 2)]
    import datetime as dt

    gap = dt.datetime.fromisoformat(sessions[1]["started_at"]) - dt.datetime.fromisoformat(sessions[0]["started_at"])
    assert abs(gap.total_seconds() - (segs[1]["start_s"] - segs[0]["start_s"])) <= 1.0
    for s in sessions:
        listing = json.loads((tmp_path / "out" / "floor_routine.segments.json").read_text())["segments"]
        row = next(x for x in listing if x["exercise"] == s["exercise"])
        assert s["rep_count"] == row["rep_count"] and s["person"] == "Di"
