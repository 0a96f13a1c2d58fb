"""The History page of the app, and the hooks that record the other pages' sessions.

``app.py`` calls :func:`sidebar_settings` once per run (who is exercising,
save or not), :func:`show` for the History page, :func:`attach_live`,
:func:`watch_stream` and :func:`rep_checkpoint` on the live page, and
:func:`record_analysis` / :func:`report_button` on the recorded-video page.
The data and charts come from :mod:`formcheck.results.trends` (no streamlit
there); the report is :mod:`formcheck.results.clinical`'s.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import streamlit as st

from ..results.history import History, HistoryError, SessionInfo, default_path, to_utc

SAVE_KEY = "save_history"
PERSON_KEY = "person"
ANALYSIS_SESSION = "analysis_session"


@st.cache_resource(show_spinner=False)
def _open(path: str) -> History:
    return History.open(path)


def sidebar_settings() -> None:
    """Who is exercising, and whether this page's sessions go into the history."""
    q = st.query_params
    with st.sidebar.expander("History", expanded=False):
        st.text_input("Person (stored with each session)", value=q.get("person", ""), key=PERSON_KEY)
        st.checkbox("Save sessions to the history", value=True, key=SAVE_KEY)
        st.caption(f"Database: {default_path()}")


def current() -> tuple[History | None, str | None]:
    """The history to record into (None when off or unusable: the page says why) and the person."""
    person = (st.session_state.get(PERSON_KEY) or "").strip() or None
    if not st.session_state.get(SAVE_KEY, True):
        return None, person
    return _history(), person


def _history() -> History | None:
    try:
        return _open(str(default_path()))
    except HistoryError as e:
        st.sidebar.error(str(e))
        return None


# -------------------------------------------------------------- live page hooks
def attach_live(coach: Any, source: str = "browser camera") -> None:
    """Record this coach's session at New set, Reset, STOP and each counted rep."""
    from .live_history import LiveHistory

    hist, person = current()
    if hist is not None:
        LiveHistory.attach(coach, hist, person, source)
    elif coach.on_checkpoint is not None:
        coach.on_checkpoint = None  # saving switched off


def watch_stream(coach: Any, ctx: Any, key: str) -> None:
    """STOP on the webcam component is a checkpoint (the session continues if started again)."""
    playing = bool(ctx is not None and getattr(ctx.state, "playing", False))
    flag = f"{key}:playing"
    if st.session_state.get(flag) and not playing:
        coach.checkpoint("stop")
    st.session_state[flag] = playing


def rep_checkpoint(coach: Any, status: Any) -> None:
    """From the stats fragment: store the session after each counted rep, and say where."""
    from .live_history import LiveHistory

    rec = coach.on_checkpoint
    if not isinstance(rec, LiveHistory):
        return
    total = sum(status.sets) + status.reps
    if total > rec.reps_seen:
        rec.reps_seen = total
        coach.checkpoint("rep")
    if rec.error:
        st.warning(f"Not saved to the history: {rec.error}")
    elif rec.session_id is not None:
        st.caption(f"Saved to the history as session {rec.session_id}.")


# ---------------------------------------------------------- recorded page hooks
def record_analysis(report: dict, name: str, video_path: Path | None) -> None:
    """Record a recorded-video analysis (``video_path``: the clip, when it is kept, for key frames)."""
    st.session_state.pop(ANALYSIS_SESSION, None)
    hist, person = current()
    if hist is None:
        return
    try:
        started = to_utc(dt.datetime.now()) - dt.timedelta(seconds=report["video"]["duration_s"] or 0.0)
        sid = hist.record(report, kind="page", source=name, person=person, started_at=started, video_path=video_path)
    except HistoryError as e:
        st.warning(f"Not saved to the history: {e}")
        return
    st.session_state[ANALYSIS_SESSION] = sid


def report_button(report: dict, video: bytes | None, name: str, container: Any = None) -> None:
    """'Download report (PDF)' for the analysis on the page (made when clicked)."""
    sid = st.session_state.get(ANALYSIS_SESSION)
    hist, person = current()
    stem = Path(name).stem

    def make() -> bytes:  # runs on another thread, without the page's session state

        from ..results.clinical import build_context, html_to_pdf, render_html, report_context

        with tempfile.TemporaryDirectory() as d:
            clip = None
            if video:
                clip = Path(d) / "annotated.mp4"
                clip.write_bytes(video)
            if hist is not None and sid is not None:
                ctx = report_context(hist, sid, video=clip)
            else:
                ctx = build_context(report, _unsaved_info(report, name, person), None, clip)
            return html_to_pdf(render_html(ctx))

    (container or st).download_button(
        "Report (PDF)", make, f"{stem}.report.pdf", "application/pdf", key="report_pdf", on_click="ignore"
    )


