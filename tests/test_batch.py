"""formcheck batch: discovery, safe names, bad clips, resume, overwrite guard, crash isolation."""

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from formcheck.apps import batch as b
from formcheck.apps.cli import app

ROOT = Path(__file__).resolve().parent.parent
CLIP = ROOT / "sample_videos" / "seated_cable_row.mp4"
FAST = ["--max-fps", "6", "--max-side", "360", "--no-progress"]
runner = CliRunner()


@pytest.fixture
def clips(tmp_path):
    d = tmp_path / "clips"
    (d / "week 1" / "..sneaky").mkdir(parents=True)
    shutil.copy(CLIP, d / "a.mp4")
    shutil.copy(CLIP, d / "week 1" / "B.MOV")  # extension case does not matter
    (d / "week 1" / "..sneaky" / "c.mp4").write_text("not a video")
    (d / "empty.avi").write_bytes(b"")
    (d / "notes.txt").write_text("ignored")
    (d / ".hidden.mp4").write_text("ignored")
    return d


def test_discovery_and_safe_output_names(clips):
    jobs = b.plan(clips, "seated_row", None)
    assert [j.rel for j in jobs] == ["a.mp4", "empty.avi", "week 1/..sneaky/c.mp4", "week 1/B.MOV"]
    for j in jobs:
        assert "/" not in j.stem and not j.stem.startswith(".") and ".." not in j.stem.split("__")
    assert len({j.stem for j in jobs}) == len(jobs)
    taken: set[str] = set()
    assert b.output_stem("x/y.mp4", taken) != b.output_stem("x__y.mp4", taken)  # collisions get a hash


def test_manifest_for_mixed_folders(clips, tmp_path):
    m = tmp_path / "m.csv"
    m.write_text("path,exercise\na.mp4,seated_row\nweek 1/B.MOV,reverse_fly\nmissing.mp4,seated_row\n")
    jobs = {j.rel: j.exercise for j in b.plan(clips, None, m)}
    assert jobs == {"a.mp4": "seated_row", "week 1/B.MOV": "reverse_fly", "missing.mp4": "seated_row"}


def test_batch_reports_bad_clips_finishes_the_rest_and_resumes(clips, tmp_path):
    out = tmp_path / "out"
    r = runner.invoke(app, ["batch", str(clips), "-e", "seated_row", "-o", str(out), "-j", "2", *FAST])
    assert r.exit_code == 1, r.output  # some clips failed
    summary = json.loads((out / "summary.json").read_text())
    by = {row["path"]: row for row in summary["results"]}
    assert summary["clips"] == 4 and summary["ok"] == 2
    assert by["a.mp4"]["status"] == "ok" and by["a.mp4"]["reps"] == 1
    assert by["week 1/B.MOV"]["status"] == "ok"
    assert "empty file" in by["empty.avi"]["error"]
    assert "not a readable video" in by["week 1/..sneaky/c.mp4"]["error"]
    assert (out / "summary.csv").read_text().count("\n") == 5
    assert all(p.resolve().parent == out.resolve() for p in out.iterdir())  # nothing escaped --out
    assert not list(out.glob("*.tmp"))

    # without --resume/--overwrite existing results are never silently replaced
    r = runner.invoke(app, ["batch", str(clips), "-e", "seated_row", "-o", str(out), *FAST])
    assert r.exit_code == 2 and "--resume" in r.output

    # an interrupted run: one clip lost its status record, another its report
    stems = {row["path"]: row["outputs"] for row in summary["results"]}
    (out / f"{stems['a.mp4']}.status.json").unlink()
    (out / f"{stems['week 1/B.MOV']}.report.json").unlink()
    (clips / "empty.avi").unlink()
    shutil.copy(CLIP, clips / "empty.avi")  # fixed meanwhile
    r = runner.invoke(app, ["batch", str(clips), "-e", "seated_row", "-o", str(out), "--resume", *FAST])
    assert "0 clips already finished, 4 to do" not in r.output
    summary = json.loads((out / "summary.json").read_text())
    by = {row["path"]: row for row in summary["results"]}
    assert by["empty.avi"]["status"] == "ok"  # errors are redone on resume
    assert by["a.mp4"]["status"] == by["week 1/B.MOV"]["status"] == "ok"
    assert r.exit_code == 1  # the non-video is still a failure
    assert (out / f"{stems['week 1/B.MOV']}.report.json").exists()


