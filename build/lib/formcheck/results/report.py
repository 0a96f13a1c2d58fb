"""Report output: the JSON document (a contract, see ``docs/report.schema.json``) and CSV tables."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from pathlib import Path
from typing import Any

from .. import __version__
from ..engine.analysis import AnalysisResult, _r
from ..engine.sets import group_sets
from ..io_utils import write_text_atomic
from ..media.video import VideoInfo

SCHEMA_VERSION = 1


def build_report(res: AnalysisResult, info: VideoInfo, source: str | None = None) -> dict:
    frames = max(res.frames, 1)
    report: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "formcheck_version": __version__,
        "exercise": res.spec.id,
        "exercise_name": res.spec.name,
        "video": {
            "path": source or info.path,
            "fps": _r(info.fps, 3),
            "frames": res.frames,
            "duration_s": _r(info.duration_s if info.duration_s else res.duration_s, 3),
            "width": info.width,
            "height": info.height,
        },
        "view": res.view,
        "side": res.side,
        "rep_count": len(res.reps),
        "reps": [r.to_dict() for r in res.reps],
        "faults": [
            {
                "id": f.id,
                "message": f.message,
                "start_s": _r(f.start_s, 3),
                "end_s": _r(f.end_s, 3),
                "rep": f.rep,
                "severity": f.severity,
                "value": _r(f.value, 3) if f.value is not None else None,
                "detail": f.detail,
            }
            for f in res.faults
        ],
        "warnings": [
            {"id": w.id, "message": w.message, "start_s": _r(w.start_s, 3), "end_s": _r(w.end_s, 3)}
            for w in res.warnings
        ],
        "frames_with_pose": round(res.frames_with_pose / frames, 4),
    }
    sets = group_sets([(r.index, r.start_s, r.end_s) for r in res.reps])
    report["sets"] = [s.to_dict() for s in sets]
    for s in sets:
        for rep in report["reps"]:
            if rep["index"] in s.reps:
                rep["set"] = s.index
    spec = res.spec
    target = spec.reps.hold_target_s
    if target:
        report["holds"] = [
            {
                "rep": r.index,
                "side": r.side,
                "duration_s": _r(r.hold_s, 2),
                "target_s": target,
                "met": r.hold_s >= target,
            }
            for r in res.reps
        ]
    if spec.unilateral or spec.side_metric is not None:
        counts = {s: sum(r.side == s for r in res.reps) for s in ("left", "right")}
        hi = max(counts.values())
        report["sides"] = counts | {"balance": round(min(counts.values()) / hi, 2) if hi else None}
    return report


REP_COLUMNS = [
    "index",
    "start_s",
    "end_s",
    "peak_s",
    "rom",
    "full_range",
    "concentric_s",
    "eccentric_s",
    "hold_s",
    "side",
    "faults",
]


def reps_csv(report: dict) -> str:
    reps = report["reps"]
    metric_cols = sorted({f"{m}_{k}" for r in reps for m, d in r["metrics"].items() for k in d})
    rom_key = next((k for r in reps for k in r if k.startswith("rom_")), "rom_deg")
    cols = [rom_key if c == "rom" else c for c in REP_COLUMNS] + metric_cols
    buf = io.StringIO()
    wr = csv.writer(buf, lineterminator="\n")
    wr.writerow(cols)
    for r in reps:
        flat = {f"{m}_{k}": v for m, d in r["metrics"].items() for k, v in d.items()}
        row = []
        for c in cols:
            v = r.get(c, flat.get(c))
            if c == "faults":
                v = ";".join(v) if v else ""
            row.append("" if v is None else v)
        wr.writerow(row)
    return buf.getvalue()


def write_outputs(report: dict, out_dir: str | Path, stem: str) -> dict[str, Path]:
    out = Path(out_dir)
    paths = {"report": out / f"{stem}.report.json", "reps": out / f"{stem}.reps.csv"}
    write_text_atomic(paths["reps"], reps_csv(report))
    write_text_atomic(paths["report"], json.dumps(report, indent=2) + "\n")
    return paths


def write_segment_outputs(parts: list, seq: Any, source: str, out_dir: str | Path, stem: str) -> list[dict]:
    """Reports of a recording split into exercise segments (``pipeline.analyze_segments``):
    ``<stem>.<k>-<exercise>.report.json`` / ``.reps.csv`` per segment, each with a
    ``segment`` object, and ``<stem>.segments.json`` listing them. Returns its rows."""
    import numpy as np

    rows = []
    for k, (seg, spec, res) in enumerate(parts, 1):
        n = int(np.count_nonzero((seq.t_s >= seg.start_s) & (seq.t_s <= seg.end_s)))
        info = VideoInfo(source, seq.width, seq.height, seq.fps, n, seg.end_s - seg.start_s)
        report = build_report(res, info, source)
        report["segment"] = {"index": k, "of": len(parts)} | seg.to_dict()
        paths = write_outputs(report, out_dir, f"{stem}.{k}-{spec.id}")
        faults = dict(Counter(f["id"] for f in report["faults"]))
        rows.append(
            {"index": k, **seg.to_dict(), "rep_count": report["rep_count"], "faults": faults}
            | {"warnings": sorted({w["id"] for w in report["warnings"]})}
            | {"report": paths["report"].name, "reps_csv": paths["reps"].name}
        )
    doc = {"video": source, "segments": rows}
    write_text_atomic(Path(out_dir) / f"{stem}.segments.json", json.dumps(doc, indent=2) + "\n")
    return rows
