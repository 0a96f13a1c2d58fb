"""Which exercise is it? Every spec's engine runs on the same landmarks; the
spec under which the movement looks most like its own reps wins.

No training data: a spec recognises its exercise through what it already
declares (start position, counted movement and its thresholds, views). For
each spec the evidence is how many reps it counts, how much of the clip its
start position holds, and how clean and full those reps are. The confidence
is the winner's share of the total evidence.

:func:`run_all` runs each spec's engine once; recognition here and splitting
(:mod:`formcheck.segment`) both read those runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .analysis import AnalysisResult, Analyzer
from .landmarks import PoseSeq
from .specs import ExerciseSpec


@dataclass(frozen=True)
class EngineRun:
    """One spec's engine over a whole recording."""

    ready: np.ndarray  # (n_frames,) bool: the spec's start position held at each frame
    result: AnalysisResult


def run_engine(spec: ExerciseSpec, seq: PoseSeq) -> EngineRun:
    an = Analyzer(spec, seq.width, seq.height)
    ready = np.fromiter((an.update(f).ready for f in seq.frames()), dtype=bool, count=len(seq))
    return EngineRun(ready, an.result())


def run_all(seq: PoseSeq, specs: dict[str, ExerciseSpec]) -> dict[str, EngineRun]:
    """Every spec's engine over ``seq``, by spec id."""
    return {sid: run_engine(spec, seq) for sid, spec in specs.items()}


def quality(ready: float, full: float, faults_per_rep: float) -> float:
    """How much reps look like the spec's own, in [0, 1]: its start position held
    (fraction), full range (fraction), few faults."""
    return ready * (0.5 + 0.5 * full) / (1.0 + 0.5 * faults_per_rep)


@dataclass(frozen=True)
class Candidate:
    exercise: str
    score: float
    reps: int
    ready_fraction: float
    full_fraction: float
    faults_per_rep: float


def evidence(spec_id: str, run: EngineRun) -> Candidate:
    res = run.result
    n = len(res.reps)
    ready_frac = float(run.ready.mean()) if len(run.ready) else 0.0
    full = sum(r.full_range for r in res.reps) / n if n else 0.0
    per_rep = sum(f.rep is not None for f in res.faults) / n if n else 0.0
    # reps (diminishing) times how much they look like the spec's own
    score = math.log1p(n) * quality(ready_frac, full, per_rep) if n else 0.0
    return Candidate(spec_id, round(score, 4), n, round(ready_frac, 3), round(full, 3), round(per_rep, 3))


def recognise(
    seq: PoseSeq, specs: dict[str, ExerciseSpec], runs: dict[str, EngineRun] | None = None
) -> tuple[str | None, float, list[Candidate]]:
    """``(best spec id or None, confidence in [0, 1], all candidates best first)``.
    ``runs`` (from :func:`run_all`) saves running the engines again."""
    runs = runs if runs is not None else run_all(seq, specs)
    cands = sorted((evidence(sid, runs[sid]) for sid in specs), key=lambda c: -c.score)
    total = sum(c.score for c in cands)
    if not cands or cands[0].score <= 0:
        return None, 0.0, cands
    return cands[0].exercise, round(cands[0].score / total, 3), cands
