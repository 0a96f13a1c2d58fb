"""Data shaping for the Streamlit page: tables, charts, thumbnails (no streamlit here).

The page (``app.py``) stays thin: it lays out widgets and calls these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import altair as alt
import numpy as np
import pandas as pd

from ..engine.analysis import FrameState
from ..engine.specs import ExerciseSpec
from ..media.video import iter_frames
from ..pipeline import PoseOptions, analyze_video
from ..results.report import build_report, reps_csv


@dataclass
class Analysis:
    """Everything the recorded-video page shows for one clip."""

    report: dict
    reps_csv: str
    video: bytes
    series: pd.DataFrame  # t_s + one column per spec metric
    thumbs: dict[int, list[tuple[str, np.ndarray]]] = field(default_factory=dict)


def analyze_for_page(
    path: Path, spec: ExerciseSpec, work_dir: Path, progress=None, name: str | None = None, model: str | None = None
) -> Analysis:
    """Run the engine on ``path`` writing into ``work_dir`` (the caller deletes it)."""
    rows: list[dict[str, float]] = []

    def on_state(st: FrameState) -> None:
        rows.append({"t_s": st.t_s, **st.values})

    ann = work_dir / "annotated.mp4"
    res, info = analyze_video(
        path, spec, PoseOptions(model=model), annotate_to=ann, progress=progress, on_state=on_state
    )
    report = build_report(res, info, name or path.name)
    thumbs = rep_thumbnails(ann, report["reps"])
    return Analysis(report, reps_csv(report), ann.read_bytes(), pd.DataFrame(rows), thumbs)


@dataclass
class AutoAnalysis:
    """A recording analysed with ``--exercise auto`` on the page: the recognition (the report's
    ``recognition`` object: ``exercise`` is ``unknown`` when it looks like none of the specs), and
    one ``(spec, Analysis)`` per exercise segment (one for a one-exercise clip, none for unknown)."""

    recognition: dict
    parts: list[tuple[ExerciseSpec, Analysis]]


def auto_for_page(
    path: Path,
    specs: dict[str, ExerciseSpec],
    work_dir: Path,
    progress=None,
    name: str | None = None,
    model: str | None = None,
) -> AutoAnalysis:
    """``analyze -e auto`` for the page: one model pass, every spec's engine on the landmarks,
    the recording recognised (and split when it holds several exercises, as the CLI does), one
    annotated video drawn with each segment's spec (the caller deletes ``work_dir``). The
    recognition and the split are :func:`formcheck.pipeline.auto`'s, as on the CLI."""
    from ..engine.segment import slice_seq
    from ..media.video import VideoInfo, probe
    from ..pipeline import NoPersonError, analyze_seq, annotate_segments, auto, extract

    info = probe(path)
    opts = PoseOptions(model=model)
    seq = extract(path, opts, segmentation=True, progress=progress)
    if not np.isfinite(seq.xy).any():
        raise NoPersonError(f"{path}: no person found in any of its {len(seq)} frames")
    found = auto(seq, specs)
    rec = found.recognition
    if not found.parts:
        return AutoAnalysis(rec, [])
    ann = work_dir / "annotated.mp4"
    annotate_segments(path, seq, [(seg, spec) for seg, spec, _ in found.parts], ann, opts)
    video = ann.read_bytes()
    parts = []
    several = len(found.parts) > 1
    for k, (seg, spec, _) in enumerate(found.parts, 1):
        sub = slice_seq(seq, seg.start_s, seg.end_s) if several else seq
        rows: list[dict[str, float]] = []

        def on_frame(st: FrameState, rows: list[dict[str, float]] = rows) -> None:
            rows.append({"t_s": st.t_s, **st.values})

        res = analyze_seq(sub, spec, on_frame=on_frame)  # again, for the page's angle plot
        vinfo = VideoInfo(info.path, seq.width, seq.height, info.fps, len(sub), seg.end_s - seg.start_s)
        report = build_report(res, vinfo, name or path.name)
        report["recognition"] = rec
        if several:
            report["segment"] = {"index": k, "of": len(found.parts)} | seg.to_dict()
        thumbs = rep_thumbnails(ann, report["reps"])
        parts.append((spec, Analysis(report, reps_csv(report), video, pd.DataFrame(rows), thumbs)))
    return AutoAnalysis(rec, parts)


def candidates_table(recognition: dict) -> pd.DataFrame:
    """The closest exercises and why each was (or was not) taken."""
    return pd.DataFrame(
        [
            {
                "exercise": c["exercise"],
                "fits": not c.get("rejected"),
                "score": c["score"],
                "posture share": c.get("posture"),
                "why not": c.get("rejected") or "-",
            }
            for c in recognition["candidates"]
        ],
        columns=["exercise", "fits", "score", "posture share", "why not"],
    )


