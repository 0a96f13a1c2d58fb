"""The history's tables, and the mapping between a report document and its rows.

``report_rows(report)`` and ``report_of(...)`` are inverses: a session's tables redraw
its ``report.json`` key for key (a test checks it). The Alembic migrations in
``migrations/versions`` build exactly these tables (a test checks that too).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

#: Report keys stored in columns and tables; every other key goes to ``extras`` verbatim.
TABLED = frozenset(
    {"exercise", "exercise_name", "video", "view", "side", "rep_count", "reps", "faults", "warnings"}
    | {"frames_with_pose", "sets"}
)

metadata = sa.MetaData()

sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("natural_key", sa.String, unique=True),  # batch clip / live session identity; NULL for analyze
    sa.Column("kind", sa.String, nullable=False),  # analyze | batch | live | page
    sa.Column("started_at", sa.DateTime, nullable=False),  # UTC
    sa.Column("recorded_at", sa.DateTime, nullable=False),  # UTC
    sa.Column("person", sa.String),
    sa.Column("exercise", sa.String, nullable=False, index=True),
    sa.Column("exercise_name", sa.String, nullable=False),
    sa.Column("source", sa.String, nullable=False),  # as the report names it: a path, a file name, "camera"
    sa.Column("video_path", sa.String),  # the original video file (absolute), for key frames
    sa.Column("annotated_path", sa.String),  # the annotated video, if one was written
    sa.Column("view", sa.String, nullable=False),
    sa.Column("side", sa.String, nullable=False),
    sa.Column("rep_count", sa.Integer, nullable=False),
    sa.Column("frames_with_pose", sa.Float, nullable=False),
    sa.Column("video", sa.JSON, nullable=False),  # the report's video object
    sa.Column("warnings", sa.JSON, nullable=False),
    sa.Column("extras", sa.JSON, nullable=False),  # report keys without a table (holds, sides, segment, ...)
    # schema 0002: programme scoring
    sa.Column("programme", sa.String),  # programme name, when the session was scored against one
    sa.Column("programme_def", sa.JSON),  # the programme itself, so it can be rescored without its file
    sa.Index("ix_sessions_person_exercise_started", "person", "exercise", "started_at"),
    sqlite_autoincrement=True,  # a deleted session's id is never given to another one
)

sets = sa.Table(
    "sets",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("session_id", sa.Integer, sa.ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("index", sa.Integer, nullable=False),
    sa.Column("reps", sa.Integer, nullable=False),
    sa.Column("start_s", sa.Float, nullable=False),
    sa.Column("end_s", sa.Float, nullable=False),
    sa.Column("rest_before_s", sa.Float),
    sa.UniqueConstraint("session_id", "index"),
)

reps = sa.Table(
    "reps",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("session_id", sa.Integer, sa.ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("index", sa.Integer, nullable=False),
    sa.Column("set_index", sa.Integer),
    sa.Column("start_s", sa.Float, nullable=False),
    sa.Column("end_s", sa.Float, nullable=False),
    sa.Column("peak_s", sa.Float, nullable=False),
    sa.Column("rom", sa.Float),
    sa.Column("rom_unit", sa.String, nullable=False),  # the report key is rom_<unit>
    sa.Column("full_range", sa.Boolean, nullable=False),
    sa.Column("concentric_s", sa.Float, nullable=False),
    sa.Column("eccentric_s", sa.Float, nullable=False),
    sa.Column("hold_s", sa.Float, nullable=False),
    sa.Column("side", sa.String, nullable=False),
    sa.Column("metrics", sa.JSON, nullable=False),
    sa.Column("faults", sa.JSON, nullable=False),  # fault ids, as in the report
    sa.UniqueConstraint("session_id", "index"),
)

faults = sa.Table(
    "faults",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("session_id", sa.Integer, sa.ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("position", sa.Integer, nullable=False),  # order in the report
    sa.Column("fault", sa.String, nullable=False, index=True),  # the fault id
    sa.Column("message", sa.String, nullable=False),
    sa.Column("start_s", sa.Float, nullable=False),
    sa.Column("end_s", sa.Float, nullable=False),
    sa.Column("rep", sa.Integer),
    sa.Column("severity", sa.String, nullable=False),
    sa.Column("value", sa.Float),
    sa.Column("detail", sa.String),
)


def report_rows(report: dict) -> tuple[dict, list[dict], list[dict], list[dict]]:
    """A report -> (session columns, set rows, rep rows, fault rows)."""
    session = {
        "exercise": report["exercise"],
        "exercise_name": report.get("exercise_name") or report["exercise"],
        "view": report["view"],
        "side": report["side"],
        "rep_count": report["rep_count"],
        "frames_with_pose": report["frames_with_pose"],
        "video": report["video"],
        "warnings": report["warnings"],
        "extras": {k: v for k, v in report.items() if k not in TABLED},
    }
    set_rows = [
        {k: s[k] for k in ("index", "reps", "start_s", "end_s", "rest_before_s")} for s in report.get("sets", [])
    ]
    rep_rows = []
    for r in report["reps"]:
        rom_key = next((k for k in r if k.startswith("rom_")), "rom_deg")
        rep_rows.append(
            {k: r[k] for k in ("index", "start_s", "end_s", "peak_s", "full_range", "concentric_s", "eccentric_s")}
            | {k: r[k] for k in ("hold_s", "side", "metrics", "faults")}
            | {"set_index": r.get("set"), "rom": r.get(rom_key), "rom_unit": rom_key.removeprefix("rom_")}
        )
    fault_rows = [
        {"position": i, "fault": f["id"], "rep": f["rep"], "detail": f.get("detail")}
        | {k: f[k] for k in ("message", "start_s", "end_s", "severity", "value")}
        for i, f in enumerate(report["faults"])
    ]
    return session, set_rows, rep_rows, fault_rows


def report_of(s: Any, set_rows: list, rep_rows: list, fault_rows: list) -> dict:
    """The inverse of :func:`report_rows`."""
    report: dict[str, Any] = dict(s["extras"])
    report |= {
        "exercise": s["exercise"],
        "exercise_name": s["exercise_name"],
        "video": s["video"],
        "view": s["view"],
        "side": s["side"],
        "rep_count": s["rep_count"],
        "reps": [],
        "faults": [],
        "warnings": s["warnings"],
        "frames_with_pose": s["frames_with_pose"],
        "sets": [],
    }
    for r in rep_rows:
        rep = {
            k: r[k]
            for k in ("index", "start_s", "end_s", "peak_s", "full_range", "concentric_s", "eccentric_s", "hold_s")
        }
        rep |= {"side": r["side"], "metrics": r["metrics"], "faults": r["faults"], f"rom_{r['rom_unit']}": r["rom"]}
        if r["set_index"] is not None:
            rep["set"] = r["set_index"]
        report["reps"].append(rep)
    for st in set_rows:
        report["sets"].append(
            {"index": st["index"], "reps": st["reps"]}
            | {"rep_indexes": [r["index"] for r in rep_rows if r["set_index"] == st["index"]]}
            | {k: st[k] for k in ("start_s", "end_s", "rest_before_s")}
        )
    for f in fault_rows:
        report["faults"].append(
            {"id": f["fault"]}
            | {k: f[k] for k in ("message", "start_s", "end_s", "rep", "severity", "value", "detail")}
        )
    return report
