"""Which exercise is it, or none of them? Posture first, then the moving joints,
then the spec's own reps.

No training data: a spec recognises its exercise through what it declares.

1. **Posture** (:mod:`formcheck.engine.posture`): the body positions the spec
   is done in (``postures``) must be what the body shows for most of the clip
   (frames whose posture cannot be measured count when they are consistent with it).
2. **Moving joints**: every joint in ``moving`` must move through the clip, every
   joint in ``still`` must not, the hands must hold still or move as ``hands``
   says, and the movement must reach the positions in ``reaches``.
3. **The spec's own evidence**: its engine's reps (diminishing), the share of the
   clip its start position holds, full range and few faults. It ranks the specs
   that pass 1 and 2 and never rescues one that fails them, so rep counts never
   decide alone.

When no spec passes, the answer is ``None`` ("unknown": this looks like none of
the exercises formcheck knows), and every candidate says why it was rejected.

:func:`run_all` runs each spec's engine once; recognition here and splitting
(:mod:`formcheck.engine.segment`) both read those runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .analysis import AnalysisResult, Analyzer
from .body import JOINTS, MIN_COVERAGE, BodySummary, summarise
from .landmarks import PoseSeq
from .posture import POSTURES
from .specs import ExerciseSpec

#: Share of the frames (with a person) that must be consistent with the spec's postures...
POSTURE_MIN = 0.5
#: ... and share where one of them is seen (a frame consistent with k postures counts 1/k).
POSTURE_SEEN_MIN = 0.25
#: Share of frames with one end (hands or body) clearly still that decides ``hands``.
ANCHOR_MIN = 0.3
#: ``hands = "fixed"`` (the hands carry the body: a bar, bars, the floor) must be seen on this share of frames
#: (real pull-ups and push-ups: 0.35-1.0; a person holding still: 0).
FIXED_MIN = 0.2
#: Below this score the best fit is too weak to name.
MIN_SCORE = 0.05


@dataclass(frozen=True)
class EngineRun:
    """One spec's engine over a whole recording."""

    ready: np.ndarray  # (n_frames,) bool: the spec's start position held at each frame
    result: AnalysisResult
    # (n_frames,) the counted metric (NaN: not measured), and whether no setup condition
    # is contradicted (conditions that cannot be measured, e.g. legs out of frame, pass)
    rep_values: np.ndarray | None = None
    not_against: np.ndarray | None = None


def _not_against(spec: ExerciseSpec, values: dict[str, float]) -> bool:
    if not values:
        return False
    for c in spec.setup.conditions:
        if getattr(c, "at", "rep") != "rep":
            continue  # a condition on where a rep starts, not on every frame
        v = values.get(c.metric, math.nan)
        if math.isfinite(v) and ((c.min is not None and v < c.min) or (c.max is not None and v > c.max)):
            return False
    return True


def run_engine(spec: ExerciseSpec, seq: PoseSeq) -> EngineRun:
    an = Analyzer(spec, seq.width, seq.height)
    n = len(seq)
    ready, vals, free = np.zeros(n, bool), np.full(n, np.nan), np.zeros(n, bool)
    for i, f in enumerate(seq.frames()):
        st = an.update(f)
        ready[i] = st.ready
        vals[i] = st.values.get(spec.reps.metric, math.nan)
        free[i] = _not_against(spec, st.values)
    return EngineRun(ready, an.result(), vals, free)


def travels(spec: ExerciseSpec, run: EngineRun) -> tuple[bool, str]:
    """The spec's own movement, without counting: does its counted metric (5th to 95th
    percentile), while its start position is not contradicted, move at least the spec's
    ``min_rom`` (the smallest movement that is a rep)? ``(yes, what it did)``.
    A metric the clip cannot measure (view, framing) is no evidence either way."""
    if run.rep_values is None or run.not_against is None:
        return True, ""
    r = spec.reps
    name, unit = r.metric, r.unit
    person = run.not_against | np.isfinite(run.rep_values)
    if np.isfinite(run.rep_values).sum() < max(5, MIN_COVERAGE * max(int(person.sum()), 1)):
        return True, f"{name} not measurable here (view or framing)"  # no evidence either way
    v = run.rep_values[run.not_against]
    v = v[np.isfinite(v)]
    if len(v) < 5:
        return False, f"{name} not measured in its start position"
    lo, hi = (float(x) for x in np.percentile(v, [5, 95]))
    return hi - lo >= r.min_rom, f"{name} moves {hi - lo:.1f} {unit} (a rep moves at least {r.min_rom:.1f})"


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
    posture: float = 0.0  # share of the frames consistent with the spec's postures
    joints: dict[str, float] = field(default_factory=dict)  # declared moving/still joints: range over the clip
    rejected: str | None = None  # why the spec does not fit (None: it fits)

    def to_dict(self) -> dict:
        d = {
            "exercise": self.exercise,
            "score": self.score,
            "reps": self.reps,
            "posture": self.posture,
            "joints": {k: round(v, 1) for k, v in self.joints.items()},
        }
        if self.rejected:
            d["rejected"] = self.rejected
        return d


