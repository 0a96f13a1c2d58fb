"""Sets in a long recording: reps grouped by the rest gaps between them.

Reps inside a set follow each other within seconds (even a 10 s hold ends
a few seconds before the next rep starts); the rest between sets is usually
30 s or more. A gap of ``SET_GAP_S`` between one rep's end and the next
one's start therefore starts a new set.
"""

from __future__ import annotations

from dataclasses import dataclass

SET_GAP_S = 15.0


@dataclass(frozen=True)
class SetRecord:
    index: int
    reps: list[int]  # rep indexes
    start_s: float
    end_s: float
    rest_before_s: float | None  # rest since the previous set ended

    def to_dict(self) -> dict:
        return {
            "index": self.index,
            "reps": len(self.reps),
            "rep_indexes": self.reps,
            "start_s": round(self.start_s, 3),
            "end_s": round(self.end_s, 3),
            "rest_before_s": None if self.rest_before_s is None else round(self.rest_before_s, 1),
        }


def group_sets(reps: list[tuple[int, float, float]], gap_s: float = SET_GAP_S) -> list[SetRecord]:
    """``reps`` as ``(index, start_s, end_s)`` in time order -> sets."""
    sets: list[SetRecord] = []
    cur: list[tuple[int, float, float]] = []
    for r in reps:
        if cur and r[1] - cur[-1][2] >= gap_s:
            sets.append(_close(cur, len(sets) + 1, sets[-1].end_s if sets else None))
            cur = []
        cur.append(r)
    if cur:
        sets.append(_close(cur, len(sets) + 1, sets[-1].end_s if sets else None))
    return sets


def _close(cur: list[tuple[int, float, float]], index: int, prev_end: float | None) -> SetRecord:
    start, end = cur[0][1], cur[-1][2]
    return SetRecord(index, [r[0] for r in cur], start, end, None if prev_end is None else start - prev_end)