def _unsaved_info(report: dict, name: str, person: str | None) -> SessionInfo:
    now = dt.datetime.now().astimezone()
    return SessionInfo(
        id=0,
        started_at=now,
        recorded_at=now,
        kind="page",
        source=name,
        exercise=report["exercise"],
        exercise_name=report.get("exercise_name") or report["exercise"],
        person=person,
        programme=None,
        view=report["view"],
        rep_count=report["rep_count"],
        duration_s=report["video"].get("duration_s"),
    )


# -------------------------------------------------------------- the History page
@st.cache_data(show_spinner="Making the report...", max_entries=16)
def _report_html(_hist: History, path: str, session_id: int, recorded_at: str) -> str:
    from ..results.clinical import render_html, report_context

    return render_html(report_context(_hist, session_id))


def show() -> None:
    """Sessions with filters, trends per exercise, programme adherence per week, any session's report."""
    import streamlit.components.v1 as components

    from ..results.trends import adherence, adherence_chart, session_measures, sessions_table, set_rows, trend_charts

    st.header("History")
    hist = _history()
    if hist is None:
        return
    persons, exercises = hist.persons(), hist.exercises()
    c = st.columns(3)
    person = c[0].selectbox("Person", ["(everyone)", *persons], key="h_person")
    exercise = c[1].selectbox("Exercise", ["(all)", *exercises], key="h_exercise")
    since = c[2].date_input("Since", value=None, key="h_since")
    infos = hist.sessions(
        exercise=None if exercise == "(all)" else exercise,
        person=None if person == "(everyone)" else person,
        since=since,
    )
    if not infos:
        st.info(f"No sessions recorded yet in {hist.path}: analyse a clip or train live, and they appear here.")
        return
    st.markdown(f"**{len(infos)} session{'' if len(infos) == 1 else 's'}**, newest first")
    st.dataframe(sessions_table(infos), hide_index=True, width="stretch")

    st.subheader("Trends")
    present = [ex for ex, _ in Counter(i.exercise for i in infos).most_common()]  # the most sessions first
    ex = present[0] if len(present) == 1 else st.selectbox("Exercise for the trends", present, key="h_trend_ex")
    chosen = [i for i in infos if i.exercise == ex]
    if len(chosen) < 2:
        st.caption("Trends need two sessions or more of an exercise.")
    else:
        charts = trend_charts(session_measures(hist, chosen), set_rows(hist, chosen))
        cols = st.columns(3)
        for k, (name, chart) in enumerate(charts.items()):
            with cols[k % 3]:
                st.markdown(f"**{name}**")
                st.altair_chart(chart, width="stretch", height=200)
    weeks = adherence(hist, infos)
    if not weeks.empty:
        st.subheader("Programme adherence per week")
        st.altair_chart(adherence_chart(weeks), width="stretch", height=240)
        st.dataframe(weeks, hide_index=True, width="stretch")

    st.subheader("Session report")
    labels = {
        i.id: f"{i.id}: {i.started_at:%d %b %Y %H:%M} {i.exercise_name}, {i.rep_count} reps ({i.kind})" for i in infos
    }
    q = st.query_params.get("session")
    ids = list(labels)
    pick: int = (
        st.selectbox(
            "Open a session",
            ids,
            index=ids.index(int(q)) if q and q.isdigit() and int(q) in labels else 0,
            format_func=lambda i: labels[i],
            key="h_session",
        )
        or ids[0]
    )
    info = next(i for i in infos if i.id == pick)
    html = _report_html(hist, str(hist.path), pick, info.recorded_at.isoformat())

    def pdf() -> bytes:
        from ..results.clinical import html_to_pdf

        return html_to_pdf(html)

    d = st.columns(4)
    d[0].download_button("Download report (PDF)", pdf, f"session_{pick}.pdf", "application/pdf", on_click="ignore")
    d[1].download_button("Report (HTML)", html, f"session_{pick}.html", "text/html", on_click="ignore")
    if hasattr(st, "iframe"):  # our own report (escaped by its template), in a frame so its styles stay there
        st.iframe(html, height=1200)
    else:  # Streamlit before st.iframe
        components.html(html, height=1200, scrolling=True)
