"""Spoken coaching: what a live session says, and when (no I/O here).

Two parts, both pure and driven by the caller's clock (seconds, any origin):

* :class:`Announcer` turns the engine's frame states into :class:`Cue` events:
  the rep count when it rises ("three"), a fault when it starts (its cue up to
  the first colon: "Sit tall"), the set when the start position is first held
  in it ("set two"), and the seconds of a timed hold ("hold", "two", "three").
* :class:`CueScheduler` decides which of them are spoken: one at a time (each
  utterance keeps the voice busy for about as long as it takes to say), faults
  before sets before counts, each fault id at most once per cool-down, and no
  backlog: a cue still waiting a second after it happened is dropped, never
  queued, and a newer cue of the same kind replaces a waiting one.

The speakers are elsewhere: the browser's ``speechSynthesis`` (the page) and an
offline engine in the terminal (:mod:`formcheck.apps.speech`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

from ..engine.specs import ExerciseSpec, HoldFault

Kind = Literal["fault", "set", "count", "hold"]
PRIORITY: dict[str, int] = {"fault": 3, "set": 2, "count": 1, "hold": 1}
#: What the person can choose to hear: counts (with sets and holds), fault cues, or both.
SPOKEN: dict[str, frozenset[str]] = {
    "count": frozenset({"count", "set", "hold"}),
    "cues": frozenset({"fault"}),
    "both": frozenset({"count", "set", "hold", "fault"}),
}
MAX_AGE_S = 1.0  # a cue not begun within this of its moment is dropped
COOLDOWN_S = 10.0  # the same fault is spoken at most once in this long
HOLD_GAP_S = 0.3  # a hold survives the top being lost this briefly (landmark jitter)
MIN_HOLD_ANNOUNCED_S = 2.0  # shorter holds are not counted aloud

_ONES = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


def number_words(n: int) -> str:
    """``3 -> "three"``, ``42 -> "forty-two"``; 100 and above stay digits."""
    if 0 <= n < 20:
        return _ONES[n]
    if 20 <= n < 100:
        tens, ones = divmod(n, 10)
        return _TENS[tens] + (f"-{_ONES[ones]}" if ones else "")
    return str(n)


def spoken_cue(message: str) -> str:
    """A fault's message as said aloud: its first clause ("Sit tall: keep ..." -> "Sit tall")."""
    return message.split(":", 1)[0].strip()


def speech_s(text: str) -> float:
    """About how long a voice takes to say ``text`` at the normal rate (~14 characters a second)."""
    return 0.3 + len(text) / 14.0


@dataclass(frozen=True)
class Cue:
    """Something worth saying, ``t_s`` when it happened; ``key`` names it for the cool-down."""

    t_s: float
    kind: Kind
    text: str
    key: str = ""


@dataclass(frozen=True)
class Utterance:
    """A cue to say now: ``id`` rises by one per utterance, ``t_s`` is when it was released,
    ``late_s`` how long after its moment that was (a speaker adds its own delay to it and
    drops the utterance once it is more than a second old)."""

    id: int
    t_s: float
    kind: Kind
    text: str
    late_s: float = 0.0


