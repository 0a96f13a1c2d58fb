"""The spoken-cue rules: events in, utterances out (formcheck.apps.cues)."""

from __future__ import annotations

import pytest

from formcheck.apps.cues import (
    SPOKEN,
    Announcer,
    Cue,
    CueScheduler,
    number_words,
    speech_s,
    spoken_cue,
)
from formcheck.engine.specs import get_spec


def said(s: CueScheduler, now: float) -> list[str]:
    return [u.text for u in s.due(now)]


def test_words():
    assert [number_words(n) for n in (1, 3, 12, 20, 42, 99, 100)] == [
        "one",
        "three",
        "twelve",
        "twenty",
        "forty-two",
        "ninety-nine",
        "100",
    ]
    assert spoken_cue("Sit tall: keep your back straight, not rounded") == "Sit tall"
    assert spoken_cue("Pause at your stomach for about two counts") == "Pause at your stomach for about two counts"


def test_a_fault_is_said_once_per_cool_down():
    s = CueScheduler(cooldown_s=10.0)
    s.push(Cue(0.0, "fault", "Sit tall", "back_not_flat"))
    assert said(s, 0.0) == ["Sit tall"]
    for t in (3.0, 6.0, 9.9):  # the same fault starting again within the cool-down: quiet
        s.push(Cue(t, "fault", "Sit tall", "back_not_flat"))
        assert said(s, t) == []
    s.push(Cue(5.0, "fault", "Don't lean back", "leaning_back"))  # another fault is its own
    assert said(s, 5.0) == ["Don't lean back"]
    s.push(Cue(10.5, "fault", "Sit tall", "back_not_flat"))
    assert said(s, 10.5) == ["Sit tall"]


def test_faults_go_before_counts():
    s = CueScheduler()
    s.push(Cue(0.0, "count", "three", "count"))
    s.push(Cue(0.0, "fault", "Sit tall", "back_not_flat"))
    s.push(Cue(0.0, "set", "set two", "set"))
    assert said(s, 0.0) == ["Sit tall"]
    # the voice is busy for as long as "Sit tall" takes; then the set; the count is too old by then
    assert said(s, 0.1) == []
    t = speech_s("Sit tall")
    assert said(s, t) == ["set two"]
    assert said(s, t + speech_s("set two")) == []  # "three" was more than a second old: dropped


def test_no_backlog_a_cue_older_than_a_second_is_dropped_not_queued():
    s = CueScheduler(max_age_s=1.0)
    s.push(Cue(0.0, "fault", "Point your elbows straight back", "elbows_flared"))
    assert said(s, 0.0) == ["Point your elbows straight back"]  # busy for ~2.5 s
    s.push(Cue(0.5, "count", "one", "count"))
    s.push(Cue(1.2, "count", "two", "count"))  # replaces "one": only the newest count waits
    assert said(s, 2.0) == []
    assert said(s, 2.6) == []  # free now, but "two" happened 1.4 s ago: dropped
    s.push(Cue(3.0, "count", "three", "count"))
    assert said(s, 3.5) == ["three"]  # half a second late is fine


def test_only_the_chosen_kinds_are_spoken_and_off_is_silent():
    s = CueScheduler(kinds=SPOKEN["count"])
    s.push(Cue(0.0, "fault", "Sit tall", "back_not_flat"))
    s.push(Cue(0.0, "count", "one", "count"))
    assert said(s, 0.0) == ["one"]
    s = CueScheduler(kinds=SPOKEN["cues"])
    s.push(Cue(0.0, "count", "one", "count"))
    s.push(Cue(0.0, "fault", "Sit tall", "back_not_flat"))
    assert said(s, 0.0) == ["Sit tall"]
    s = CueScheduler(kinds=frozenset())
    s.push(Cue(0.0, "count", "one", "count"))
    assert said(s, 0.0) == []


def test_utterance_ids_rise():
    s = CueScheduler()
    ids = []
    for k in range(5):
        s.push(Cue(k * 3.0, "count", number_words(k + 1), "count"))
        ids += [u.id for u in s.due(k * 3.0)]
    assert ids == [1, 2, 3, 4, 5]


# --------------------------------------------------------------- the announcer
def step(a: Announcer, t, reps=0, faults=(), cue=None, top=False, ready=True, set_number=1) -> list[tuple[str, str]]:
    return [(c.kind, c.text) for c in a.step(t, reps, list(faults), cue, top, ready, set_number)]


def test_announcer_counts_sets_and_faults_when_they_start():
    a = Announcer(get_spec("seated_row"))
    assert step(a, 0.0, ready=False) == []
    assert step(a, 0.1) == [("set", "set one")]
    assert step(a, 0.2) == []
    msg = get_spec("seated_row").faults[0].message
    fid = get_spec("seated_row").faults[0].id
    assert step(a, 1.0, faults=[fid], cue=msg) == [("fault", spoken_cue(msg))]
    assert step(a, 1.1, faults=[fid], cue=msg) == []  # still open: said once
    assert step(a, 2.0, reps=1, cue=msg) == [("count", "one")]
    # a rep's fault (no pause at the top) shows as a new cue without an open fault
    hold = next(f for f in get_spec("seated_row").faults if f.id == "no_hold")
    assert step(a, 4.0, reps=2, cue=hold.message) == [("fault", spoken_cue(hold.message)), ("count", "two")]
    assert step(a, 5.0, reps=0, set_number=2) == [("set", "set two")]  # New set
    assert step(a, 6.0, reps=1, set_number=2) == [("count", "one")]


def test_announcer_counts_a_timed_hold_aloud():
    a = Announcer(get_spec("superman"))  # a 4 s hold
    assert a.hold_target_s == pytest.approx(4.0)
    step(a, 0.0)
    words = []
    t = 1.0
    while t < 6.0:
        words += [w for k, w in step(a, t, top=t < 5.2) if k == "hold"]
        t += 0.1
    assert words == ["hold", "two", "three", "four"]
    # a short hold (a row's 1 s pause) is not counted aloud
    assert Announcer(get_spec("seated_row")).hold_target_s < 2.0
    b = Announcer(get_spec("seated_row"))
    assert all(k != "hold" for t in range(30) for k, _ in step(b, t / 10, top=True))
