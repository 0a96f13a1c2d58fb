"""Accuracy against hand labels: ``formcheck eval LABELS.csv``.

``LABELS.csv`` columns: ``path,exercise,reps,faults`` where ``faults`` is a
``;``-separated list of fault ids that must be found (``-`` for none). Paths
are relative to the CSV's folder.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class ClipEval:
    path: str
    exercise: str
    true_reps: int
    counted: int | None
    expected: list[str]
    found: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def missed(self) -> list[str]:
        return [f for f in self.expected if f not in self.found]

    @property
    def unexpected(self) -> list[str]:
        return [f for f in self.found if f not in self.expected]


def read_labels(path: str | Path) -> list[tuple[Path, str, int, list[str]]]:
    path = Path(path)
    rows = []
    with open(path, newline="", encoding="utf-8") as fh:
        rd = csv.DictReader(fh)
        need = {"path", "exercise", "reps", "faults"}
        if rd.fieldnames is None or not need <= set(rd.fieldnames):
            raise ValueError(f"{path}: needs columns {sorted(need)}, has {rd.fieldnames}")
        for i, r in enumerate(rd, start=2):
            try:
                reps = int(r["reps"])
            except ValueError:
                raise ValueError(f"{path}:{i}: reps must be an integer, got {r['reps']!r}") from None
            faults = (
                [] if r["faults"].strip() in ("", "-") else [f.strip() for f in r["faults"].split(";") if f.strip()]
            )
            rows.append((path.parent / r["path"], r["exercise"].strip(), reps, faults))
    return rows


def summarise(clips: list[ClipEval]) -> dict:
    ok = [c for c in clips if c.counted is not None]
    n = len(ok)
    errs = [(c.counted or 0) - c.true_reps for c in ok]
    exact = sum(e == 0 for e in errs)
    off1 = sum(abs(e) == 1 for e in errs)
    nmae = sum(abs(e) / max(c.true_reps, 1) for e, c in zip(errs, ok, strict=True)) / n if n else None
    ids = sorted({f for c in ok for f in c.expected + c.found})
    per_fault = {}
    for fid in ids:
        tp = sum(fid in c.expected and fid in c.found for c in ok)
        fp = sum(fid not in c.expected and fid in c.found for c in ok)
        fn = sum(fid in c.expected and fid not in c.found for c in ok)
        per_fault[fid] = {
            "tp": tp,
            "fp": fp,
            "fn": fn,
            "precision": round(tp / (tp + fp), 3) if tp + fp else None,
            "recall": round(tp / (tp + fn), 3) if tp + fn else None,
        }
    return {
        "clips": len(clips),
        "evaluated": n,
        "errors": len(clips) - n,
        "exact_count_rate": round(exact / n, 3) if n else None,
        "off_by_one_rate": round(off1 / n, 3) if n else None,
        "count_mae_normalised": round(nmae, 3) if nmae is not None else None,
        "faults": per_fault,
    }


def evaluate(labels: str | Path, run: Callable[[Path, str], tuple[int, list[str]]]) -> tuple[list[ClipEval], dict]:
    """Run ``run(path, exercise) -> (rep_count, fault_ids)`` on each labelled clip."""
    clips = []
    for path, ex, reps, faults in read_labels(labels):
        c = ClipEval(str(path), ex, reps, None, faults)
        try:
            c.counted, found = run(path, ex)
            c.found = sorted(set(found))
        except Exception as e:  # one bad clip must not stop the evaluation
            c.error = f"{type(e).__name__}: {e}"
        clips.append(c)
    return clips, summarise(clips)


def markdown_report(clips: list[ClipEval], summary: dict) -> str:
    """Per-clip table, totals line and per-fault table, as Markdown."""

    def j(xs: list[str]) -> str:
        return ", ".join(f"`{x}`" for x in xs) or "-"

    lines = [
        "| clip | exercise | true reps | counted | faults expected | found | missed | unexpected |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for c in clips:
        counted = "error" if c.counted is None else str(c.counted)
        found = [f for f in c.found if f in c.expected]
        lines.append(
            f"| {Path(c.path).name} | {c.exercise} | {c.true_reps} | {counted} | {j(c.expected)} | {j(found)} | {j(c.missed)} | {j(c.unexpected)} |"
        )
    s = summary
    lines += [
        "",
        f"Clips {s['evaluated']}/{s['clips']}; exact count rate {s['exact_count_rate']}; off-by-one rate {s['off_by_one_rate']}; "
        f"count MAE / true count {s['count_mae_normalised']}.",
        "",
    ]
    if s["faults"]:
        lines += ["| fault | precision | recall | tp | fp | fn |", "|---|---|---|---|---|---|"]
        for fid, m in s["faults"].items():
            lines.append(f"| `{fid}` | {m['precision']} | {m['recall']} | {m['tp']} | {m['fp']} | {m['fn']} |")
    return "\n".join(lines)
