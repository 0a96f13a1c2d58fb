"""Splitting a recording with several exercises: real clips joined end to end."""

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from formcheck.apps.cli import app
from formcheck.engine.landmarks import PoseSeq
from formcheck.engine.segment import label_timeline, slice_seq, split
from formcheck.engine.specs import get_spec, load_specs
from formcheck.pipeline import analyze_segments, analyze_seq

ROOT = Path(__file__).resolve().parent.parent
FIX = ROOT / "tests" / "fixtures" / "landmarks"
LABELS = {
    Path(r["path"]).stem: r for r in csv.DictReader((ROOT / "sample_videos" / "labels.csv").read_text().splitlines())
}


def joined(*stems: str, gap_s: float = 1.0) -> PoseSeq:
    """Clips of one size played one after the other (a cut between them)."""
    seqs = [PoseSeq.load(FIX / f"{s}.npz") for s in stems]
    assert len({(s.width, s.height) for s in seqs}) == 1
    t, off = [], 0.0
    for s in seqs:
        t.append(s.t_s - s.t_s[0] + off)
        off = t[-1][-1] + gap_s
    width = max(s.back.shape[1] for s in seqs)
    back = [np.pad(s.back, ((0, 0), (0, width - s.back.shape[1]), (0, 0)), constant_values=np.nan) for s in seqs]
    s0 = seqs[0]
    return PoseSeq(
        np.concatenate(t),
        np.concatenate([s.xy for s in seqs]),
        np.concatenate([s.vis for s in seqs]),
        np.concatenate([s.world for s in seqs]),
        s0.width,
        s0.height,
        s0.fps,
        back=np.concatenate(back),
    )


def test_timeline_labels_pay_for_each_switch():
    # two specs; spec 0 has evidence early, spec 1 late; a lone stray bin of spec 1 early
    gain = np.zeros((2, 12))
    gain[0, [1, 3, 5]] = 1.0
    gain[1, 4] = 0.8  # a stray rep: switching there and back costs 2, gains 0.8
    gain[1, [8, 10]] = 1.0
    labels = label_timeline(gain, switch_cost=1.0)
    assert list(labels[:6]) == [0] * 6 and list(labels[7:]) == [1] * 5
    # a spec with weaker but more evidence everywhere does not beat two better-fitting ones
    gain2 = np.vstack([gain, np.where(gain.sum(0) > 0, 0.6, 0.0)])
    assert set(label_timeline(gain2, 1.0)[[1, 3, 5, 8, 10]]) == {0, 1}
    # with a switch cost over the whole gain of spec 1, everything stays one label
    assert len(set(label_timeline(gain, switch_cost=5.0))) == 1


@pytest.mark.parametrize("stem", sorted(LABELS))
def test_one_exercise_clips_are_not_split(stem):
    assert len(split(PoseSeq.load(FIX / f"{stem}.npz"), load_specs())) <= 1


@pytest.mark.parametrize(
    "stems,expected",
    [
        (("bird_dog_side", "cat_cow_side"), ["bird_dog", "cat_cow"]),
        (("cat_cow_side", "bird_dog_side"), ["cat_cow", "bird_dog"]),
        (("bird_dog_side", "cat_cow_side", "bird_dog_side"), ["bird_dog", "cat_cow", "bird_dog"]),
        (("seated_cable_row", "lat_pulldown"), ["seated_row", "lat_pulldown"]),
    ],
)
def test_joined_clips_split_into_their_exercises(stems, expected):
    seq = joined(*stems)
    parts = analyze_segments(seq, load_specs())
    assert [seg.exercise for seg, _, _ in parts] == expected
    # segments tile the recording, in order
    assert parts[0][0].start_s == seq.t_s[0] and parts[-1][0].end_s == seq.t_s[-1]
    for (a, _, _), (b, _, _) in zip(parts, parts[1:], strict=False):
        assert a.end_s == b.start_s and a.reps_end_s <= b.reps_start_s + 3.0
    # each segment counts what its clip counts alone (within the clip's label tolerance)
    for (seg, spec, res), stem in zip(parts, stems, strict=True):
        alone = analyze_seq(PoseSeq.load(FIX / f"{stem}.npz"), get_spec(spec.id))
        assert abs(len(res.reps) - len(alone.reps)) <= int(LABELS[stem]["tolerance"])
        assert all(seg.start_s <= r.start_s and r.end_s <= seg.end_s for r in res.reps)
        assert 0.3 < seg.confidence <= 1.0


def test_slice_keeps_times_and_back():
    seq = PoseSeq.load(FIX / "bird_dog_side.npz")
    part = slice_seq(seq, 2.0, 5.0)
    assert part.t_s[0] >= 2.0 and part.t_s[-1] <= 5.0 and len(part) == np.count_nonzero((seq.t_s >= 2) & (seq.t_s <= 5))
    assert part.back is not None and part.back.shape[0] == len(part)


def test_analyze_auto_writes_one_report_per_segment(tmp_path):
    npz = tmp_path / "floor_routine.npz"
    joined("bird_dog_side", "cat_cow_side").save(npz)
    r = CliRunner().invoke(app, ["analyze", str(npz), "-e", "auto", "-o", str(tmp_path / "out"), "--no-progress"])
    assert r.exit_code == 0, r.output
    summary = json.loads((tmp_path / "out" / "floor_routine.segments.json").read_text())
    segs = summary["segments"]
    assert [s["exercise"] for s in segs] == ["bird_dog", "cat_cow"]
    for s in segs:
        rep = json.loads((tmp_path / "out" / s["report"]).read_text())
        assert rep["exercise"] == s["exercise"] and rep["rep_count"] == s["rep_count"] >= 1
        assert s["faults"] == {} or set(s["faults"]) <= {f["id"] for f in rep["faults"]}
        assert rep["segment"]["index"] == s["index"] and rep["segment"]["of"] == 2
        assert all(s["start_s"] - 0.01 <= x["start_s"] <= s["end_s"] for x in rep["reps"])
        assert (tmp_path / "out" / s["reps_csv"]).exists()
    assert not (tmp_path / "out" / "floor_routine.report.json").exists()


def test_annotated_video_of_a_split_recording(tmp_path):
    """The two real clips joined into one small video; each segment drawn with its own spec."""
    from dataclasses import replace

    from formcheck.media.video import VideoWriter, iter_frames, probe
    from formcheck.pipeline import annotate_segments

    side = 320
    video = tmp_path / "floor_routine.mp4"
    seq = joined("bird_dog_side", "cat_cow_side", gap_s=1 / 30)
    scale = side / max(seq.width, seq.height)
    with VideoWriter(video, (round(seq.width * scale / 2) * 2, side), 30.0) as w:
        off = 0.0
        for stem in ("bird_dog_side", "cat_cow_side"):
            t = 0.0
            for t, rgb in iter_frames(ROOT / "sample_videos" / f"{stem}.mp4", max_side=side):
                w.write(off + t, rgb)
            off += t + 1 / 30
    info = probe(video)
    small = replace(
        seq, xy=seq.xy * scale, back=seq.back * scale, width=info.width, height=info.height
    )  # the same landmarks in the small video's pixels
    parts = analyze_segments(small, load_specs())
    assert [s.exercise for s, _, _ in parts] == ["bird_dog", "cat_cow"]
    out = tmp_path / "floor_routine.annotated.mp4"
    annotate_segments(video, small, [(s, spec) for s, spec, _ in parts], out)
    ann = probe(out)
    assert (ann.width, ann.height) == (info.width, info.height) and ann.frames == len(small) == info.frames
