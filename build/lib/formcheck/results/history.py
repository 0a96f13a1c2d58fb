"""The workout history: every finished analysis in one SQLite file.

    hist = History.open()                        # FORMCHECK_DB, else the user's data directory
    sid = hist.record(report, kind="analyze", source="clip.mp4", person="Ann")
    hist.report(sid) == report                   # the report.json document, redrawn from the tables
    hist.sessions(exercise="seated_row", person="Ann")   # newest first

A session is one analysed exercise: when, source, exercise, view, person,
programme (if scored) and its sets, reps and faults, stored in tables
(:data:`metadata`) and built from the report dict
(:func:`formcheck.results.report.build_report`), so the page, the printable
report and ``report.json`` show the same numbers. Report keys without a table
of their own (holds, sides, recognition, segment, versions) are kept verbatim
in ``sessions.extras``.

Concurrency: WAL mode, a busy timeout, and one ``BEGIN IMMEDIATE``
transaction per session (the write lock is taken up front, so two writers
queue instead of deadlocking). A session carrying a ``key`` (a batch clip, a
live session) is replaced in place when recorded again, never duplicated.
The schema is versioned with Alembic (``formcheck/results/migrations``); an
older file is upgraded on open, in one transaction under the write lock.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from .history_schema import faults, metadata, report_of, report_rows, reps, sessions, sets

__all__ = ["History", "HistoryError", "SessionInfo", "default_path", "export_csv", "metadata"]

#: Environment variable naming the database file (``--db`` wins over it).
ENV_DB = "FORMCHECK_DB"
#: How long a writer waits for another one before giving up (seconds).
BUSY_TIMEOUT_S = 30.0
#: The newest schema revision (the head of ``migrations/versions``; a test keeps them equal).
SCHEMA_HEAD = "0002"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
KINDS = ("analyze", "batch", "live", "page")


class HistoryError(Exception):
    """The history cannot be used (message is user-facing, one line)."""


# ------------------------------------------------------------------ sessions
@dataclass(frozen=True)
class SessionInfo:
    """One row of the history list."""

    id: int
    started_at: dt.datetime  # local time, aware
    recorded_at: dt.datetime
    kind: str
    source: str
    exercise: str
    exercise_name: str
    person: str | None
    programme: str | None
    view: str
    rep_count: int
    duration_s: float | None
    sets: list[int] = field(default_factory=list)  # reps per set
    faults: dict[str, int] = field(default_factory=dict)  # fault id -> occurrences
    video_path: str | None = None
    annotated_path: str | None = None
    programme_def: dict | None = None
    hold_target_s: float | None = None  # timed holds: the spec's target when recorded

    def to_json(self) -> dict[str, Any]:
        """The contract of ``formcheck history --json`` (``id``, ``started_at``, ``exercise``,
        ``rep_count``, ``sets``, ``faults``, ``source``, and a few more)."""
        return {
            "id": self.id,
            "started_at": self.started_at.isoformat(timespec="seconds"),
            "exercise": self.exercise,
            "rep_count": self.rep_count,
            "sets": self.sets,
            "faults": self.faults,
            "source": self.source,
            "person": self.person,
            "kind": self.kind,
            "view": self.view,
            "duration_s": self.duration_s,
            "programme": self.programme,
            "recorded_at": self.recorded_at.isoformat(timespec="seconds"),
        }


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)


def to_utc(t: dt.datetime) -> dt.datetime:
    """Aware or local-naive -> naive UTC (how the tables store time)."""
    if t.tzinfo is None:
        t = t.astimezone()  # a naive time is local time
    return t.astimezone(dt.timezone.utc).replace(tzinfo=None, microsecond=0)


def to_local(t: dt.datetime) -> dt.datetime:
    return t.replace(tzinfo=dt.timezone.utc).astimezone()


def started_from_file(path: str | Path | None, duration_s: float | None) -> dt.datetime:
    """When a recorded clip started: its file's modification time (when the camera
    finished writing it) less its duration; now less the duration without a file."""
    end = dt.datetime.now(dt.timezone.utc)
    if path is not None:
        with contextlib.suppress(OSError):
            end = dt.datetime.fromtimestamp(os.stat(path).st_mtime, dt.timezone.utc)
    return to_utc(end - dt.timedelta(seconds=duration_s or 0.0))


def default_path() -> Path:
    """``$FORMCHECK_DB``, else ``history.db`` in the user's data directory (platformdirs)."""
    env = os.environ.get(ENV_DB)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return platformdirs.user_data_path("formcheck", appauthor=False) / "history.db"


