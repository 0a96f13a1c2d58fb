"""The robustness suite: variant clips made right (the frames really are mirrored,
shrunk, tilted, cropped, trimmed, joined), and a short run with the real model."""

from pathlib import Path

import numpy as np
import pytest

from formcheck.engine.specs import get_spec
from formcheck.media.video import iter_frames, probe
from formcheck.results.evaluate import Label
from formcheck.results.variants import (
    VARIANTS,
    counted_on_upper_body,
    make,
    partners,
    run_suite,
    summarise_runs,
    trim_start,
)

ROOT = Path(__file__).resolve().parent.parent
CLIP = ROOT / "sample_videos" / "lat_pulldown.mp4"


def label(path=CLIP, ex="lat_pulldown", lo=1, hi=3, tops=(2.4, 6.4)):
    return Label(Path(path), ex, 2, lo, hi, tops=tuple(tops))


def test_which_exercises_can_be_cropped_to_the_upper_body():
    assert counted_on_upper_body(get_spec("pull_up")) and counted_on_upper_body(get_spec("reverse_fly"))
    assert not counted_on_upper_body(get_spec("hip_raise")) and not counted_on_upper_body(get_spec("bird_dog"))


def test_trim_starts_half_a_rep_before_the_first_top():
    assert trim_start(label(tops=(2.4, 6.4))) == pytest.approx(0.4)
    assert trim_start(label(tops=(0.9, 3.0))) is None  # already starts at the first rep
    assert trim_start(label(tops=(1.5,))) is None  # one rep: where its rest was is not known


def test_cut_partners_stay_within_an_exercise():
    a, b, c = label(Path("a.mp4")), label(Path("b.mp4")), label(Path("c.mp4"), ex="pull_up")
    p = partners([a, b, c])
    assert p[a.path] == b and p[b.path] == a and p[c.path] == c


def test_summary_counts_exact_and_within_one_per_variant_and_class():
    rows = [
        {"variant": "original", "counted": 3, "lo": 3, "hi": 3},
        {"variant": "tilt+10", "counted": 2, "lo": 3, "hi": 3},
        {"variant": "tilt-10", "counted": 5, "lo": 3, "hi": 3},
        {"variant": "mirror", "counted": None, "lo": 3, "hi": 3},
    ]
    s = summarise_runs(rows)
    assert s["original"] == {"runs": 1, "errors": 0, "exact": 1.0, "within_one": 1.0}
    assert s["class: camera tilt"] == {"runs": 2, "errors": 0, "exact": 0.0, "within_one": 0.5}
    assert s["mirror"]["errors"] == 1 and s["all variants"]["runs"] == 3


@pytest.mark.parametrize("variant", ["mirror", "small", "tilt+10", "upper", "trim", "cut"])
def test_variant_frames(tmp_path, variant):
    spec = get_spec("lat_pulldown")
    info = probe(CLIP)
    made = make(variant, label(), spec, tmp_path, crop_row=400)
    assert made is not None and made.path.exists()
    out = probe(made.path)
    first = next(iter_frames(CLIP))[1]
    got = next(iter_frames(made.path))[1]
    if variant == "mirror":
        assert np.mean(np.abs(got.astype(int) - first[:, ::-1].astype(int))) < 6  # H.264 noise only
    elif variant == "small":
        assert max(out.width, out.height) == 480 and out.fps == pytest.approx(15, abs=0.5)
    elif variant == "tilt+10":
        assert (out.width, out.height) == (info.width, info.height)
        assert np.mean(got[:20, :20]) < 10  # the rotated frame leaves black corners
    elif variant == "upper":
        assert (out.width, out.height) == (info.width, 400)
    elif variant == "trim":
        assert out.duration_s == pytest.approx(info.duration_s - 0.4, abs=0.1)
    elif variant == "cut":
        assert out.duration_s == pytest.approx(2 * info.duration_s, abs=0.15)
        assert (made.reps_lo, made.reps_hi) == (2, 6)


def test_unknown_variant_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="unknown variant"):
        run_suite([label()], ["upside-down"], tmp_path)
    assert set(VARIANTS) == {"mirror", "small", "tilt+10", "tilt-10", "upper", "trim", "cut"}


@pytest.mark.model
def test_a_short_suite_with_the_real_model_counts_within_one(tmp_path):
    rows = run_suite([label()], ["mirror", "small"], tmp_path)
    assert [r["variant"] for r in rows] == ["original", "mirror", "small"]
    assert all(r["lo"] - 1 <= r["counted"] <= r["hi"] + 1 for r in rows), rows


def test_the_upper_body_crop_keeps_what_the_count_needs():
    """Waist-up framing: below the hips, unless the counted hands hang lower (a row)."""
    from formcheck.engine.landmarks import Landmark, PoseSeq
    from formcheck.results.variants import upper_crop_row

    fix = ROOT / "tests" / "fixtures" / "landmarks"
    seq = PoseSeq.load(fix / "lat_pulldown.npz")
    row = upper_crop_row(seq, get_spec("lat_pulldown"))
    hips = np.nanmedian(seq.xy[:, [Landmark.LEFT_HIP, Landmark.RIGHT_HIP], 1])
    assert row is not None and hips < row < 0.95 * seq.height
    wrists = seq.xy[:, [Landmark.LEFT_WRIST, Landmark.RIGHT_WRIST], 1]
    pull = upper_crop_row(seq, get_spec("seated_row"))  # counted on the elbow: shoulders, elbows, wrists
    assert pull is None or pull >= np.nanpercentile(wrists, 98)