def rep_thumbnails(video: Path, reps: list[dict], max_side: int = 360) -> dict[int, list[tuple[str, np.ndarray]]]:
    """Frames at each rep's start, peak and end (one decoding pass)."""
    wanted = sorted((r[k], r["index"], k.removesuffix("_s")) for r in reps for k in ("start_s", "peak_s", "end_s"))
    out: dict[int, list[tuple[str, np.ndarray]]] = {r["index"]: [] for r in reps}
    i = 0
    for t, rgb in iter_frames(video, max_side=max_side):
        while i < len(wanted) and wanted[i][0] <= t + 1e-3:
            _, idx, label = wanted[i]
            out[idx].append((f"{label} {t:.1f} s", rgb))
            i += 1
        if i >= len(wanted):
            break
    return out


def rep_table(report: dict) -> pd.DataFrame:
    rows = []
    for r in report["reps"]:
        rom = next((v for k, v in r.items() if k.startswith("rom_")), None)
        row = {
            "rep": r["index"],
            "start s": r["start_s"],
            "end s": r["end_s"],
            "ROM deg": rom,
            "up s": r["concentric_s"],
            "hold s": r["hold_s"],
            "down s": r["eccentric_s"],
            "full range": r["full_range"],
            "faults": ", ".join(r["faults"]) or "-",
        }
        for m, d in r["metrics"].items():
            row[f"{m} mean"] = d["mean"]
        rows.append(row)
    return pd.DataFrame(rows)


def fault_table(report: dict) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"fault": f["id"], "rep": f["rep"], "start s": f["start_s"], "end s": f["end_s"], "cue": f["message"]}
            for f in report["faults"]
        ],
        columns=["fault", "rep", "start s", "end s", "cue"],
    )


def fault_timeline(report: dict) -> alt.Chart | alt.LayerChart:
    """Bars per fault id over time, rep spans shaded behind."""
    duration = report["video"]["duration_s"] or 1.0
    faults = pd.DataFrame(
        [
            {
                "fault": f["id"],
                "start": f["start_s"],
                "end": max(f["end_s"], f["start_s"] + 0.1),
                "rep": "-" if f["rep"] is None else str(f["rep"]),
                "cue": f["message"],
                "severity": f["severity"],
            }
            for f in report["faults"]
        ]
        or [{"fault": "(none)", "start": 0.0, "end": 0.0, "rep": "-", "cue": "", "severity": "info"}]
    )
    reps = pd.DataFrame(
        [{"start": r["start_s"], "end": r["end_s"], "rep": f"rep {r['index']}"} for r in report["reps"]]
    )
    x = alt.Scale(domain=[0, duration])
    bars = (
        alt.Chart(faults)
        .mark_bar(height=14)
        .encode(
            x=alt.X("start:Q", title="time (s)", scale=x),
            x2="end:Q",
            y=alt.Y("fault:N", title=None),
            color=alt.Color(
                "severity:N",
                scale=alt.Scale(domain=["info", "warning", "error"], range=["#7aa6c2", "#f0a030", "#d9534f"]),
            ),
            tooltip=["fault", "rep", "start", "end", "cue"],
        )
    )
    if reps.empty:
        return bars.properties(height=max(80, 28 * faults["fault"].nunique()))
    spans = (
        alt.Chart(reps)
        .mark_rect(opacity=0.12, color="green")
        .encode(x=alt.X("start:Q", scale=x), x2="end:Q", tooltip=["rep"])
    )
    return (spans + bars).properties(height=max(80, 28 * faults["fault"].nunique()))


def metric_chart(
    series: pd.DataFrame, spec: ExerciseSpec, report: dict, metric: str | None = None
) -> alt.TopLevelMixin:
    """The key angle over time with the full-range line, fault thresholds and rep spans."""
    metric = metric or spec.reps.metric
    m = spec.metrics[metric]
    data = series[["t_s", metric]].rename(columns={metric: "value"}).replace([np.inf, -np.inf], np.nan)
    line = (
        alt.Chart(data)
        .mark_line(color="#1f77b4")
        .encode(
            x=alt.X("t_s:Q", title="time (s)"),
            y=alt.Y("value:Q", title=f"{m.label or metric} ({m.unit})"),
            tooltip=["t_s", "value"],
        )
    )
    layers: list[alt.Chart] = [line]
    if metric == spec.reps.metric and spec.reps.full is not None:  # counting follows the person; full is coached
        th = pd.DataFrame([{"y": spec.reps.full, "line": "full range"}])
        layers.append(
            alt.Chart(th)
            .mark_rule(strokeDash=[4, 4])
            .encode(y="y:Q", color=alt.Color("line:N", title="threshold"), tooltip=["line", "y"])
        )
    for f in spec.faults:
        if getattr(f, "metric", None) == metric and f.kind == "threshold":
            for bound in (f.above, f.below):
                if bound is not None:
                    layers.append(
                        alt.Chart(pd.DataFrame([{"y": bound, "fault": f.id}]))
                        .mark_rule(color="#d9534f")
                        .encode(y="y:Q", tooltip=["fault", "y"])
                    )
    if report["reps"]:
        reps = pd.DataFrame([{"start": r["start_s"], "end": r["end_s"], "rep": r["index"]} for r in report["reps"]])
        layers.insert(
            0, alt.Chart(reps).mark_rect(opacity=0.12, color="green").encode(x="start:Q", x2="end:Q", tooltip=["rep"])
        )
    return alt.layer(*layers).properties(height=260)
