"""`auto` live: the exercise recognised from a sliding window of the movement, switched when
the person changes exercise, pinned when they say so, and "none of them" said plainly."""

from __future__ import annotations

from dataclasses import replace

import pytest
from test_live_session import looped

from formcheck.apps.live import LiveCoach
from formcheck.apps.live_auto import LiveRecogniser
from formcheck.engine.specs import load_specs
from formcheck.pipeline import NONE_OF_THEM


@pytest.fixture(scope="module")
def specs():
    return load_specs()


def joined(*parts, loops: int = 3):
    """Fixture clips played one after the other (each looped), as (frame, size) pairs."""
    out, t0 = [], 0.0
    for name in parts:
        seq = looped(name, loops)
        out += [(replace(seq.frame(i), t_s=float(seq.t_s[i]) + t0), (seq.width, seq.height)) for i in range(len(seq))]
        t0 += float(seq.t_s[-1]) + 0.04
    return out


def run(coach, frames):
    seen = []
    for f, size in frames:
        coach.feed(f, size)
        s = coach.snapshot()
        seen.append((f.t_s, s.exercise, s.reps))
    return seen


def test_auto_recognises_the_exercise_counts_it_and_switches_when_it_changes(specs):
    rec = LiveRecogniser(specs, background=False)  # recognition in the frame loop: the same answer every run
    coach = LiveCoach(None, recogniser=rec)
    seen = run(coach, joined("rowing", "lat_pulldown"))
    order = [ex for i, (_, ex, _) in enumerate(seen) if i == 0 or ex != seen[i - 1][1]]
    assert order == ["auto", "seated_row", "lat_pulldown"]
    first = next(t for t, ex, _ in seen if ex == "seated_row")
    assert first < 10.0  # recognised within the first window
    rows = [n for _, ex, n in seen if ex == "seated_row"]
    assert rows == sorted(rows) and rows[0] >= 1  # the recognised window's reps count at once
    s = coach.snapshot()
    assert s.done == [("seated_row", rows[-1])] and rows[-1] >= 5
    pulls = [n for _, ex, n in seen if ex == "lat_pulldown"]
    assert pulls == sorted(pulls) and pulls[-1] >= 3
    assert s.guess is not None and s.guess[0] == "lat_pulldown" and s.guess[1] >= 0.5


def test_a_pinned_exercise_is_kept_whatever_recognition_says(specs):
    rec = LiveRecogniser(specs, background=False)
    coach = LiveCoach(None, recogniser=rec)
    rec.pin("seated_row")
    seen = run(coach, joined("rowing", "lat_pulldown", loops=2))
    assert {ex for _, ex, _ in seen[1:]} == {"seated_row"}
    s = coach.snapshot()
    assert s.pinned == "seated_row" and s.guess is not None and s.guess[0] == "lat_pulldown"


def test_a_movement_like_none_of_the_exercises_is_said_plainly(specs):
    rec = LiveRecogniser(specs, background=False)
    coach = LiveCoach(None, recogniser=rec)
    seen = run(coach, joined("pull_up_attempt", loops=2))
    assert {ex for _, ex, _ in seen} == {"auto"}
    s = coach.snapshot()
    assert s.guess == (None, 0.0)
    assert s.guidance is not None and NONE_OF_THEM in s.guidance