def test_batch_auto_recognises_each_clip_and_resumes(tmp_path):
    """-e auto (or auto in a manifest): each clip's exercise recognised, reported per
    segment with a <stem>.segments.json; the recognised exercise is kept on resume."""
    d = tmp_path / "mixed"
    d.mkdir()
    shutil.copy(CLIP, d / "row.mp4")
    shutil.copy(ROOT / "sample_videos" / "bird_dog_side.mp4", d / "floor.mp4")
    (d / "bad.mp4").write_text("not a video")
    out = tmp_path / "out"
    fast = ["--max-fps", "10", "--max-side", "480", "--no-progress"]
    r = runner.invoke(app, ["batch", str(d), "-e", "auto", "-o", str(out), "-j", "2", *fast])
    assert r.exit_code == 1, r.output  # the bad clip
    by = {row["path"]: row for row in json.loads((out / "summary.json").read_text())["results"]}
    assert (by["row.mp4"]["exercise"], by["row.mp4"]["reps"]) == ("seated_row", 1)
    assert (by["floor.mp4"]["exercise"], by["floor.mp4"]["reps"]) == ("bird_dog", 2)
    assert by["bad.mp4"]["status"] == "error" and by["bad.mp4"]["exercise"] == "auto"
    segs = json.loads((out / "floor.segments.json").read_text())["segments"]
    assert [s["exercise"] for s in segs] == ["bird_dog"] and segs[0]["rep_count"] == 2
    assert json.loads((out / segs[0]["report"]).read_text())["exercise"] == "bird_dog"

    r = runner.invoke(app, ["batch", str(d), "-e", "auto", "-o", str(out), "--resume", *fast])
    assert "2 clips already finished, 1 to do" in r.output
    by = {row["path"]: row for row in json.loads((out / "summary.json").read_text())["results"]}
    assert by["floor.mp4"]["exercise"] == "bird_dog" and by["floor.mp4"]["reps"] == 2


def test_unknown_exercise_and_empty_folder_stop_before_work(tmp_path, clips):
    r = runner.invoke(app, ["batch", str(clips), "-e", "nope", "-o", str(tmp_path / "o"), "--no-progress"])
    assert r.exit_code == 2 and "unknown exercise 'nope'" in r.output
    (tmp_path / "none").mkdir()
    r = runner.invoke(app, ["batch", str(tmp_path / "none"), "-e", "seated_row", "--no-progress"])
    assert r.exit_code == 2 and "no video files found" in r.output


def test_a_worker_crash_is_isolated_to_its_clip(tmp_path):
    """A clip that kills its worker (like a decoder segfault) is reported; the pool
    is rebuilt and every other clip still gets its own result."""
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from batch_tasks import crash_on_poison

    d = tmp_path / "c"
    d.mkdir()
    for name in ["a.mp4", "poison.mp4", "y.mp4", "z.mp4"]:
        (d / name).write_bytes(b"x")  # not videos: ordinary, reported errors
    out = tmp_path / "o"
    out.mkdir()
    results: list = []
    b.run_local(b.plan(d, "seated_row", None), out, False, {}, 2, results.append, task=crash_on_poison)
    by = {r.rel: r for r in results}
    assert sorted(by) == ["a.mp4", "poison.mp4", "y.mp4", "z.mp4"]  # each exactly once
    assert len(results) == 4
    assert "crashed" in by["poison.mp4"].error
    for n in ["a.mp4", "y.mp4", "z.mp4"]:
        assert by[n].status == "error" and "not a readable video" in by[n].error
    assert json.loads((out / "poison.status.json").read_text())["status"] == "error"


