"""Command line of the history: ``formcheck history [export | delete]``, ``formcheck report``,
and the small helpers ``analyze``, ``batch`` and ``live`` use to record their sessions.

Thin: the store is :mod:`formcheck.results.history`, the printable report
:mod:`formcheck.results.clinical`.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table

if TYPE_CHECKING:
    from ..results.history import History
    from ..results.programme import Programme

DB_HELP = "The history database (default: $FORMCHECK_DB, else history.db in your data folder)."
NO_HISTORY_HELP = "Do not record the session(s) in the history."
PERSON_HELP = "Who is exercising: stored with the session, for their history and trends."
PROGRAMME_HELP = "Score the session against this programme (programmes/*.toml) and store the result."

history_app = typer.Typer(
    help="The workout history: sessions newest first (export, delete).",
    invoke_without_command=True,
    add_completion=False,
)


def _cli():
    from . import cli

    return cli


# ------------------------------------------------------------ recording helpers
@dataclass
class Recording:
    """Where and as whom ``analyze``/``batch``/``live`` record their sessions."""

    hist: History
    person: str | None = None
    programme: Programme | None = None
    programme_file: str | None = None

    def record(self, report: dict, **kw: Any) -> int:
        from ..results.history import HistoryError

        try:
            sid = self.hist.record(report, person=self.person, programme=self.programme, **kw)
        except HistoryError as e:
            raise _cli().UserError(f"{e} (the outputs were written; the session is not in the history)") from None
        _cli().out.print(f"recorded session {sid} in {self.hist.path}", highlight=False, soft_wrap=True)
        return sid

    def worker_options(self) -> dict[str, Any]:
        """What a batch worker needs to record its clip (plain values: workers are other processes)."""
        return {"db": str(self.hist.path), "person": self.person, "programme": self.programme_file}


def open_recording(
    db: Path | None, no_history: bool, person: str | None = None, programme: Path | None = None
) -> Recording | None:
    """The history to record into (None with ``--no-history``); errors are one line, before any work."""
    if no_history:
        return None
    prog = None
    if programme is not None:
        from ..results.programme import load_programme

        prog = load_programme(programme)
    return Recording(_open(db), person, prog, str(programme.resolve()) if programme else None)


def _open(db: Path | None, create: bool = True) -> History:
    from ..results.history import History, HistoryError, default_path

    path = db if db is not None else default_path()
    if not create and not Path(path).expanduser().exists():
        raise _cli().UserError(f"{path}: no history there yet (nothing was recorded)")
    try:
        return History.open(path)
    except HistoryError as e:
        raise _cli().UserError(str(e)) from None


def _since(value: str | None) -> dt.datetime | None:
    """``--since``: a date (2025-03-01), a date and time, or a number of days back (30d)."""
    if value is None:
        return None
    v = value.strip()
    try:
        if v.endswith("d") and v[:-1].isdigit():
            today = dt.datetime.combine(dt.date.today(), dt.time())
            return today - dt.timedelta(days=int(v[:-1]))
        return dt.datetime.fromisoformat(v)
    except ValueError:
        raise _cli().UserError(
            f"--since {value!r}: give a date (2025-03-01), a date and time, or days back (30d)"
        ) from None


# --------------------------------------------------------------------- history
@history_app.callback()
def history(
    ctx: typer.Context,
    exercise: str | None = typer.Option(None, "--exercise", "-e", help="Only this exercise (spec id)."),
    person: str | None = typer.Option(None, "--person", help="Only this person's sessions (any case)."),
    since: str | None = typer.Option(None, "--since", help="Only sessions from this date on (2025-03-01, or 30d)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON for machines."),
    db: Path | None = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """The recorded sessions, newest first; 'history export --csv DIR', 'history delete ID'."""
    cli = _cli()
    ctx.obj = {"db": db, "exercise": exercise, "person": person, "since": since}
    if ctx.invoked_subcommand is not None:
        return
    from ..results.history import default_path

    path = db if db is not None else default_path()
    with cli._user_errors():
        when = _since(since)
        if not Path(path).expanduser().exists():
            infos = []
        else:
            with _open(db) as hist:
                infos = hist.sessions(exercise=exercise, person=person, since=when)
    if as_json:
        print(json.dumps([i.to_json() for i in infos], indent=1))
        return
    if not infos:
        cli.out.print(f"no sessions in {path}", highlight=False, soft_wrap=True)
        return
    t = Table("id", "started", "person", "exercise", "reps", "per set", "faults", "source")
    for c in t.columns[:6]:
        c.no_wrap = True
    for i in infos:
        t.add_row(
            str(i.id),
            i.started_at.strftime("%Y-%m-%d %H:%M"),
            i.person or "-",
            i.exercise,
            str(i.rep_count),
            "+".join(map(str, i.sets)) or "-",
            ", ".join(f"{k} x{v}" for k, v in sorted(i.faults.items())) or "-",
            Path(i.source).name if i.kind in ("analyze", "batch") else i.source,
        )
    cli.out.print(t)
    cli.out.print(f"{len(infos)} sessions in {path}", highlight=False, soft_wrap=True)


def _group(ctx: typer.Context, key: str, value: Any) -> Any:
    """An option given on the subcommand, else on 'history' itself."""
    return value if value is not None else (ctx.obj or {}).get(key)


@history_app.command("export")
def export(
    ctx: typer.Context,
    csv_dir: Path = typer.Option(..., "--csv", help="Folder for sessions.csv, sets.csv, reps.csv, faults.csv."),
    exercise: str | None = typer.Option(None, "--exercise", "-e", help="Only this exercise."),
    person: str | None = typer.Option(None, "--person", help="Only this person's sessions."),
    since: str | None = typer.Option(None, "--since", help="Only sessions from this date on."),
    db: Path | None = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """Write the sessions, their sets, reps and faults as CSV tables (one row per rep, per fault, ...)."""
    from ..results.history import export_csv

    cli = _cli()
    with cli._user_errors():
        when = _since(_group(ctx, "since", since))
        with _open(_group(ctx, "db", db), create=False) as hist:
            infos = hist.sessions(
                exercise=_group(ctx, "exercise", exercise), person=_group(ctx, "person", person), since=when
            )
            try:
                paths = export_csv(hist, infos, csv_dir)
            except OSError as e:
                raise cli.UserError(f"{csv_dir}: cannot write ({e.strerror})") from None
    for p in paths:
        cli.out.print(f"wrote {p}", highlight=False, soft_wrap=True)


@history_app.command("delete")
def delete(
    ctx: typer.Context,
    session_id: int = typer.Argument(..., help="The session's id (see 'formcheck history')."),
    db: Path | None = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """Delete one session with its sets, reps and faults."""
    cli = _cli()
    with cli._user_errors(), _open(_group(ctx, "db", db), create=False) as hist:
        if not hist.delete(session_id):
            raise cli.UserError(f"no session {session_id} in {hist.path}")
        cli.out.print(f"deleted session {session_id} from {hist.path}", highlight=False, soft_wrap=True)


# ---------------------------------------------------------------------- report
def report(
    session: str = typer.Argument(..., help="A session id (see 'formcheck history'), or 'latest'."),
    output: Path = typer.Option(..., "--output", "-o", help="FILE.html or FILE.pdf (printable, one or two pages)."),
    db: Path | None = typer.Option(None, "--db", help=DB_HELP),
    person: str | None = typer.Option(None, "--person", help="With 'latest': this person's latest session."),
) -> None:
    """A printable report of one session for a coach or physio: sets x reps against the
    programme, every rep, every fault with its cue and a key frame, and the trend."""
    from ..results.clinical import ReportError, check_output, write_report

    cli = _cli()
    with cli._user_errors():
        try:
            check_output(output)
        except ReportError as e:
            raise cli.UserError(str(e)) from None
        if session != "latest" and not session.isdigit():
            raise cli.UserError(f"{session!r}: give a session id (a number, see 'formcheck history') or 'latest'")
        with _open(db, create=False) as hist:
            sid = hist.latest(person) if session == "latest" else int(session)
            if sid is None:
                who = f" for {person}" if person else ""
                raise cli.UserError(f"no sessions{who} in {hist.path}")
            try:
                path = write_report(hist, sid, output)
            except ReportError as e:
                raise cli.UserError(str(e)) from None
    cli.out.print(f"wrote {path} (session {sid})", highlight=False, soft_wrap=True)