# ---------------------------------------------------------------- the store
class History:
    """The history database. Open with :meth:`open`; safe to share between threads."""

    def __init__(self, engine: Engine, path: Path, timeout_s: float = BUSY_TIMEOUT_S) -> None:
        self.engine = engine
        self.path = path
        self.timeout_s = timeout_s

    # -- opening
    @classmethod
    def open(cls, path: str | Path | None = None, timeout_s: float | None = None) -> History:
        """Open (creating or upgrading) the database at ``path`` (default: :func:`default_path`)."""
        p = Path(path).expanduser() if path is not None else default_path()
        if p.is_dir():
            raise HistoryError(f"{p}: is a folder, not a history database file")
        try:
            p.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise HistoryError(f"{p}: cannot create its folder ({e.strerror})") from None
        timeout = BUSY_TIMEOUT_S if timeout_s is None else timeout_s
        engine = sa.create_engine(f"sqlite:///{p}", connect_args={"timeout": timeout})
        _configure(engine, timeout)
        hist = cls(engine, p, timeout)
        with hist._errors("open"):
            hist._migrate()
        return hist

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        """Database failures as one-line :class:`HistoryError`s."""
        try:
            yield
        except sa.exc.OperationalError as e:
            msg = str(e.orig)
            if "locked" in msg or "busy" in msg:
                raise HistoryError(
                    f"{self.path}: the history is locked by another program (waited {self.timeout_s:g} s); try again"
                ) from None
            raise HistoryError(f"{self.path}: cannot {doing} the history ({msg})") from None
        except sa.exc.DatabaseError as e:
            raise HistoryError(f"{self.path}: not a formcheck history database ({e.orig})") from None

    @contextlib.contextmanager
    def _write(self) -> Iterator[Connection]:
        """One write transaction, holding the write lock from its start (``BEGIN IMMEDIATE``)."""
        with self.engine.connect() as c:
            c.execution_options(immediate=True)
            with c.begin():
                yield c

    def revision(self) -> str | None:
        with self.engine.connect() as c:
            return _revision(c)

    def _migrate(self) -> None:
        with self.engine.connect() as c:
            rev = _revision(c)
        if rev == SCHEMA_HEAD:
            return
        with self._write() as c:
            rev = _revision(c)  # again, under the lock: another process may have just done it
            if rev == SCHEMA_HEAD:
                return
            known = _revisions()
            if rev is not None and rev not in known:
                raise HistoryError(
                    f"{self.path}: made by a newer formcheck (schema {rev}; this one knows up to {SCHEMA_HEAD}); "
                    "upgrade formcheck to use it"
                )
            if rev is None and sa.inspect(c).get_table_names():
                raise HistoryError(f"{self.path}: not a formcheck history database (it has other tables)")
            from alembic import command
            from alembic.config import Config

            cfg = Config()
            cfg.set_main_option("script_location", str(MIGRATIONS))
            cfg.attributes["connection"] = c
            command.upgrade(cfg, SCHEMA_HEAD)

    # -- writing
    def record(
        self,
        report: dict,
        *,
        kind: str,
        source: str | None = None,
        person: str | None = None,
        started_at: dt.datetime | None = None,
        video_path: str | Path | None = None,
        annotated_path: str | Path | None = None,
        programme: Any = None,
        key: str | None = None,
    ) -> int:
        """Store one session from its report (``build_report``); return its id.

        ``key`` names a session that may be recorded again (a batch clip, a live
        session's checkpoints): it is then replaced in place and keeps its id.
        ``programme`` is a :class:`~formcheck.results.programme.Programme` the session
        was scored against. One transaction: a crash leaves the whole session or none.
        """
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
        row, set_rows, rep_rows, fault_rows = report_rows(report)
        duration = report.get("video", {}).get("duration_s")
        row |= {
            "natural_key": key,
            "kind": kind,
            "source": source or report.get("video", {}).get("path") or "?",
            "person": clean_person(person),
            "started_at": to_utc(started_at) if started_at else started_from_file(None, duration),
            "recorded_at": _utcnow(),
            "video_path": str(video_path) if video_path else None,
            "annotated_path": str(annotated_path) if annotated_path else None,
            "programme": programme.name if programme is not None else None,
            "programme_def": programme.model_dump(mode="json") if programme is not None else None,
        }
        with self._errors("write to"), self._write() as c:
            sid = None
            if key is not None:
                sid = c.execute(sa.select(sessions.c.id).where(sessions.c.natural_key == key)).scalar()
            if sid is None:
                sid = c.execute(sessions.insert().values(**row)).lastrowid
            else:
                c.execute(sessions.update().where(sessions.c.id == sid).values(**row))
                for t in (sets, reps, faults):
                    c.execute(t.delete().where(t.c.session_id == sid))
            for t, rows in ((sets, set_rows), (reps, rep_rows), (faults, fault_rows)):
                if rows:
                    c.execute(t.insert(), [r | {"session_id": sid} for r in rows])
        return int(sid)

    def delete(self, session_id: int) -> bool:
        """Delete a session with its sets, reps and faults; False if there is none."""
        with self._errors("write to"), self._write() as c:
            return c.execute(sessions.delete().where(sessions.c.id == session_id)).rowcount > 0

    # -- reading
    def sessions(
        self,
        exercise: str | None = None,
        person: str | None = None,
        since: dt.datetime | dt.date | None = None,
        until: dt.datetime | None = None,
        ids: list[int] | None = None,
        limit: int | None = None,
    ) -> list[SessionInfo]:
        """Sessions, newest first, filtered by exercise, person (any case) and start time."""
        where = _filters(exercise, person, since, until, ids)
        order = (sessions.c.started_at.desc(), sessions.c.id.desc())
        sub = sa.select(sessions.c.id).where(*where).order_by(*order).limit(limit)
        with self._errors("read"), self.engine.connect() as c:
            rows = c.execute(sa.select(sessions).where(*where).order_by(*order).limit(limit)).mappings().all()
            per_set: dict[int, list[int]] = {r["id"]: [] for r in rows}
            per_fault: dict[int, dict[str, int]] = {r["id"]: {} for r in rows}
            for sid, n in c.execute(
                sa.select(sets.c.session_id, sets.c.reps)
                .where(sets.c.session_id.in_(sub))
                .order_by(sets.c.session_id, sets.c["index"])
            ):
                per_set[sid].append(n)
            for sid, fid, n in c.execute(
                sa.select(faults.c.session_id, faults.c.fault, sa.func.count())
                .where(faults.c.session_id.in_(sub))
                .group_by(faults.c.session_id, faults.c.fault)
                .order_by(faults.c.session_id, faults.c.fault)
            ):
                per_fault[sid][fid] = n
        return [_info(r, per_set[r["id"]], per_fault[r["id"]]) for r in rows]

    def get(self, session_id: int) -> SessionInfo | None:
        found = self.sessions(ids=[session_id])
        return found[0] if found else None

    def latest(self, person: str | None = None) -> int | None:
        """The session recorded last (of ``person``, if given)."""
        q = sa.select(sessions.c.id).where(*_filters(None, person, None, None, None))
        q = q.order_by(sessions.c.recorded_at.desc(), sessions.c.id.desc()).limit(1)
        with self._errors("read"), self.engine.connect() as c:
            return c.execute(q).scalar()

    def report(self, session_id: int) -> dict | None:
        """The session's report document, as ``build_report`` made it (None if no such session)."""
        with self._errors("read"), self.engine.connect() as c:
            s = c.execute(sa.select(sessions).where(sessions.c.id == session_id)).mappings().first()
            if s is None:
                return None
            set_rows = c.execute(sa.select(sets).where(sets.c.session_id == session_id).order_by(sets.c["index"]))
            rep_rows = c.execute(sa.select(reps).where(reps.c.session_id == session_id).order_by(reps.c["index"]))
            fault_rows = c.execute(
                sa.select(faults).where(faults.c.session_id == session_id).order_by(faults.c.position)
            )
            return report_of(s, list(set_rows.mappings()), list(rep_rows.mappings()), list(fault_rows.mappings()))

    def persons(self) -> list[str]:
        with self._errors("read"), self.engine.connect() as c:
            q = sa.select(sessions.c.person).where(sessions.c.person.is_not(None)).distinct()
            return sorted(c.execute(q).scalars(), key=str.lower)

    def exercises(self) -> list[str]:
        with self._errors("read"), self.engine.connect() as c:
            return sorted(c.execute(sa.select(sessions.c.exercise).distinct()).scalars())

    def table(self, name: str, session_ids: list[int]) -> list[dict]:
        """Rows of ``sets``, ``reps`` or ``faults`` for these sessions (for exports and trends)."""
        t = {"sets": sets, "reps": reps, "faults": faults}[name]
        order = t.c.position if name == "faults" else t.c["index"]
        out: list[dict] = []
        with self._errors("read"), self.engine.connect() as c:
            for k in range(0, len(session_ids), 500):  # SQLite caps the parameters of one statement
                chunk = session_ids[k : k + 500]
                q = sa.select(t).where(t.c.session_id.in_(chunk)).order_by(t.c.session_id, order)
                out.extend(dict(r) for r in c.execute(q).mappings())
        return out


