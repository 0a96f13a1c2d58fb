"""Accuracy against hand labels: ``formcheck eval LABELS.csv``.

``LABELS.csv`` columns (paths relative to the CSV's folder):

* ``path``, ``exercise``, ``reps``: the clip, its spec id, the labelled rep count;
* ``reps_lo``, ``reps_hi`` (optional): the counts that are right when a rep at the
  clip's start or end is cut (else ``reps`` +- ``tolerance``, else ``reps``);
* ``faults``: ``;``-separated fault ids plainly visible in the clip (``-`` none);
* ``not_faults`` (optional): fault ids that are plainly *absent*: a checker that
  fires one of them is wrong. Faults in neither list are not judged;
* ``tops`` (optional): ``;``-separated times (s) of the labelled reps' tops, used
  by the robustness suite (:mod:`formcheck.results.variants`);
* ``view`` (optional): the camera view, for the report.

A count is *exact* when it lies in ``[reps_lo, reps_hi]`` and *within one* when it
is at most one outside; the normalised MAE is the distance to that range over
the labelled count. Per fault id: true positives (expected and found), false
negatives (expected, not found) and false positives (found though labelled
absent), precision and recall.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Label:
    path: Path
    exercise: str
    reps: int
    reps_lo: int
    reps_hi: int
    faults: tuple[str, ...] = ()
    not_faults: tuple[str, ...] = ()
    tops: tuple[float, ...] = ()
    view: str = ""


@dataclass
class ClipEval:
    path: str
    exercise: str
    true_reps: int
    counted: int | None
    expected: list[str]
    found: list[str] = field(default_factory=list)
    error: str | None = None
    reps_lo: int | None = None
    reps_hi: int | None = None
    not_faults: list[str] = field(default_factory=list)

    @property
    def lo(self) -> int:
        return self.true_reps if self.reps_lo is None else self.reps_lo

    @property
    def hi(self) -> int:
        return self.true_reps if self.reps_hi is None else self.reps_hi

    @property
    def count_error(self) -> int | None:
        """How far the count is outside the labelled range (0 inside it)."""
        if self.counted is None:
            return None
        return max(0, self.lo - self.counted, self.counted - self.hi)

    @property
    def missed(self) -> list[str]:
        return [f for f in self.expected if f not in self.found]

    @property
    def unexpected(self) -> list[str]:
        """Found though labelled absent (false positives)."""
        return [f for f in self.found if f in self.not_faults]

    @property
    def unjudged(self) -> list[str]:
        return [f for f in self.found if f not in self.expected and f not in self.not_faults]


def _ids(cell: str | None) -> tuple[str, ...]:
    cell = (cell or "").strip()
    return () if cell in ("", "-") else tuple(f.strip() for f in cell.split(";") if f.strip())


def read_labels(path: str | Path) -> list[Label]:
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
                tol = int(r.get("tolerance") or 0)
                lo = int(r["reps_lo"]) if (r.get("reps_lo") or "").strip() else reps - tol
                hi = int(r["reps_hi"]) if (r.get("reps_hi") or "").strip() else reps + tol
                tops = tuple(float(x) for x in _ids(r.get("tops")))
            except ValueError as e:
                raise ValueError(f"{path}:{i}: {e}") from None
            if not lo <= reps <= hi:
                raise ValueError(f"{path}:{i}: reps {reps} outside reps_lo..reps_hi {lo}..{hi}")
            rows.append(
                Label(
                    path.parent / r["path"],
                    r["exercise"].strip(),
                    reps,
                    lo,
                    hi,
                    _ids(r["faults"]),
                    _ids(r.get("not_faults")),
                    tops,
                    (r.get("view") or "").strip(),
                )
            )
    return rows


def summarise(clips: list[ClipEval]) -> dict:
    ok = [c for c in clips if c.counted is not None]
    n = len(ok)
    errs = [c.count_error or 0 for c in ok]
    exact = sum(e == 0 for e in errs)
    within1 = sum(e <= 1 for e in errs)
    nmae = sum(e / max(c.true_reps, 1) for e, c in zip(errs, ok, strict=True)) / n if n else None
    ids = sorted({f for c in ok for f in [*c.expected, *c.not_faults]})  # only labelled faults can be judged
    per_fault = {}
    for fid in ids:
        tp = sum(fid in c.expected and fid in c.found for c in ok)
        fp = sum(fid in c.not_faults and fid in c.found for c in ok)
        fn = sum(fid in c.expected and fid not in c.found for c in ok)
        per_fault[fid] = {
            "labelled": sum(fid in c.expected for c in ok),
            "absent": sum(fid in c.not_faults for c in ok),
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
        "within_one_rate": round(within1 / n, 3) if n else None,
        "off_by_one_rate": round((within1 - exact) / n, 3) if n else None,
        "count_mae_normalised": round(nmae, 3) if nmae is not None else None,
        "faults": per_fault,
    }


def evaluate(labels: str | Path, run: Callable[[Path, str], tuple[int, list[str]]]) -> tuple[list[ClipEval], dict]:
    """Run ``run(path, exercise) -> (rep_count, fault_ids)`` on each labelled clip."""
    return evaluate_labels(read_labels(labels), run)


def evaluate_labels(
    labels: list[Label], run: Callable[[Path, str], tuple[int, list[str]]]
) -> tuple[list[ClipEval], dict]:
    clips = []
    for lab in labels:
        c = ClipEval(
            str(lab.path),
            lab.exercise,
            lab.reps,
            None,
            list(lab.faults),
            reps_lo=lab.reps_lo,
            reps_hi=lab.reps_hi,
            not_faults=list(lab.not_faults),
        )
        try:
            c.counted, found = run(lab.path, lab.exercise)
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
        "| clip | exercise | true reps | counted | faults expected | found | missed | false alarms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for c in clips:
        counted = "error" if c.counted is None else str(c.counted)
        true = str(c.true_reps) if c.lo == c.hi else f"{c.true_reps} ({c.lo}-{c.hi})"
        found = [f for f in c.found if f in c.expected]
        lines.append(
            f"| {Path(c.path).name} | {c.exercise} | {true} | {counted} | {j(c.expected)} | {j(found)} | {j(c.missed)} | {j(c.unexpected)} |"
        )
    s = summary
    lines += [
        "",
        f"Clips {s['evaluated']}/{s['clips']}; exact count rate {s['exact_count_rate']}; within one {s['within_one_rate']}; "
        f"count MAE / true count {s['count_mae_normalised']}.",
        "",
    ]
    if s["faults"]:
        lines += [
            "| fault | clips where visible | clips where plainly absent | found | false alarms | missed | precision | recall |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for fid, m in s["faults"].items():
            lines.append(
                f"| `{fid}` | {m['labelled']} | {m['absent']} | {m['tp']} | {m['fp']} | {m['fn']} | {m['precision']} | {m['recall']} |"
            )
    return "\n".join(lines)