@dataclass
class CueScheduler:
    """Cues in (:meth:`push`), utterances out (:meth:`due`), one at a time.

    ``kinds``: the kinds spoken at all (:data:`SPOKEN`); cues of other kinds are
    ignored, so they never keep the voice busy. An empty set is the voice off.
    """

    kinds: frozenset[str] = SPOKEN["both"]
    max_age_s: float = MAX_AGE_S
    cooldown_s: float = COOLDOWN_S
    next_id: int = 1
    busy_until: float = -math.inf
    _waiting: dict[str, Cue] = field(default_factory=dict)  # kind -> the newest cue of that kind
    _said: dict[str, float] = field(default_factory=dict)  # fault key -> when it was last spoken

    def push(self, cue: Cue) -> None:
        if cue.kind not in self.kinds:
            return
        if cue.kind == "fault" and self._cooling(cue.key, cue.t_s):
            return
        self._waiting[cue.kind] = cue  # a newer cue of a kind replaces the waiting one

    def _cooling(self, key: str, t_s: float) -> bool:
        last = self._said.get(key)
        return last is not None and t_s - last < self.cooldown_s

    def due(self, now_s: float) -> list[Utterance]:
        """What to say at ``now_s``: at most one utterance (none while the voice is busy)."""
        for kind, cue in list(self._waiting.items()):
            if now_s - cue.t_s > self.max_age_s or cue.kind not in self.kinds:
                del self._waiting[kind]  # too late to be useful: dropped, not queued
        if now_s < self.busy_until or not self._waiting:
            return []
        kind = max(self._waiting, key=lambda k: (PRIORITY[k], self._waiting[k].t_s))
        cue = self._waiting.pop(kind)
        if cue.kind == "fault":
            if self._cooling(cue.key, now_s):
                return self.due(now_s)
            self._said[cue.key] = now_s
        u = Utterance(self.next_id, now_s, cue.kind, cue.text, max(now_s - cue.t_s, 0.0))
        self.next_id += 1
        self.busy_until = now_s + speech_s(cue.text)
        return [u]

    def clear(self) -> None:
        """Forget what waits (the voice was switched off, or the session reset)."""
        self._waiting.clear()
        self.busy_until = -math.inf


class Announcer:
    """Cues from a stream of frame states of one exercise (see the module docstring).

    ``step`` takes, per frame: the time, the reps of this set, the fault ids open
    now, the current cue text, whether the rep is at its top (the counter's
    ``in_top``), whether the start position holds, and the set number.
    """

    def __init__(self, spec: ExerciseSpec) -> None:
        self._fault_of = {f.message: f.id for f in spec.faults}
        holds = [f.min_s for f in spec.faults if isinstance(f, HoldFault)]
        self.hold_target_s = max(holds) if holds else 0.0
        self._reps = 0
        self._open: frozenset[str] = frozenset()
        self._cue: str | None = None
        self._set = 0  # the last set announced
        self._set_now = 1
        self._hold_start: float | None = None
        self._hold_seen: float | None = None
        self._hold_said = 0

    def _fault_id(self, cue: str) -> str:
        for msg, fid in self._fault_of.items():
            if cue.startswith(msg):  # back faults add where on the back: "msg (upper back)"
                return fid
        return cue

    def _message(self, fid: str) -> str:
        return next((m for m, f in self._fault_of.items() if f == fid), fid)

    def step(
        self,
        t_s: float,
        reps: int,
        faults_now: list[str],
        cue: str | None,
        at_top: bool,
        ready: bool,
        set_number: int,
    ) -> list[Cue]:
        out: list[Cue] = []
        if set_number != self._set_now:  # a new set: counting starts again
            self._set_now, self._reps = set_number, 0
        if ready and self._set < set_number:
            self._set = set_number
            out.append(Cue(t_s, "set", f"set {number_words(set_number)}", "set"))
        opened = frozenset(faults_now) - self._open
        self._open = frozenset(faults_now)
        for fid in sorted(opened):
            out.append(Cue(t_s, "fault", spoken_cue(self._message(fid)), fid))
        if cue is not None and cue != self._cue:
            fid = self._fault_id(cue)
            if fid not in opened and fid not in self._open:  # a rep's fault (range, hold, ...), said once
                out.append(Cue(t_s, "fault", spoken_cue(cue), fid))
        self._cue = cue
        if reps > self._reps:
            out.append(Cue(t_s, "count", number_words(reps), "count"))
        self._reps = reps
        out.extend(self._hold(t_s, at_top))
        return out

    def _hold(self, t_s: float, at_top: bool) -> list[Cue]:
        if self.hold_target_s < MIN_HOLD_ANNOUNCED_S:
            return []
        if at_top:
            self._hold_seen = t_s
            if self._hold_start is None:
                self._hold_start, self._hold_said = t_s, 1
                return [Cue(t_s, "hold", "hold", "hold")]
            second = int(t_s - self._hold_start) + 1  # the second of the hold now under way
            if second > self._hold_said and second <= math.ceil(self.hold_target_s):
                self._hold_said = second
                return [Cue(t_s, "hold", number_words(second), "hold")]
        elif self._hold_seen is not None and t_s - self._hold_seen > HOLD_GAP_S:
            self._hold_start = self._hold_seen = None
        return []