# -------------------------------------------------------------------- export
def export_csv(hist: History, infos: list[SessionInfo], folder: str | Path) -> list[Path]:
    """``sessions.csv``, ``sets.csv``, ``reps.csv`` and ``faults.csv`` for these sessions
    (rows joined by ``session_id``; a rep's metrics flattened to ``<metric>_<stat>`` columns)."""
    import csv
    import io

    from ..io_utils import write_text_atomic

    ids = [i.id for i in infos]
    session_rows = [
        i.to_json()
        | {"sets": ";".join(map(str, i.sets)), "faults": ";".join(f"{k}:{v}" for k, v in sorted(i.faults.items()))}
        | {"exercise_name": i.exercise_name, "video_path": i.video_path, "annotated_path": i.annotated_path}
        for i in infos
    ]
    set_rows = [{"set" if k == "index" else k: v for k, v in r.items() if k != "id"} for r in hist.table("sets", ids)]
    rep_rows = []
    for r in hist.table("reps", ids):
        row = {"rep" if k == "index" else "set" if k == "set_index" else k: v for k, v in r.items() if k != "id"}
        row["faults"] = ";".join(row["faults"])
        for m, stats in row.pop("metrics").items():
            row |= {f"{m}_{k}": v for k, v in stats.items()}
        rep_rows.append(row)
    fault_rows = [{k: v for k, v in r.items() if k not in ("id", "position")} for r in hist.table("faults", ids)]
    folder = Path(folder)
    paths = []
    for name, rows, first in (
        ("sessions", session_rows, ["id", "started_at", "exercise", "rep_count", "sets", "faults", "source"]),
        ("sets", set_rows, ["session_id", "set", "reps"]),
        ("reps", rep_rows, ["session_id", "rep", "set"]),
        ("faults", fault_rows, ["session_id", "fault", "rep"]),
    ):
        cols = list(dict.fromkeys(first + [k for r in rows for k in r]))
        buf = io.StringIO()
        wr = csv.DictWriter(buf, cols, lineterminator="\n")
        wr.writeheader()
        wr.writerows(rows)
        path = folder / f"{name}.csv"
        write_text_atomic(path, buf.getvalue())
        paths.append(path)
    return paths


