"""Which exercise is it? Every spec's engine runs on the same landmarks; the
spec under which the movement looks most like its own reps wins.

No training data: a spec recognises its exercise through what it already
declares (start position, counted movement and its thresholds, views). For
each spec the evidence is how many reps it counts, how much of the clip its
start position holds, and how clean and full those reps are. The confidence
is the winner's share of the total evidence.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .analysis import Analyzer
from .landmarks import PoseSeq
from .specs import ExerciseSpec


@dataclass(frozen=True)
class Candidate:
    exercise: str
    score: float
    reps: int
    ready_fraction: float
    full_fraction: float
    faults_per_rep: float


def evidence(spec: ExerciseSpec, seq: PoseSeq) -> Candidate:
    an = Analyzer(spec, seq.width, seq.height)
    ready = 0
    for f in seq.frames():
        ready += an.update(f).ready
    res = an.result()
    n = len(res.reps)
    ready_frac = ready / max(len(seq), 1)
    full = sum(r.full_range for r in res.reps) / n if n else 0.0
    per_rep = sum(f.rep is not None for f in res.faults) / n if n else 0.0
    # reps (diminishing), start position held, full range, few faults
    score = math.log1p(n) * ready_frac * (0.5 + 0.5 * full) / (1.0 + 0.5 * per_rep) if n else 0.0
    return Candidate(spec.id, round(score, 4), n, round(ready_frac, 3), round(full, 3), round(per_rep, 3))


def recognise(seq: PoseSeq, specs: dict[str, ExerciseSpec]) -> tuple[str | None, float, list[Candidate]]:
    """``(best spec id or None, confidence in [0, 1], all candidates best first)``."""
    cands = sorted((evidence(s, seq) for s in specs.values()), key=lambda c: -c.score)
    total = sum(c.score for c in cands)
    if not cands or cands[0].score <= 0:
        return None, 0.0, cands
    return cands[0].exercise, round(cands[0].score / total, 3), cands
