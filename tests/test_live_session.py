"""A live session survives what cameras and browsers do: the frame size changing
mid-set (WebRTC lowers it on a busy machine), another camera, STOP/START, late and
out-of-order frames. The count is never lost and never goes down."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from formcheck.apps.live import LiveCoach
from formcheck.apps.stream_clock import StreamClock
from formcheck.engine.landmarks import PoseFrame, PoseSeq
from formcheck.engine.specs import get_spec
from formcheck.pipeline import analyze_seq

FIX = Path(__file__).parent / "fixtures" / "landmarks"


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def looped(name: str, loops: int, speed: float = 1.0) -> PoseSeq:
    """A fixture clip played ``loops`` times end to end at ``speed`` (times keep rising)."""
    seq = PoseSeq.load(FIX / f"{name}.npz")
    ii = np.concatenate([np.arange(len(seq))] * loops)
    t = np.arange(len(ii)) / seq.fps / speed
    back = None if seq.back is None else seq.back[ii]
    return PoseSeq(t, seq.xy[ii], seq.vis[ii], seq.world[ii], seq.width, seq.height, seq.fps * speed, back=back)


def scaled(f: PoseFrame, k: float, shift: tuple[float, float] = (0.0, 0.0)) -> PoseFrame:
    back = None if f.back is None else f.back * k + np.asarray(shift, np.float32)
    return replace(f, xy=f.xy * k + np.asarray(shift, np.float32), back=back)


def run(coach: LiveCoach, frames, clock: FakeClock | None = None) -> list[int]:
    """Feed ``(frame, size)`` pairs; the shown count after each frame."""
    shown = []
    for f, size in frames:
        if clock is not None:
            clock.t = 1000.0 + f.t_s
        coach.feed(f, size)
        shown.append(coach.snapshot().reps)
    return shown


@pytest.fixture(scope="module")
def rowing():
    seq = looped("rowing", 3, speed=1.5)
    want = analyze_seq(seq, get_spec("seated_row"))
    return seq, want


def test_the_frame_size_changing_mid_set_keeps_the_count_and_the_faults(rowing):
    seq, want = rowing
    assert len(want.reps) >= 4
    w, h = seq.width, seq.height
    # full size, then half (the browser's encoder under load), then 3/4, then full again: each mid-rep
    sizes = [(1.0, (w, h)), (0.5, (w // 2, h // 2)), (0.75, (w * 3 // 4, h * 3 // 4)), (1.0, (w, h))]
    cuts = np.linspace(0, len(seq), len(sizes) + 1).astype(int)
    frames = []
    for (k, size), a, b in zip(sizes, cuts[:-1], cuts[1:], strict=True):
        frames += [(scaled(seq.frame(i), k), size) for i in range(a, b)]
    coach = LiveCoach(get_spec("seated_row"))
    shown = run(coach, frames)
    assert coach.resizes == 3
    assert shown == sorted(shown), "the shown count went down"
    got = coach.analysis_so_far()
    assert got is not None
    res, size = got
    assert size == (w, h)
    assert [round(r.peak_s, 2) for r in res.reps] == [round(r.peak_s, 2) for r in want.reps]
    assert sorted({f.id for f in res.faults}) == sorted({f.id for f in want.faults})
    cuts_seen = [round(wn.start_s, 1) for wn in res.warnings if wn.id == "cut"]
    assert cuts_seen == [round(wn.start_s, 1) for wn in want.warnings if wn.id == "cut"]  # a resize is not an edit


def test_another_camera_mid_session_keeps_what_was_counted(rowing):
    seq, want = rowing
    half = len(seq) // 2
    before = [(seq.frame(i), (seq.width, seq.height)) for i in range(half)]
    # a portrait camera elsewhere in the room: other size, other framing
    after = [(scaled(seq.frame(i), 0.5, (40.0, 300.0)), (480, 854)) for i in range(half, len(seq))]
    coach = LiveCoach(get_spec("seated_row"))
    shown = run(coach, before)
    counted_before = shown[-1]
    assert counted_before >= 2
    shown += run(coach, after)
    assert shown == sorted(shown)
    assert shown[-1] > counted_before  # counting goes on with the new camera


def test_stop_start_and_a_new_stream_clock_keep_the_session(rowing):
    """STOP, a pause, START: the new stream's times start anywhere (RTP); the session goes on
    after a pause as long as the real one, and the count carries on."""
    seq, _ = rowing
    clock = FakeClock()
    coach = LiveCoach(get_spec("seated_row"), clock=clock)
    n = len(seq) // 2
    shown = run(coach, [(seq.frame(i), (seq.width, seq.height)) for i in range(n)], clock)
    t_stop = coach._timeline.now_s
    clock.t += 20.0  # paused for 20 s
    restart = 51234.5 - float(seq.t_s[n])  # the new stream's media times
    for i in range(n, len(seq)):
        f = seq.frame(i)
        clock.t = 1000.0 + f.t_s + 20.0
        coach.feed(replace(f, t_s=f.t_s + restart), (seq.width, seq.height))
        shown.append(coach.snapshot().reps)
    assert coach._timeline.restarts == 1
    assert coach._timeline.now_s == pytest.approx(t_stop + 20.0 + (seq.t_s[-1] - seq.t_s[n]), abs=0.1)
    assert shown == sorted(shown)
    assert shown[-1] > shown[n - 1] >= 2


def test_late_and_out_of_order_frames_are_dropped_and_counting_holds(rowing):
    seq, want = rowing
    order = list(range(len(seq)))
    rng = np.random.default_rng(3)
    for i in rng.choice(np.arange(10, len(seq) - 10), 25, replace=False):  # 25 neighbours swapped
        order[i], order[i + 1] = order[i + 1], order[i]
    order[200:200] = [190, 195]  # two stragglers from a few frames back
    coach = LiveCoach(get_spec("seated_row"))
    shown = run(coach, [(seq.frame(i), (seq.width, seq.height)) for i in order])
    assert coach._timeline.dropped >= 25
    assert shown == sorted(shown)
    assert shown[-1] == len(want.reps)


def test_reset_is_the_only_thing_that_starts_the_count_again(rowing):
    seq, _ = rowing
    coach = LiveCoach(get_spec("seated_row"))
    run(coach, [(seq.frame(i), (seq.width, seq.height)) for i in range(len(seq) // 2)])
    assert coach.snapshot().reps >= 2
    coach.reset()
    assert coach.snapshot().reps == 0


# ------------------------------------------------------------------ the timeline
def test_stream_clock_rises_drops_late_frames_and_joins_new_streams():
    clock = FakeClock()
    sc = StreamClock(late_s=1.0, jump_s=2.0, clock=clock)
    assert sc(40000.0) == 0.0  # starts at zero wherever the media clock starts
    clock.t += 0.033
    assert sc(40000.033) == pytest.approx(0.033)
    assert sc(40000.033) is None  # repeated
    assert sc(40000.010) is None  # late, out of order
    clock.t += 0.033
    assert sc(40000.066) == pytest.approx(0.066)
    clock.t += 5.0  # STOP ... START: a new stream whose times start elsewhere
    assert sc(12.0) == pytest.approx(5.066)
    clock.t += 0.033
    assert sc(12.033) == pytest.approx(5.099)
    clock.t += 0.01
    assert sc(99999.0) == pytest.approx(5.109)  # a jump far ahead of the wall clock: another new stream
    assert (sc.dropped, sc.restarts) == (2, 2)


def test_stream_clock_keeps_media_time_when_frames_come_in_bursts():
    clock = FakeClock()
    sc = StreamClock(clock=clock)
    ts = [sc(i / 30) for i in range(90)]  # delivered all at once (a stall, or a file fed fast)
    assert ts == pytest.approx([i / 30 for i in range(90)])


def test_the_coach_speaks_counts_and_a_fault_cue(rowing):
    seq, want = rowing
    coach = LiveCoach(get_spec("seated_row"))
    heard: list[str] = []
    coach.on_utterance = lambda u: heard.append(u.text)
    run(coach, [(seq.frame(i), (seq.width, seq.height)) for i in range(len(seq))])
    words = ["one", "two", "three", "four", "five", "six", "seven"]
    counts = [words.index(w) for w in heard if w in words]
    # every rep of this clip has a fault: the fault is said first and a count that would come
    # more than a second late is dropped, so the counts heard rise but skip
    assert counts and counts == sorted(set(counts))
    assert "Pause at your stomach for about two counts" in heard
    assert heard.count("Pause at your stomach for about two counts") <= 2  # once per cool-down
    assert heard[0] == "set one"
    assert [u.text for u, _ in coach.utterances()] == heard[-8:]
