"""Trends over the history: per-session measures, charts, and weekly programme adherence.

Shared by the History page and the printable report, so both draw the same
numbers. Tables are pandas frames; charts are Altair (the page shows them as
they are, the report renders them to SVG).
"""

from __future__ import annotations

import datetime as dt

import altair as alt
import pandas as pd

from .history import History, SessionInfo

#: Per-session measures (columns of :func:`session_measures` besides id, when, who, what).
MEASURES = {
    "reps_per_set": "reps per set",
    "rom": "mean ROM",
    "concentric_s": "up (s)",
    "eccentric_s": "down (s)",
    "hold_s": "mean hold (s)",
    "faults_per_rep": "faults per rep",
}


def session_measures(hist: History, infos: list[SessionInfo]) -> pd.DataFrame:
    """One row per session, oldest first: ``id, started_at, person, exercise, rep_count,
    sets, reps_per_set, rom, rom_unit, concentric_s, eccentric_s, hold_s, hold_target_s,
    faults, faults_per_rep, programme``. Means are over the session's counted reps."""
    cols = ["id", "started_at", "person", "exercise", "exercise_name", "rep_count", "sets", "reps_per_set"]
    cols += ["rom", "rom_unit", "concentric_s", "eccentric_s", "hold_s", "hold_target_s", "faults"]
    cols += ["faults_per_rep", "programme"]
    if not infos:
        return pd.DataFrame(columns=cols)
    reps = pd.DataFrame(hist.table("reps", [i.id for i in infos]))
    per = (
        reps.groupby("session_id")[["rom", "concentric_s", "eccentric_s", "hold_s"]].mean()
        if not reps.empty
        else pd.DataFrame(columns=["rom", "concentric_s", "eccentric_s", "hold_s"])
    )
    units = reps.groupby("session_id")["rom_unit"].first() if not reps.empty else pd.Series(dtype=str)
    rows = []
    for i in infos:
        m = per.loc[i.id] if i.id in per.index else None
        n_faults = sum(i.faults.values())
        rows.append(
            {
                "id": i.id,
                "started_at": i.started_at.replace(tzinfo=None),  # local time, as shown
                "person": i.person or "",
                "exercise": i.exercise,
                "exercise_name": i.exercise_name,
                "rep_count": i.rep_count,
                "sets": len(i.sets),
                "reps_per_set": round(i.rep_count / len(i.sets), 2) if i.sets else None,
                "rom": None if m is None else round(float(m["rom"]), 1),
                "rom_unit": units.get(i.id, ""),
                "concentric_s": None if m is None else round(float(m["concentric_s"]), 2),
                "eccentric_s": None if m is None else round(float(m["eccentric_s"]), 2),
                "hold_s": None if m is None else round(float(m["hold_s"]), 2),
                "hold_target_s": i.hold_target_s,
                "faults": n_faults,
                "faults_per_rep": round(n_faults / i.rep_count, 2) if i.rep_count else None,
                "programme": i.programme or "",
            }
        )
    return pd.DataFrame(rows, columns=cols).sort_values(["started_at", "id"]).reset_index(drop=True)


def sessions_table(infos: list[SessionInfo]) -> pd.DataFrame:
    """The sessions list as shown on the page (newest first)."""
    return pd.DataFrame(
        [
            {
                "id": i.id,
                "started": i.started_at.strftime("%Y-%m-%d %H:%M"),
                "person": i.person or "",
                "exercise": i.exercise_name,
                "reps": i.rep_count,
                "reps per set": " + ".join(map(str, i.sets)),
                "faults": ", ".join(f"{k} x{v}" for k, v in sorted(i.faults.items())),
                "programme": i.programme or "",
                "recorded": i.kind,
                "source": i.source,
            }
            for i in infos
        ],
        columns=["id", "started", "person", "exercise", "reps", "reps per set", "faults", "programme", "recorded"]
        + ["source"],
    )


def set_rows(hist: History, infos: list[SessionInfo]) -> pd.DataFrame:
    """One row per set: ``id, started_at, set, reps`` (for the reps-per-set chart)."""
    when = {i.id: i.started_at.replace(tzinfo=None) for i in infos}
    rows = [
        {"id": s["session_id"], "started_at": when[s["session_id"]], "set": s["index"], "reps": s["reps"]}
        for s in hist.table("sets", list(when))
    ]
    return pd.DataFrame(rows, columns=["id", "started_at", "set", "reps"])


def _time_x() -> alt.X:
    return alt.X("started_at:T", title=None, axis=alt.Axis(labelAngle=0, tickCount=4, labelOverlap=True))


