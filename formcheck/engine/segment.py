"""Splitting a long recording with several exercises into one segment per exercise.

Pure functions on a :class:`~formcheck.landmarks.PoseSeq` (one model pass,
already done). Every spec's engine runs over the whole recording once, and
each rep it counts is evidence for that spec at the rep's peak, weighted as in
whole-clip recognition (:func:`formcheck.recognise.quality`): whether the spec's start
position holds around the rep, whether the rep reached full range, how few
faults it had. The timeline (in ``BIN_S`` bins) is then labelled with one
exercise at a time by dynamic programming (Viterbi): the labelling that
collects the most evidence, less ``SWITCH_COST`` for every change of
exercise. So one spec that claims every rep does not win where another spec
explains its stretch better by more than one good rep, and a lone stray rep
of another spec does not split a set.

Posture first, here too (:mod:`formcheck.engine.posture`): a rep only counts as
evidence in the share of its frames whose body position the spec is done in,
and every segment found must pass the spec's whole recognition check
(posture, moving joints, :func:`formcheck.engine.recognise.body_fit`) on its own
frames; a stretch that passes for no spec is left out (none of the exercises).

Each segment then runs from halfway after the previous segment's last rep to
halfway before the next one's first (where they overlap, up to the later
one's first peak), so its lead-in (setup, first frames) is analysed with it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .body import Body, analyse
from .landmarks import PoseSeq
from .recognise import EngineRun, body_fit, needed_joints, quality, run_all
from .specs import ExerciseSpec

#: Width of the timeline's bins, seconds.
BIN_S = 0.5
#: Evidence (half a clean, full rep) that a change of exercise must gain.
SWITCH_COST = 0.5
#: Seconds before and after a rep over which its spec's start position is checked.
READY_PAD_S = 2.0


@dataclass(frozen=True)
class RepEvidence:
    exercise: str
    start_s: float
    end_s: float
    peak_s: float
    weight: float  # in [0, 1]: start position held around it x full range x few faults


@dataclass(frozen=True)
class Segment:
    """A stretch of the recording given to one exercise (times in the recording's seconds)."""

    exercise: str
    start_s: float  # first frame of the segment
    end_s: float  # last frame of the segment
    reps_start_s: float  # first counted rep's start
    reps_end_s: float  # last counted rep's end
    confidence: float  # this exercise's share of all specs' evidence over the segment

    def to_dict(self) -> dict:
        return {k: (round(v, 3) if isinstance(v, float) else v) for k, v in self.__dict__.items()}


def _posture_share(spec: ExerciseSpec, body: Body | None, mask: np.ndarray) -> float:
    """Share of the frames in ``mask`` (with a person) consistent with the spec's postures."""
    if body is None or not spec.postures:
        return 1.0
    idx = np.flatnonzero(mask & body.postures.has_person)
    if len(idx) == 0:
        return 0.0
    want = set(spec.postures)
    return sum(bool(want & body.postures.consistent[i]) for i in idx) / len(idx)


def rep_evidence(
    spec_id: str, seq: PoseSeq, run: EngineRun, spec: ExerciseSpec | None = None, body: Body | None = None
) -> list[RepEvidence]:
    """Every rep one spec's engine counted over the whole recording, weighted (and, given the
    spec and the measured ``body``, by the share of its frames in the spec's postures)."""
    res = run.result
    out = []
    for r in res.reps:
        near = (seq.t_s >= r.start_s - READY_PAD_S) & (seq.t_s <= r.end_s + READY_PAD_S)
        rdy = float(run.ready[near].mean()) if near.any() else 0.0
        faults = sum(f.rep == r.index for f in res.faults)
        w = quality(rdy, r.full_range, faults)
        if spec is not None:
            w *= _posture_share(spec, body, (seq.t_s >= r.start_s) & (seq.t_s <= r.end_s))
        out.append(RepEvidence(spec_id, r.start_s, r.end_s, r.peak_s, w))
    return out


def label_timeline(gain: np.ndarray, switch_cost: float = SWITCH_COST) -> np.ndarray:
    """Viterbi: ``(n_bins,)`` label per bin maximising ``sum gain[label, bin]``
    minus ``switch_cost`` per change of label. ``gain`` is ``(n_labels, n_bins)``."""
    k, n = gain.shape
    score = gain[:, 0].copy()
    back = np.zeros((n, k), dtype=np.int64)
    for t in range(1, n):
        best = int(np.argmax(score))
        switch = score[best] - switch_cost
        stay = score >= switch  # staying ties go to staying
        back[t] = np.where(stay, np.arange(k), best)
        score = np.where(stay, score, switch) + gain[:, t]
    labels = np.empty(n, dtype=np.int64)
    labels[-1] = int(np.argmax(score))
    for t in range(n - 1, 0, -1):
        labels[t - 1] = back[t, labels[t]]
    return labels


def split(
    seq: PoseSeq,
    specs: dict[str, ExerciseSpec],
    runs: dict[str, EngineRun] | None = None,
    body: Body | None = None,
) -> list[Segment]:
    """The recording's exercise segments, in time order (empty if no spec counted a rep, or
    none fits where reps were counted). ``runs`` (from :func:`recognise.run_all`, for the specs
    in ``specs``) and ``body`` (:func:`posture.analyse`) save measuring again."""
    runs = runs if runs is not None else run_all(seq, specs)
    body = body if body is not None else analyse(seq, needed_joints(specs))
    ids = [i for i in specs if i in runs]
    reps = {i: rep_evidence(i, seq, runs[i], specs[i], body) for i in ids}
    t0, t1 = float(seq.t_s[0]), float(seq.t_s[-1])
    n = int((t1 - t0) // BIN_S) + 1
    gain = np.zeros((len(ids), n))
    for k, i in enumerate(ids):
        for r in reps[i]:
            gain[k, min(n - 1, max(0, int((r.peak_s - t0) // BIN_S)))] += r.weight
    if not gain.any():
        return []
    labels = label_timeline(gain)
    stretches: list[list[int]] = []  # [label, first bin, last bin]
    for b, lab in enumerate(labels):
        if stretches and stretches[-1][0] == lab:
            stretches[-1][2] = b
        else:
            stretches.append([lab, b, b])
    pieces = []  # (exercise, its reps in the run, share of evidence)
    for lab, b0, b1 in stretches:
        mine = [r for r in reps[ids[lab]] if b0 <= int((r.peak_s - t0) // BIN_S) <= b1 and r.weight > 0]
        if not mine:
            continue
        # the stretch must pass the spec's own recognition check (posture, joints) on its frames
        lo, hi = min(r.start_s for r in mine) - READY_PAD_S, max(r.end_s for r in mine) + READY_PAD_S
        if body_fit(specs[ids[lab]], body.summary((seq.t_s >= lo) & (seq.t_s <= hi))).rejected:
            continue
        total = gain[:, b0 : b1 + 1].sum()
        pieces.append((ids[lab], mine, float(gain[lab, b0 : b1 + 1].sum() / total)))
    cuts = [t0]
    for (_, before, _), (_, after, _) in zip(pieces, pieces[1:], strict=False):
        end, start = max(r.end_s for r in before), min(r.start_s for r in after)
        # halfway between the two exercises' reps; where they overlap (a rep's start
        # is read late in the previous exercise), the earlier rep is kept whole,
        # up to the later exercise's first peak
        cut = max((end + start) / 2, end)
        cuts.append(min(cut, min(r.peak_s for r in after)))
    cuts.append(t1)
    return [
        Segment(
            ex,
            cuts[k],
            max(cuts[k], cuts[k + 1]),
            min(r.start_s for r in mine),
            max(r.end_s for r in mine),
            round(share, 3),
        )
        for k, (ex, mine, share) in enumerate(pieces)
    ]


def slice_seq(seq: PoseSeq, start_s: float, end_s: float) -> PoseSeq:
    """The frames of ``seq`` with ``start_s <= t_s <= end_s`` (times kept)."""
    m = (seq.t_s >= start_s) & (seq.t_s <= end_s)
    return PoseSeq(
        seq.t_s[m],
        seq.xy[m],
        seq.vis[m],
        seq.world[m],
        seq.width,
        seq.height,
        seq.fps,
        back=None if seq.back is None else seq.back[m],
        source=seq.source,
        meta=dict(seq.meta),
    )