def clean_person(name: str | None) -> str | None:
    name = " ".join((name or "").split())
    return name or None


# ------------------------------------------------------------------ helpers
def _configure(engine: Engine, timeout_s: float) -> None:
    """Per connection: WAL, busy timeout, foreign keys; we emit BEGIN ourselves (pysqlite's
    own transaction handling does not cover DDL and cannot take the write lock up front)."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi: Any, _: Any) -> None:
        dbapi.isolation_level = None
        cur = dbapi.cursor()
        cur.execute(f"PRAGMA busy_timeout = {int(timeout_s * 1000)}")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("immediate") else "BEGIN")


def _revision(c: Connection) -> str | None:
    if not sa.inspect(c).has_table("alembic_version"):
        return None
    return c.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def _revisions() -> set[str]:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return {s.revision for s in ScriptDirectory.from_config(cfg).walk_revisions()}


def _filters(exercise, person, since, until, ids) -> list:
    where = []
    if exercise:
        where.append(sessions.c.exercise == exercise)
    if person:
        where.append(sa.func.lower(sessions.c.person) == clean_person(person).lower())  # type: ignore[union-attr]
    if since is not None:
        if not isinstance(since, dt.datetime):
            since = dt.datetime.combine(since, dt.time())  # local midnight
        where.append(sessions.c.started_at >= to_utc(since))
    if until is not None:
        where.append(sessions.c.started_at < to_utc(until))
    if ids is not None:
        where.append(sessions.c.id.in_(ids))
    return where


def _info(r: Any, set_reps: list[int], fault_counts: dict[str, int]) -> SessionInfo:
    return SessionInfo(
        id=r["id"],
        started_at=to_local(r["started_at"]),
        recorded_at=to_local(r["recorded_at"]),
        kind=r["kind"],
        source=r["source"],
        exercise=r["exercise"],
        exercise_name=r["exercise_name"],
        person=r["person"],
        programme=r["programme"],
        view=r["view"],
        rep_count=r["rep_count"],
        duration_s=(r["video"] or {}).get("duration_s"),
        sets=set_reps,
        faults=fault_counts,
        video_path=r["video_path"],
        annotated_path=r["annotated_path"],
        programme_def=r["programme_def"],
        hold_target_s=next((h.get("target_s") for h in (r["extras"] or {}).get("holds", None) or []), None),
    )