def trend_charts(measures: pd.DataFrame, sets: pd.DataFrame | None = None, width: int = 260) -> dict[str, alt.Chart]:
    """Small charts of one exercise's sessions over time, by name: ``reps per set``,
    ``ROM``, ``tempo``, ``faults per rep`` and (for timed holds) ``hold``."""
    h = 140
    base = alt.Chart(measures).encode(x=_time_x())
    tip = ["id:Q", "started_at:T"]
    out: dict[str, alt.Chart] = {}
    if sets is not None and not sets.empty:
        out["reps per set"] = (
            alt.Chart(sets)
            .mark_circle(size=50)
            .encode(x=_time_x(), y=alt.Y("reps:Q", title="reps per set"), tooltip=["id:Q", "set:Q", "reps:Q"])
            .properties(width=width, height=h)
        )
    else:
        out["reps per set"] = base.mark_line(point=True).encode(
            y=alt.Y("reps_per_set:Q", title="reps per set"), tooltip=[*tip, "reps_per_set:Q"]
        )
    unit = next((u for u in measures.get("rom_unit", []) if u), "deg")
    out["ROM"] = base.mark_line(point=True).encode(
        y=alt.Y("rom:Q", title=f"mean ROM ({unit})", scale=alt.Scale(zero=False)), tooltip=[*tip, "rom:Q"]
    )
    tempo = measures.melt(
        id_vars=["id", "started_at"], value_vars=["concentric_s", "eccentric_s"], var_name="phase", value_name="s"
    )
    tempo["phase"] = tempo["phase"].map({"concentric_s": "up", "eccentric_s": "down"})
    out["tempo"] = (
        alt.Chart(tempo)
        .mark_line(point=True)
        .encode(
            x=_time_x(),
            y=alt.Y("s:Q", title="tempo (s)"),
            color=alt.Color(
                "phase:N", title=None, legend=alt.Legend(orient="bottom", direction="horizontal", title=None)
            ),
            tooltip=["id:Q", "phase:N", "s:Q"],
        )
    )
    out["faults per rep"] = base.mark_line(point=True, color="#d9534f").encode(
        y=alt.Y("faults_per_rep:Q", title="faults per rep"), tooltip=[*tip, "faults_per_rep:Q", "faults:Q"]
    )
    target = measures["hold_target_s"].dropna()
    if len(target):
        hold = base.mark_line(point=True, color="#2a7").encode(
            y=alt.Y("hold_s:Q", title="mean hold (s)"), tooltip=[*tip, "hold_s:Q", "hold_target_s:Q"]
        )
        rule = (
            alt.Chart(pd.DataFrame({"target": [float(target.iloc[-1])]}))
            .mark_rule(strokeDash=[4, 4], color="#888")
            .encode(y="target:Q")
        )
        out["hold"] = alt.layer(hold, rule)  # type: ignore[assignment]
    return {k: c.properties(width=width, height=h) for k, c in out.items()}


# ---------------------------------------------------------------- programmes
def adherence(hist: History, infos: list[SessionInfo]) -> pd.DataFrame:
    """Programme adherence per week, from the sessions scored against a programme.

    A workout is the sessions scored against one programme on one day, scored
    together (``programme.score``); a week adds up its workouts:
    ``programme, week (Monday), workouts, sets_on_target, sets_targeted, completion``.
    """
    from .programme import Programme, score

    cols = ["programme", "week", "workouts", "sets_on_target", "sets_targeted", "completion"]
    days: dict[tuple[str, dt.date], list[SessionInfo]] = {}
    for i in infos:
        if i.programme and i.programme_def:
            days.setdefault((i.programme, i.started_at.date()), []).append(i)
    weeks: dict[tuple[str, dt.date], dict] = {}
    for (name, day), group in sorted(days.items()):
        group.sort(key=lambda i: (i.started_at, i.id))
        prog = Programme.model_validate(group[-1].programme_def)
        result = score(prog, [r for r in (hist.report(i.id) for i in group) if r is not None])
        week = day - dt.timedelta(days=day.weekday())
        w = weeks.setdefault((name, week), {"workouts": 0, "sets_on_target": 0, "sets_targeted": 0})
        w["workouts"] += 1
        w["sets_on_target"] += result["sets_on_target"]
        w["sets_targeted"] += result["sets_targeted"]
    rows = [
        {"programme": name, "week": pd.Timestamp(week)}
        | w
        | {"completion": round(w["sets_on_target"] / w["sets_targeted"], 3) if w["sets_targeted"] else None}
        for (name, week), w in sorted(weeks.items())
    ]
    return pd.DataFrame(rows, columns=cols)


def adherence_chart(weeks: pd.DataFrame) -> alt.LayerChart:
    """Share of the programme's sets done on target, per week, with the counts on the bars."""
    data = weeks.assign(
        week_of=weeks["week"].dt.strftime("%Y-%m-%d"),
        label=[f"{a}/{b} sets" for a, b in zip(weeks["sets_on_target"], weeks["sets_targeted"], strict=True)],
    )
    x = alt.X("week_of:O", title="week of", axis=alt.Axis(labelAngle=0))
    bars = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=x,
            xOffset="programme:N",
            y=alt.Y("completion:Q", title="sets on target", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
            color=alt.Color("programme:N", legend=alt.Legend(orient="top", labelLimit=400, title=None)),
            tooltip=["programme:N", "week_of:O", "workouts:Q", "sets_on_target:Q", "sets_targeted:Q"],
        )
    )
    text = bars.mark_text(dy=-6, fontSize=11, color="#333").encode(text="label:N")
    return alt.LayerChart(layer=[bars, text], height=180)