def evidence(spec_id: str, run: EngineRun) -> Candidate:
    """The spec's own rep evidence: reps (diminishing) times how much they look like its own."""
    res = run.result
    n = len(res.reps)
    ready_frac = float(run.ready.mean()) if len(run.ready) else 0.0
    full = sum(r.full_range for r in res.reps) / n if n else 0.0
    per_rep = sum(f.rep is not None for f in res.faults) / n if n else 0.0
    score = math.log1p(n) * quality(ready_frac, full, per_rep) if n else 0.0
    return Candidate(spec_id, round(score, 4), n, round(ready_frac, 3), round(full, 3), round(per_rep, 3))


@dataclass(frozen=True)
class Fit:
    """How a spec's declared posture and joints fit a stretch of the body's movement."""

    posture: float  # share of frames consistent with the postures (1.0 if none declared)
    joints: dict[str, float]  # range of each declared moving / still joint (NaN: not measured)
    strength: float  # in [0, 1]: how clearly the moving joints move
    rejected: str | None


def _pct(x: float) -> str:
    return f"{round(100 * x)}%"


def body_fit(spec: ExerciseSpec, body: BodySummary) -> Fit:
    """Check a spec's ``postures``, ``moving``, ``still``, ``hands`` and ``reaches`` against ``body``."""
    why: list[str] = []
    posture = 1.0
    if spec.postures:
        posture = min(1.0, sum(body.consistent.get(p, 0.0) for p in spec.postures))
        seen = sum(body.seen.get(p, 0.0) for p in spec.postures)
        if posture < POSTURE_MIN or seen < POSTURE_SEEN_MIN:
            was = ", ".join(f"{k} {_pct(v)}" for k, v in body.postures.items() if v >= 0.1) or "not seen"
            why.append(f"posture: needs {' or '.join(spec.postures)}, the body was {was}")
    joints: dict[str, float] = {}
    strengths = []
    for j in spec.moving:
        jr = body.joints[j]
        joints[j] = jr.range
        if not jr.measured:
            why.append(f"{j} not in view")
            strengths.append(0.0)
        elif not jr.moves:
            why.append(f"{j} barely moves ({jr.range:.0f} {JOINTS[j].unit}, needs {JOINTS[j].moves_at:.0f})")
            strengths.append(0.0)
        else:
            strengths.append(min(1.0, jr.range / (2 * JOINTS[j].moves_at)))
    for j in spec.still:
        jr = body.joints[j]
        joints[j] = jr.range
        if jr.measured and jr.range > JOINTS[j].still_max:
            why.append(f"{j} moves ({jr.range:.0f} {JOINTS[j].unit}); it stays still in this exercise")
    if spec.hands != "any":
        fixed = body.anchor.get("hands", 0.0) + body.anchor.get("hands_body", 0.0)
        free = body.anchor.get("body", 0.0)
        if spec.hands == "fixed" and free >= ANCHOR_MIN and free > fixed:
            why.append("the hands move while the body holds still (here the hands hold a bar or the floor)")
        elif spec.hands == "fixed" and fixed < FIXED_MIN:
            why.append("the hands are never seen holding still while the body moves (here they carry the body)")
        if spec.hands == "free" and fixed >= ANCHOR_MIN and fixed > free:
            why.append("the hands hold still while the body moves (here the hands move the weight)")
    for r in spec.reaches:
        jr = body.joints[r.joint]
        if not jr.measured:
            continue
        if r.below is not None and jr.low > r.below:
            why.append(f"{r.joint} never gets below {r.below:.0f} {r.unit} (lowest {jr.low:.0f})")
        if r.above is not None and jr.high < r.above:
            why.append(f"{r.joint} never gets above {r.above:.0f} {r.unit} (highest {jr.high:.0f})")
    for r in spec.stays:
        jr = body.joints[r.joint]
        if not jr.measured:
            continue
        if r.below is not None and jr.high > r.below:
            why.append(
                f"{r.joint} gets above {r.below:.0f} {r.unit} (highest {jr.high:.0f}); it stays below in this exercise"
            )
        if r.above is not None and jr.low < r.above:
            why.append(
                f"{r.joint} gets below {r.above:.0f} {r.unit} (lowest {jr.low:.0f}); it stays above in this exercise"
            )
    strength = float(np.mean(strengths)) if strengths else 0.5
    return Fit(round(posture, 3), joints, strength, "; ".join(why) or None)