def test_the_current_stack_installs_together():
    """No pins hold the stack back: mediapipe's Tasks API with numpy 2, current Ray beside it,
    and the package never touches the legacy ``mediapipe.solutions``."""
    import subprocess
    import sys
    from importlib.metadata import version

    assert int(version("mediapipe").split(".")[0]) >= 1
    assert int(version("numpy").split(".")[0]) >= 2
    code = (
        "import sys, formcheck, formcheck.pipeline, formcheck.media.pose as p; p.check_model();"
        "print(any(m.startswith('mediapipe.python') or 'solutions' in m for m in sys.modules))"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stdout.strip() == "False", r.stderr
    ray = pytest.importorskip("ray")
    assert tuple(int(x) for x in ray.__version__.split(".")[:2]) >= (2, 50)


@pytest.mark.ray
def test_ray_engine_runs_the_same_task(clips, tmp_path):
    pytest.importorskip("ray")
    out = tmp_path / "out"
    r = runner.invoke(
        app, ["batch", str(clips), "-e", "seated_row", "-o", str(out), "--engine", "ray", "-j", "2", *FAST]
    )
    assert r.exit_code == 1, r.output
    by = {row["path"]: row for row in json.loads((out / "summary.json").read_text())["results"]}
    assert by["a.mp4"]["status"] == "ok" and by["a.mp4"]["reps"] == 1
    assert by["empty.avi"]["status"] == "error"


def test_batch_without_ray_gives_the_install_advice_verbatim(clips, tmp_path, monkeypatch):
    """--engine ray without Ray installed: one error line whose advice keeps its '[ray]'."""
    import sys

    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ImportError, as if not installed
    out = tmp_path / "out"
    r = runner.invoke(app, ["batch", str(clips), "-e", "seated_row", "-o", str(out), "--engine", "ray", *FAST])
    assert r.exit_code == 2, r.output
    assert "error: --engine ray needs Ray: pip install -e '.[ray]'" in r.output
    assert not list(out.glob("*.report.json"))


def test_plan_measures_each_clip_from_its_container(clips):
    by = {j.rel: j for j in b.plan(clips, "seated_row", None)}
    assert (by["a.mp4"].frames, by["a.mp4"].duration_s) == (240, pytest.approx(8.0))
    assert (by["empty.avi"].frames, by["empty.avi"].duration_s) == (0, 0.0)  # unreadable: unknown, reported later


def test_longest_first_orders_by_model_frames():
    def job(name, frames, duration_s):
        return b.ClipJob(name, name, "seated_row", name, frames, duration_s)

    jobs = [job("short", 120, 4.0), job("unknown", 0, 0.0), job("fast60", 600, 10.0), job("long", 450, 15.0)]
    jobs.append(job("long2", 450, 15.0))
    assert [j.rel for j in b.longest_first(jobs)] == ["fast60", "long", "long2", "short", "unknown"]
    # --max-fps 10: the 60 fps clip's 600 frames become 100 analysed, fewer than the 15 s clips' 150
    assert [j.rel for j in b.longest_first(jobs, 10)] == ["long", "long2", "fast60", "short", "unknown"]


def test_batch_starts_the_longest_clips_first(tmp_path):
    """With clips of mixed lengths the longest start first, so none runs alone at the end."""
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from batch_tasks import instant

    jobs = [
        b.ClipJob(f"{n}.mp4", f"{n}.mp4", "seated_row", n, f, f / 30) for n, f in [("a", 90), ("b", 600), ("c", 240)]
    ]
    done: list = []
    b.run_local(jobs, tmp_path, False, {}, 1, done.append, task=instant)
    assert [r.rel for r in done] == ["b.mp4", "c.mp4", "a.mp4"]
