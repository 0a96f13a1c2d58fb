"""The printable session report for a coach or physiotherapist: HTML or PDF.

    html = render_html(report_context(hist, session_id))
    write_report(hist, session_id, "session.pdf")        # or .html

One or two A4 pages: who, when, the exercise, sets x reps against the
programme's target (when the session was scored against one), a per-rep
table (ROM, tempo, hold), each fault with its cue, how often and a key frame,
and the trend against the person's previous sessions of the exercise.

The numbers come from the stored report (:meth:`History.report`, the same
document as ``report.json``), printed as stored. The HTML comes from a Jinja2
template (``templates/report.html.j2``); the PDF is the same HTML laid out by
WeasyPrint. Key frames are stills from the annotated video when it still
exists, else from the original video; without either the report says so.
"""

from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path
from typing import Any

from .. import __version__
from ..io_utils import atomic_path
from .history import History, SessionInfo

#: Earlier sessions of the same exercise and person shown in the trend.
TREND_SESSIONS = 8
FORMATS = (".html", ".pdf")
FRAME_SIDE = 480


class ReportError(Exception):
    """A report that cannot be made (message is user-facing, one line)."""


# ------------------------------------------------------------------- context
def report_context(
    hist: History, session_id: int, video: str | Path | None = None, trend: bool = True
) -> dict[str, Any]:
    """Everything the template shows for one session. ``video`` overrides where key
    frames come from (the page passes its annotated video before it is deleted)."""
    info = hist.get(session_id)
    report = hist.report(session_id)
    if info is None or report is None:
        raise ReportError(f"no session {session_id} in {hist.path} (see 'formcheck history')")
    previous = _previous(hist, info) if trend else None
    return build_context(report, info, previous, video or _frames_source(info))


def build_context(report: dict, info: SessionInfo, previous: Any, video: str | Path | None) -> dict[str, Any]:
    """The template's data from a report document and its session row (pure, but for key frames)."""
    reps = report["reps"]
    rom_key = next((k for r in reps for k in r if k.startswith("rom_")), "rom_deg")
    unit = _unit(rom_key.removeprefix("rom_"))
    holds = report.get("holds") or []
    hold_target = holds[0]["target_s"] if holds else None
    faults = _fault_summary(report, video)
    sets = report.get("sets") or []
    ctx: dict[str, Any] = {
        "title": f"{report.get('exercise_name') or report['exercise']}: session {info.id}",
        "info": info,
        "report": report,
        "when": info.started_at.strftime("%a %d %b %Y, %H:%M"),
        "person": info.person or "(no name given)",
        "exercise": report.get("exercise_name") or report["exercise"],
        "exercise_id": report["exercise"],
        "segment": report.get("segment"),
        "duration_s": report["video"].get("duration_s"),
        "sets": sets,
        "sets_line": " + ".join(str(s["reps"]) for s in sets) if sets else "no sets",
        "reps": reps,
        "rom_key": rom_key,
        "rom_unit": unit,
        "hold_target": hold_target,
        "holds_met": sum(h["met"] for h in holds) if holds else None,
        "sides": report.get("sides"),
        "faults": faults,
        "faults_total": sum(f["count"] for f in faults),
        "warnings": _warnings(report.get("warnings", [])),
        "programme": _programme(report, info),
        "generated": dt.datetime.now().astimezone().strftime("%d %b %Y %H:%M"),
        "version": __version__,
        "frames_note": None if video else "no video kept for this session: no key frames",
    }
    ctx |= _trend(previous, info, unit)
    return ctx


def _warnings(warnings: list[dict]) -> list[dict]:
    """One line per warning message, with all its time spans."""
    by: dict[str, list[str]] = {}
    for w in warnings:
        by.setdefault(w["message"], []).append(f"{_num(w['start_s'], 1)}-{_num(w['end_s'], 1)} s")
    return [{"message": m, "spans": ", ".join(spans)} for m, spans in by.items()]


def _unit(u: str) -> str:
    return {"deg": "°", "pct_torso": "% torso", "torso_lengths": "torso lengths"}.get(u, u)


def _frames_source(info: SessionInfo) -> str | None:
    from ..media.video import VIDEO_EXTENSIONS

    for p in (info.annotated_path, info.video_path):
        if p and Path(p).is_file() and Path(p).suffix.lower() in VIDEO_EXTENSIONS:
            return p
    return None


def _fault_summary(report: dict, video: str | Path | None) -> list[dict]:
    """Per fault id: cue, severity, events, reps affected, worst value, key-frame time (and still)."""
    by_rep = {r["index"]: r for r in report["reps"]}
    groups: dict[str, list[dict]] = {}
    for f in report["faults"]:
        groups.setdefault(f["id"], []).append(f)
    out = []
    for fid, evs in groups.items():
        worst = max(evs, key=lambda f: abs(f["value"]) if f["value"] is not None else -1.0)
        rep = by_rep.get(worst["rep"]) if worst["rep"] is not None else None
        t = rep["peak_s"] if rep and worst["start_s"] <= rep["peak_s"] <= worst["end_s"] else None
        t = t if t is not None else (worst["start_s"] + worst["end_s"]) / 2
        affected = sorted({f["rep"] for f in evs if f["rep"] is not None})
        out.append(
            {
                "id": fid,
                "cue": worst["message"],
                "severity": worst["severity"],
                "count": len(evs),
                "reps": affected,
                "outside_reps": sum(f["rep"] is None for f in evs),
                "value": worst["value"],
                "detail": next((f["detail"] for f in evs if f.get("detail")), None),
                "t_s": round(t, 2),
                "frame": None,
            }
        )
    out.sort(key=lambda f: (-f["count"], f["id"]))
    if video and out:
        stills = key_frames(video, [f["t_s"] for f in out])
        for f in out:
            jpg = stills.get(f["t_s"])
            f["frame"] = "data:image/jpeg;base64," + base64.b64encode(jpg).decode() if jpg else None
    return out


