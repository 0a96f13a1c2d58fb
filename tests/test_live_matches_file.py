"""The live path is the file path's engine: on the same clip it counts within one of it,
even when the camera delivers frames late and the model drops some (issue: hindsight
must not split the engine)."""

from pathlib import Path

import numpy as np
import pytest

from formcheck.apps.live import LiveCoach
from formcheck.engine.landmarks import PoseSeq
from formcheck.engine.specs import get_spec
from formcheck.pipeline import analyze_seq

FIX = Path(__file__).resolve().parent / "fixtures" / "landmarks"
CLIPS = {
    "seated_cable_row": "seated_row",
    "lat_pulldown": "lat_pulldown",
    "bird_dog_side": "bird_dog",
    "cat_cow_side": "cat_cow",
    "rowing": "seated_row",
}


@pytest.mark.parametrize("stem", sorted(CLIPS))
@pytest.mark.parametrize("keep", [1.0, 0.6])
def test_live_counts_within_one_of_the_file_path(stem, keep):
    seq = PoseSeq.load(FIX / f"{stem}.npz")
    spec = get_spec(CLIPS[stem])
    file_count = len(analyze_seq(seq, spec).reps)
    rng = np.random.default_rng(7)
    coach = LiveCoach(spec)
    for f in seq.frames():
        if rng.random() < keep:  # the model falls behind: the newest frame wins, others are dropped
            coach.feed(f, (seq.width, seq.height))
    live = coach.snapshot().reps
    assert abs(live - file_count) <= 1, (stem, keep, live, file_count)
    if keep == 1.0:
        assert live == file_count  # every frame: the very same engine, the very same count