def plausible(specs: dict[str, ExerciseSpec], body: BodySummary, share: float = 0.1) -> dict[str, ExerciseSpec]:
    """The specs worth running an engine for on a recording: their posture appears on at
    least ``share`` of it and none of their moving joints is seen to stay still throughout
    (a long recording may hold several exercises, so this is looser than :func:`body_fit`)."""
    out = {}
    for sid, spec in specs.items():
        if spec.postures and sum(body.consistent.get(p, 0.0) for p in spec.postures) < share:
            continue
        if any(body.joints[j].measured and not body.joints[j].moves for j in spec.moving):
            continue
        out[sid] = spec
    return out


def needed_joints(specs: dict[str, ExerciseSpec]) -> tuple[str, ...]:
    """Every joint measure the specs' recognition fields read."""
    out: dict[str, None] = {}
    for s in specs.values():
        for j in (*s.moving, *s.still, *(r.joint for r in (*s.reaches, *s.stays))):
            out[j] = None
    return tuple(out)


def score_candidate(fit: Fit, ev: Candidate) -> float:
    """Posture share x how clearly the joints move x start position held x rep evidence."""
    rep_fit = ev.score / (ev.score + 0.5)
    return fit.posture * (0.5 + 0.5 * fit.strength) * (0.4 + 0.6 * ev.ready_fraction) * (0.5 + 0.5 * rep_fit)


def recognise(
    seq: PoseSeq,
    specs: dict[str, ExerciseSpec],
    runs: dict[str, EngineRun] | None = None,
    body: BodySummary | None = None,
) -> tuple[str | None, float, list[Candidate]]:
    """``(best spec id, or None for "none of them"; confidence in [0, 1]; every candidate,
    fits first then by score)``. ``runs`` (from :func:`run_all`) saves running the
    engines again; without it only the specs whose body fit passes are run."""
    body = body if body is not None else summarise(seq, needed_joints(specs))
    cands: list[Candidate] = []
    closeness: dict[str, float] = {}
    for sid, spec in specs.items():
        fit = body_fit(spec, body)
        closeness[sid] = fit.posture * (0.5 + 0.5 * fit.strength) / (1 + (fit.rejected or "").count(";"))
        last_run = None
        if runs is not None and sid in runs:
            ev = evidence(sid, runs[sid])
        elif fit.rejected is None:
            last_run = run_engine(spec, seq)
            ev = evidence(sid, last_run)
        else:
            ev = Candidate(sid, 0.0, 0, 0.0, 0.0, 0.0)
        rejected = fit.rejected
        if rejected is None and ev.reps == 0:
            run = runs[sid] if runs is not None and sid in runs else last_run
            ok, what = travels(spec, run) if run is not None else (False, "")
            if not ok:
                rejected = f"its own movement is missing: {what}"
        score = 0.0 if rejected else score_candidate(fit, ev)
        if rejected is None and score < MIN_SCORE:
            rejected = "too weak a fit"
        cands.append(
            Candidate(
                sid,
                round(score, 4),
                ev.reps,
                ev.ready_fraction,
                ev.full_fraction,
                ev.faults_per_rep,
                fit.posture,
                fit.joints,
                rejected,
            )
        )
    # fits by score; the rejected by how close they came (posture share x how clearly their joints move)
    cands.sort(key=lambda c: (c.rejected is not None, -c.score, -closeness[c.exercise]))
    fits = [c for c in cands if c.rejected is None]
    if not fits:
        return None, 0.0, cands
    total = sum(c.score for c in fits)
    return fits[0].exercise, round(fits[0].score / total, 3), cands


__all__ = [
    "POSTURES",
    "Candidate",
    "EngineRun",
    "body_fit",
    "evidence",
    "needed_joints",
    "plausible",
    "quality",
    "recognise",
    "run_all",
    "run_engine",
]