def key_frames(video: str | Path, times: list[float], max_side: int = FRAME_SIDE) -> dict[float, bytes]:
    """JPEG stills of ``video`` at ``times`` (seconds; the first frame at or after each), one pass."""
    import cv2

    from ..media.video import VideoError, iter_frames

    wanted = sorted(set(times))
    out: dict[float, bytes] = {}
    try:
        for t, rgb in iter_frames(video, max_side=max_side):
            while wanted and wanted[0] <= t + 1e-3:
                ok, jpg = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 82])
                if ok:
                    out[wanted[0]] = jpg.tobytes()
                wanted.pop(0)
            if not wanted:
                break
    except (VideoError, OSError):
        pass  # a video that went away or broke: the report goes without stills
    return out


def _programme(report: dict, info: SessionInfo) -> dict | None:
    """This exercise's line of the programme the session was scored against."""
    if not info.programme_def:
        return None
    from .programme import Programme, score

    prog = Programme.model_validate(info.programme_def)
    result = score(prog, [report])
    entry = next((e for e in result["exercises"] if report["exercise"] in e["specs"]), None)
    return {"name": prog.name, "entry": entry, "result": result}


def _previous(hist: History, info: SessionInfo) -> Any:
    """This session and the person's earlier sessions of the exercise (oldest first)."""
    from .trends import session_measures

    same = [
        i
        for i in hist.sessions(exercise=info.exercise, until=info.started_at + dt.timedelta(seconds=1))
        if (i.person or "").lower() == (info.person or "").lower()
        and (i.started_at, i.id) <= (info.started_at, info.id)
    ]
    return session_measures(hist, same[:TREND_SESSIONS])


def _trend(previous: Any, info: SessionInfo, unit: str) -> dict[str, Any]:
    if previous is None or len(previous) < 2:
        return {"trend_rows": [], "trend_svg": None, "trend_lines": []}
    rows = previous.to_dict("records")
    before = previous[previous["id"] != info.id]
    now = previous[previous["id"] == info.id].iloc[0]
    lines = []
    for col, label, fmt in (
        ("rep_count", "reps", "{:.0f}"),
        ("rom", f"mean ROM ({unit})", "{:.1f}"),
        ("faults_per_rep", "faults per rep", "{:.2f}"),
        ("hold_s", "mean hold (s)", "{:.2f}"),
    ):
        prev = before[col].dropna()
        if now[col] is None or prev.empty or now[col] != now[col]:
            continue
        lines.append(f"{label}: {fmt.format(now[col])} (previous {len(prev)}: mean {fmt.format(prev.mean())})")
    return {"trend_rows": rows, "trend_svg": _trend_svg(previous, info.id), "trend_lines": lines}


def _trend_svg(previous: Any, current: int) -> str | None:
    """The trend charts as one inline SVG (Altair, rendered by vl-convert)."""
    import altair as alt

    from .trends import trend_charts

    charts = trend_charts(previous.assign(now=previous["id"] == current), width=190)
    keep = [charts[k] for k in ("ROM", "faults per rep", "tempo", "hold") if k in charts][:3]
    try:
        import vl_convert as vlc

        svg = vlc.vegalite_to_svg(alt.hconcat(*keep).configure_view(stroke=None).to_dict())
    except Exception:  # no renderer: the table below the chart carries the same numbers
        return None
    return svg[svg.find("<svg") :]


# ------------------------------------------------------------------ rendering
def render_html(ctx: dict[str, Any]) -> str:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).resolve().parent / "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = _num
    return env.get_template("report.html.j2").render(**ctx)


def _num(x: Any, nd: int | None = None) -> str:
    """A stored number as stored (no trailing zeros), ``-`` for none."""
    if x is None or (isinstance(x, float) and x != x):
        return "-"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if nd is not None:
        x = round(float(x), nd)
    return f"{x:g}" if isinstance(x, float) else str(x)


def html_to_pdf(html: str) -> bytes:
    """The same HTML laid out for print (A4) by WeasyPrint."""
    try:
        import weasyprint
    except (ImportError, OSError) as e:  # OSError: the Pango library is missing
        raise ReportError(
            f"PDF output needs WeasyPrint and the Pango library ({str(e).splitlines()[0]}); "
            "write .html instead and print it from a browser"
        ) from None
    import logging

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    return weasyprint.HTML(string=html).write_pdf()


def check_output(path: str | Path) -> Path:
    p = Path(path)
    if p.suffix.lower() not in FORMATS:
        raise ReportError(f"{p}: the report is written as .html or .pdf, not {p.suffix or 'no extension'}")
    return p


def write_report(hist: History, session_id: int, out: str | Path, video: str | Path | None = None) -> Path:
    """Write the session's report to ``out`` (.html or .pdf, chosen by the extension), atomically."""
    p = check_output(out)
    html = render_html(report_context(hist, session_id, video))
    data = html_to_pdf(html) if p.suffix.lower() == ".pdf" else html.encode("utf-8")
    try:
        with atomic_path(p) as tmp:
            tmp.write_bytes(data)
    except OSError as e:
        raise ReportError(f"{p}: cannot write ({e.strerror})") from None
    return p
