"""The history store: the report round trip, migrations, concurrent writers, a writer killed mid-session,
and bad databases."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from formcheck.apps.cli import app
from formcheck.results import history as H

ROOT = Path(__file__).resolve().parent.parent
FIX = ROOT / "tests" / "fixtures" / "landmarks"
runner = CliRunner()


def analyze(tmp_path, clip: str, exercise: str, *extra: str) -> dict:
    out = tmp_path / "out"
    r = runner.invoke(
        app, ["analyze", str(FIX / f"{clip}.npz"), "-e", exercise, "-o", str(out), "--no-progress", *extra]
    )
    assert r.exit_code == 0, r.output
    return json.loads((out / f"{clip}.report.json").read_text())


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """Reports with faults (rowing), timed holds and sides (bird_dog), and none of either."""
    d = tmp_path_factory.mktemp("reports")
    return {
        name: analyze(d, clip, ex, "--no-history")
        for name, clip, ex in [
            ("rowing", "rowing", "seated_row"),
            ("bird_dog", "bird_dog_side", "bird_dog"),
            ("pulldown", "lat_pulldown", "lat_pulldown"),
        ]
    }


def test_a_session_redraws_its_report_exactly(tmp_path, reports):
    import datetime as dt

    hist = H.History.open(tmp_path / "h.db")
    for k, rep in enumerate(reports.values()):
        sid = hist.record(rep, kind="analyze", person="Ann", started_at=dt.datetime(2025, 3, 1 + k, 9))
        assert hist.report(sid) == rep  # every key, every number: the page and the report show report.json
    assert [i.exercise for i in hist.sessions()] == ["lat_pulldown", "bird_dog", "seated_row"]  # newest first
    assert hist.report(999) is None and hist.get(999) is None


def test_a_keyed_session_is_replaced_in_place(tmp_path, reports):
    hist = H.History.open(tmp_path / "h.db")
    a = hist.record(reports["rowing"], kind="batch", key="clip-1")
    b = hist.record(reports["bird_dog"], kind="batch", key="clip-1")  # the same clip, analysed again
    assert a == b and len(hist.sessions()) == 1 and hist.report(a) == reports["bird_dog"]
    with sqlite3.connect(tmp_path / "h.db") as c:  # no rows of the first recording are left
        assert c.execute("select count(*) from reps").fetchone()[0] == reports["bird_dog"]["rep_count"]
        assert c.execute("select count(*) from faults").fetchone()[0] == len(reports["bird_dog"]["faults"])


def test_filters_and_delete(tmp_path, reports):
    import datetime as dt

    hist = H.History.open(tmp_path / "h.db")
    old = dt.datetime.now() - dt.timedelta(days=40)
    a = hist.record(reports["rowing"], kind="analyze", person="Ann", started_at=old)
    now = dt.datetime.now()
    b = hist.record(reports["rowing"], kind="analyze", person="  bo ", started_at=now - dt.timedelta(hours=2))
    c = hist.record(reports["bird_dog"], kind="analyze", person="Ann", started_at=now - dt.timedelta(hours=1))
    assert [i.id for i in hist.sessions(exercise="seated_row")] == [b, a]
    assert [i.id for i in hist.sessions(person="ANN")] == [c, a]
    assert [i.id for i in hist.sessions(since=dt.date.today() - dt.timedelta(days=7))] == [c, b]
    assert hist.persons() == ["Ann", "bo"] and hist.latest() == c and hist.latest("bo") == b
    assert hist.delete(a) and not hist.delete(a)
    d = hist.record(reports["rowing"], kind="analyze")
    assert d > c  # a deleted id is never given again
    with sqlite3.connect(tmp_path / "h.db") as con:
        assert con.execute("select count(*) from reps where session_id = ?", (a,)).fetchone()[0] == 0


# ----------------------------------------------------------------- migrations
def test_the_migrations_build_exactly_the_tables_the_code_uses(tmp_path):
    from alembic.autogenerate import compare_metadata
    from alembic.config import Config
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(H.MIGRATIONS))
    assert ScriptDirectory.from_config(cfg).get_heads() == [H.SCHEMA_HEAD]
    hist = H.History.open(tmp_path / "h.db")
    with hist.engine.connect() as c:
        assert compare_metadata(MigrationContext.configure(c, opts={"compare_type": True}), H.metadata) == []


def _first_schema_db(path: Path) -> None:
    """A database exactly as the first release made it (schema 0001), with one session in it."""
    from alembic import command
    from alembic.config import Config

    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as c:
        cfg = Config()
        cfg.set_main_option("script_location", str(H.MIGRATIONS))
        cfg.attributes["connection"] = c
        command.upgrade(cfg, "0001")
        c.exec_driver_sql(
            "INSERT INTO sessions (kind, started_at, recorded_at, person, exercise, exercise_name, source, view, side,"
            " rep_count, frames_with_pose, video, warnings, extras) VALUES ('analyze', '2024-05-01 10:00:00.000000',"
            " '2024-05-01 10:01:00.000000', 'Ann', 'seated_row', 'Seated row', 'old.mp4', 'side_left', 'left', 1,"
            ' 0.9, \'{"path": "old.mp4", "fps": 30.0, "frames": 90, "duration_s": 3.0, "width": 640, "height": 480}\','
            " '[]', '{\"schema_version\": 1}')"
        )
        c.exec_driver_sql(
            'INSERT INTO reps (session_id, "index", set_index, start_s, end_s, peak_s, rom, rom_unit, full_range,'
            " concentric_s, eccentric_s, hold_s, side, metrics, faults) VALUES (1, 1, 1, 0.5, 2.5, 1.5, 61.5, 'deg',"
            " 1, 0.8, 0.7, 0.5, 'left', '{}', '[]')"
        )
        c.exec_driver_sql(
            'INSERT INTO sets (session_id, "index", reps, start_s, end_s, rest_before_s) VALUES (1, 1, 1, 0.5, 2.5, NULL)'
        )
    engine.dispose()


def test_a_database_made_by_the_first_schema_opens_and_is_upgraded(tmp_path, reports):
    from formcheck.results.programme import load_programme

    db = tmp_path / "v1.db"
    _first_schema_db(db)
    with sqlite3.connect(db) as c:
        assert c.execute("select version_num from alembic_version").fetchone() == ("0001",)
        assert "programme" not in {r[1] for r in c.execute("pragma table_info(sessions)")}
    r = runner.invoke(app, ["history", "--db", str(db), "--json"])  # the command line opens it as it is
    assert r.exit_code == 0, r.output
    (old,) = json.loads(r.output)
    assert (old["id"], old["exercise"], old["rep_count"], old["sets"], old["person"]) == (
        1,
        "seated_row",
        1,
        [1],
        "Ann",
    )
    assert old["programme"] is None and old["started_at"].startswith("2024-05-01")
    hist = H.History.open(db)
    assert hist.revision() == H.SCHEMA_HEAD
    assert hist.report(1)["reps"][0]["rom_deg"] == 61.5
    sid = hist.record(reports["rowing"], kind="analyze", programme=load_programme(ROOT / "programmes/middle_back.toml"))
    assert hist.get(sid).programme == "Strengthen the middle back"
    with sqlite3.connect(db) as c:
        assert c.execute("pragma integrity_check").fetchone() == ("ok",)


def test_a_newer_or_foreign_or_broken_database_is_one_clear_error(tmp_path):
    newer = tmp_path / "newer.db"
    H.History.open(newer).close()
    with sqlite3.connect(newer) as c:
        c.execute("update alembic_version set version_num = '0099'")
    with pytest.raises(H.HistoryError, match="made by a newer formcheck"):
        H.History.open(newer)
    foreign = tmp_path / "foreign.db"
    with sqlite3.connect(foreign) as c:
        c.execute("create table notes (x)")
    with pytest.raises(H.HistoryError, match="not a formcheck history database"):
        H.History.open(foreign)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(H.HistoryError, match="not a formcheck history database"):
        H.History.open(junk)
    for args in (
        ["history", "--db", str(junk)],
        ["report", "latest", "--db", str(newer), "-o", str(tmp_path / "r.pdf")],
    ):
        r = runner.invoke(app, args)
        assert r.exit_code == 2 and r.output.count("\n") == 1 and r.output.startswith("error:"), r.output


def test_a_locked_database_is_waited_for_then_one_clear_error(tmp_path, reports, monkeypatch):
    db = tmp_path / "h.db"
    H.History.open(db).close()
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another program holds the write lock
    hist = H.History.open(db, timeout_s=0.3)
    t0 = time.perf_counter()
    with pytest.raises(H.HistoryError, match="locked by another program"):
        hist.record(reports["rowing"], kind="analyze")
    assert time.perf_counter() - t0 >= 0.25  # it waited for the lock first
    monkeypatch.setattr(H, "BUSY_TIMEOUT_S", 0.3)
    out = tmp_path / "out"
    r = runner.invoke(
        app, ["analyze", str(FIX / "rowing.npz"), "-e", "seated_row", "-o", str(out), "--db", str(db), "--no-progress"]
    )
    assert r.exit_code == 2 and "error:" in r.output and "locked by another program" in r.output, r.output
    assert (out / "rowing.report.json").exists()  # the analysis itself is kept
    holder.execute("ROLLBACK")
    assert hist.record(reports["rowing"], kind="analyze") == 1  # and once the lock is free it goes on


# ---------------------------------------------------------------- concurrency
def test_concurrent_writers_and_a_writer_killed_mid_session(tmp_path, reports):
    """4 processes write 25 sessions each at once (plus 5 shared keyed sessions, all of them), while a
    fifth holds the write lock mid-session and is killed with SIGKILL: nothing is lost, duplicated or
    half-written, and the file passes integrity_check."""
    db = tmp_path / "h.db"
    H.History.open(db).close()
    rep_path = tmp_path / "r.json"
    rep_path.write_text(json.dumps(reports["rowing"]))
    writer = [sys.executable, str(ROOT / "tests" / "history_writer.py"), str(db), str(rep_path)]
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    staller = subprocess.Popen([*writer, "stalled", "stall"], stdout=subprocess.PIPE, text=True, env=env)
    committed = []
    for line in staller.stdout:  # type: ignore[union-attr]
        if line.strip() == "MID":
            break
        committed.append(int(line))
    n, m = 4, 25
    t0 = time.perf_counter()
    procs = [
        subprocess.Popen([*writer, f"w{k}", str(m)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        for k in range(n)
    ]
    time.sleep(1.0)  # the writers queue behind the stalled transaction
    os.kill(staller.pid, signal.SIGKILL)
    staller.wait(timeout=10)
    outs = [p.communicate(timeout=120) for p in procs]
    seconds = time.perf_counter() - t0
    for p, (_, e) in zip(procs, outs, strict=True):
        assert p.returncode == 0, e
    ids = [int(x) for o, _ in outs for x in o.split()]
    assert len(ids) == len(set(ids)) == n * m
    rep_count, n_faults = reports["rowing"]["rep_count"], len(reports["rowing"]["faults"])
    with sqlite3.connect(db) as c:
        assert c.execute("pragma integrity_check").fetchone() == ("ok",)
        assert c.execute("pragma foreign_key_check").fetchall() == []
        sessions = c.execute("select count(*) from sessions").fetchone()[0]
        assert sessions == n * m + 5 + len(committed) == n * m + 8
        assert c.execute("select count(*) from sessions where natural_key = 'stalled-killed'").fetchone()[0] == 0
        assert c.execute("select count(*) from sessions where person = 'shared'").fetchone()[0] == 5
        assert c.execute("select count(*) from reps").fetchone()[0] == sessions * rep_count
        assert c.execute("select count(*) from faults").fetchone()[0] == sessions * n_faults
    hist = H.History.open(db)
    assert all(hist.report(i) == reports["rowing"] for i in (*committed, ids[0], ids[-1]))
    print(f"{n} writers x {m} sessions (+ shared upserts) in {seconds:.1f} s after a killed writer")


def test_the_results_wing_stays_below_the_apps():
    """The store, the trends and the printable report import no app code and no UI library."""
    import ast

    import formcheck

    pkg = Path(formcheck.__file__).resolve().parent
    for name in ("history.py", "trends.py", "clinical.py"):
        tree = ast.parse((pkg / "results" / name).read_text())
        mods = {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        mods |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        assert not {m for m in mods if "apps" in m.split(".") or m.split(".")[0] == "streamlit"}, name
