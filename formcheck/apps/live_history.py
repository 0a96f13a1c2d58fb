"""Live sessions in the history: the coach's session so far, recorded at its checkpoints.

    LiveHistory.attach(coach, hist, person="Ann", source="camera 0")

:class:`~formcheck.apps.live.LiveCoach` calls its ``on_checkpoint`` at New set,
Reset (before it clears), STOP, after a counted rep and when it closes. Each
checkpoint stores the session so far under one key, so the session is
replaced in place (same id) and a tab closed mid-set loses nothing. Reset
ends the session: the next checkpoint starts a new one. Sessions without a
counted rep are not recorded.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import replace
from typing import TYPE_CHECKING

from ..engine.analysis import AnalysisResult, FaultEvent, RepRecord
from ..engine.sets import group_sets
from ..media.video import VideoInfo
from ..results.history import History, HistoryError
from ..results.report import build_report

if TYPE_CHECKING:
    from .live import LiveCoach


def live_report(res: AnalysisResult, size_wh: tuple[int, int], source: str) -> dict:
    """A live session as a report (the ``report.json`` document).

    The engine numbers reps from 1 again after each New set; here they are
    numbered through the session, each fault follows its rep, and the sets are
    the New set runs (each split again by rest gaps, as in a recording).
    """
    runs: list[list[RepRecord]] = []
    for r in res.reps:
        if not runs or r.index <= runs[-1][-1].index:
            runs.append([])
        runs[-1].append(r)
    new_index: dict[int, int] = {}  # id(rep) -> session-wide index
    reps: list[RepRecord] = []
    for r in (r for run in runs for r in run):
        new_index[id(r)] = len(reps) + 1
        reps.append(r)
    faults = [_refer(f, reps, new_index) for f in res.faults]
    renumbered = [
        replace(r, index=new_index[id(r)], faults=sorted({f.id for f in faults if f.rep == new_index[id(r)]}))
        for r in reps
    ]
    fps = res.frames / res.duration_s if res.duration_s > 0 else 0.0
    info = VideoInfo(source, size_wh[0], size_wh[1], fps, res.frames, res.duration_s)
    report = build_report(replace(res, reps=renumbered, faults=faults), info, source)
    if len(runs) > 1:
        report["sets"] = _sets(runs, new_index)
        set_of = {i: s["index"] for s in report["sets"] for i in s["rep_indexes"]}
        for rep in report["reps"]:
            rep["set"] = set_of[rep["index"]]
    return report


def _refer(f: FaultEvent, reps: list[RepRecord], new_index: dict[int, int]) -> FaultEvent:
    """The fault with its rep number made session-wide: the rep of that (per-set) number whose
    time span holds the fault."""
    if f.rep is None:
        return f
    for r in reps:
        if r.index == f.rep and r.start_s - 1e-6 <= f.start_s and f.end_s <= r.end_s + 1e-6:
            return replace(f, rep=new_index[id(r)])
    return replace(f, rep=None)


def _sets(runs: list[list[RepRecord]], new_index: dict[int, int]) -> list[dict]:
    out: list[dict] = []
    for run in runs:
        for s in group_sets([(new_index[id(r)], r.start_s, r.end_s) for r in run]):
            d = s.to_dict()
            prev_end = out[-1]["end_s"] if out else None
            d["index"] = len(out) + 1
            d["rest_before_s"] = None if prev_end is None else round(d["start_s"] - prev_end, 1)
            out.append(d)
    return out


class LiveHistory:
    """Records one coach's sessions; set as the coach's ``on_checkpoint``."""

    def __init__(self, coach: LiveCoach, hist: History, person: str | None = None, source: str = "camera") -> None:
        self.coach = coach
        self.hist = hist
        self.person = person
        self.source = source
        self.session_id: int | None = None  # the session being recorded (None before its first rep)
        self.recorded: list[int] = []  # every session this coach recorded
        self.error: str | None = None  # the last history error (the page and the CLI show it)
        self.reps_seen = 0  # reps counted when the page last checked (a new rep is a checkpoint)
        self._new_session()
        coach.on_checkpoint = self

    @classmethod
    def attach(cls, coach: LiveCoach, hist: History, person: str | None = None, source: str = "camera") -> LiveHistory:
        """The coach's recorder (made once; the person can change between checkpoints)."""
        rec = coach.on_checkpoint
        if not isinstance(rec, LiveHistory) or rec.hist is not hist:
            rec = cls(coach, hist, person, source)
        rec.person = person
        return rec

    def _new_session(self) -> None:
        self.key = f"live:{uuid.uuid4().hex}"
        self.started_at: dt.datetime | None = None
        self.session_id = None

    def __call__(self, event: str) -> None:
        """A checkpoint: ``new_set``, ``rep``, ``stop``, ``reset`` or ``switch`` (the session ends: a
        reset, or another exercise recognised) or ``close``."""
        got = self.coach.analysis_so_far()
        if got is not None and got[0].reps:
            res, size = got
            if self.started_at is None:
                self.started_at = dt.datetime.now() - dt.timedelta(seconds=res.duration_s)
            try:
                self.session_id = self.hist.record(
                    live_report(res, size, self.source),
                    kind="live",
                    source=self.source,
                    person=self.person,
                    started_at=self.started_at,
                    key=self.key,
                )
                if self.session_id not in self.recorded:
                    self.recorded.append(self.session_id)
                self.error = None
            except HistoryError as e:
                self.error = str(e)
        if event in ("reset", "switch"):
            self._new_session()
            self.reps_seen = 0
