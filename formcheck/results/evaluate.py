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


# ---------------------------------------------------------------- recognition
UNKNOWN = "unknown"


@dataclass
class RecognitionEval:
    path: str
    expected: list[str]  # spec ids that count as right (a|b in the file), or ["unknown"]
    answer: str | None  # the recognised spec id, "unknown", or None on an error
    error: str | None = None

    @property
    def has_spec(self) -> bool:
        return self.expected != [UNKNOWN]

    @property
    def right(self) -> bool:
        return self.answer in self.expected


def read_recognition_labels(path: str | Path) -> list[tuple[Path, list[str]]]:
    """``path,exercise`` rows: a spec id, ``a|b`` when either is right, or ``unknown`` for an
    exercise formcheck has no spec for. Paths are relative to the file's folder."""
    path = Path(path)
    rows = []
    with open(path, newline="", encoding="utf-8") as fh:
        rd = csv.DictReader(fh)
        if rd.fieldnames is None or not {"path", "exercise"} <= set(rd.fieldnames):
            raise ValueError(f"{path}: needs columns ['exercise', 'path'], has {rd.fieldnames}")
        for i, r in enumerate(rd, start=2):
            want = [x.strip() for x in r["exercise"].split("|") if x.strip()]
            if not want:
                raise ValueError(f"{path}:{i}: no exercise given")
            rows.append((path.parent / r["path"].strip(), want))
    return rows


def summarise_recognition(clips: list[RecognitionEval]) -> dict:
    """Right exercise on clips of exercises with a spec, ``unknown`` on clips without one,
    and the confusion table (expected -> answered -> count; alternatives count as their first)."""
    done = [c for c in clips if c.answer is not None]
    spec = [c for c in done if c.has_spec]
    none = [c for c in done if not c.has_spec]
    confusion: dict[str, dict[str, int]] = {}
    for c in done:
        row_key = c.answer if c.right and c.answer else c.expected[0]
        row = confusion.setdefault(row_key, {})
        row[str(c.answer)] = row.get(str(c.answer), 0) + 1
    return {
        "clips": len(clips),
        "evaluated": len(done),
        "errors": len(clips) - len(done),
        "with_spec": len(spec),
        "right_exercise": sum(c.right for c in spec),
        "accuracy": round(sum(c.right for c in spec) / len(spec), 3) if spec else None,
        "said_unknown_on_spec_clips": sum(c.answer == UNKNOWN for c in spec),
        "without_spec": len(none),
        "said_unknown": sum(c.right for c in none),
        "unknown_rate": round(sum(c.right for c in none) / len(none), 3) if none else None,
        "confusion": {k: dict(sorted(v.items())) for k, v in sorted(confusion.items())},
    }


def evaluate_recognition(labels: str | Path, run: Callable[[Path], str]) -> tuple[list[RecognitionEval], dict]:
    """Run ``run(path) -> spec id or "unknown"`` on each labelled clip."""
    clips = []
    for path, want in read_recognition_labels(labels):
        c = RecognitionEval(str(path), want, None)
        try:
            c.answer = run(path)
        except Exception as e:  # one bad clip must not stop the evaluation
            c.error = f"{type(e).__name__}: {e}"
        clips.append(c)
    return clips, summarise_recognition(clips)


def recognition_markdown(clips: list[RecognitionEval], summary: dict) -> str:
    """Totals, the confusion table (rows: what the clip is; columns: what formcheck said) and the misses."""
    s = summary
    answers = sorted({a for row in s["confusion"].values() for a in row})
    lines = [
        f"Right exercise on clips of exercises with a spec: **{s['right_exercise']}/{s['with_spec']}** ({s['accuracy']}); "
        f"`unknown` on clips of exercises without one: **{s['said_unknown']}/{s['without_spec']}** ({s['unknown_rate']}).",
        "",
        "| clip is \\ formcheck said | " + " | ".join(f"`{a}`" for a in answers) + " |",
        "|---|" + "---|" * len(answers),
    ]
    for exp, row in s["confusion"].items():
        lines.append(f"| `{exp}` | " + " | ".join(str(row.get(a, "")) for a in answers) + " |")
    wrong = [c for c in clips if c.answer is not None and not c.right]
    if wrong:
        lines += ["", "| clip | is | said |", "|---|---|---|"]
        lines += [f"| {Path(c.path).name} | {'/'.join(c.expected)} | {c.answer} |" for c in wrong]
    return "\n".join(lines)
