"""The mediapipe adapter: the shipped model, bad model files, the shrunk-frame mask,
following the exerciser, and quiet start-up (runs the real model)."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import zipfile
from itertools import islice
from pathlib import Path

import numpy as np
import pytest

from formcheck.media.pose import DEFAULT_MODEL, ModelUnavailable, PoseEstimator, check_model
from formcheck.media.video import iter_frames

ROOT = Path(__file__).resolve().parent.parent
CLIP = ROOT / "sample_videos" / "seated_cable_row.mp4"


def test_shipped_model_matches_its_recorded_sha256():
    want = (DEFAULT_MODEL.parent / (DEFAULT_MODEL.name + ".sha256")).read_text().split()[0]
    assert hashlib.sha256(DEFAULT_MODEL.read_bytes()).hexdigest() == want
    assert check_model() == DEFAULT_MODEL
    assert (DEFAULT_MODEL.parent / "LICENSE").read_text().lstrip().startswith("Apache License")
    assert "mediapipe==0.10.21" in (DEFAULT_MODEL.parent / "NOTICE").read_text()


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (None, "no such model file"),
        (b"not a zip", "not a MediaPipe .task model"),
        ({"pose_detector.tflite": b"xxxxTFL3"}, "not a pose-landmarker bundle"),
        ({"pose_detector.tflite": b"xxxxTFL3", "pose_landmarks_detector.tflite": b"garbage!"}, "not a TFLite model"),
    ],
)
def test_a_missing_or_broken_model_is_one_clear_line(tmp_path, content, words):
    p = tmp_path / "mine.task"
    if isinstance(content, bytes):
        p.write_bytes(content)
    elif isinstance(content, dict):
        with zipfile.ZipFile(p, "w") as z:
            for name, data in content.items():
                z.writestr(name, data)
    with pytest.raises(ModelUnavailable, match=words) as e:
        check_model(p)
    assert "\n" not in str(e.value)


def test_a_bundle_that_fails_to_load_in_mediapipe_is_a_clear_error(tmp_path):
    p = tmp_path / "broken.task"
    with zipfile.ZipFile(p, "w") as z:  # right names and magic, truncated models
        for name in ("pose_detector.tflite", "pose_landmarks_detector.tflite"):
            z.writestr(name, b"\x1c\x00\x00\x00TFL3" + b"\x00" * 64)
    with pytest.raises(ModelUnavailable, match="does not load"):
        with PoseEstimator(p):
            pass


def test_estimator_refuses_use_outside_its_block():
    est = PoseEstimator()
    with pytest.raises(RuntimeError, match="outside its with-block"):
        est.process(0.0, np.zeros((8, 8, 3), np.uint8))


@pytest.mark.model
def test_mask_on_a_shrunk_frame_keeps_the_landmarks_and_traces_the_same_back():
    """With a mask the model sees a smaller frame; landmarks stay in full-frame pixels
    and agree with the unshrunk run to within a few pixels."""
    frames = list(islice(iter_frames(CLIP), 40))
    with PoseEstimator(segmentation=False, crowd=False) as est:
        plain = [est.process(t, rgb)[0] for t, rgb in frames]
    with PoseEstimator(segmentation=True, crowd=False) as est:
        masked = [est.process(t, rgb) for t, rgb in frames]
    h, w = frames[0][1].shape[:2]
    shrunk = [m.shape for _, m in masked[5:] if m is not None]
    assert shrunk and all(s[1] < w and abs(s[0] / s[1] - h / w) < 0.01 for s in shrunk)
    err = np.concatenate([np.linalg.norm(a.xy - b.xy, axis=1) for a, (b, _) in zip(plain, masked, strict=True)])
    assert np.nanmedian(err) < 0.01 * np.hypot(w, h)


@pytest.mark.model
def test_timestamps_that_repeat_or_go_back_do_not_stop_the_tracker():
    frames = list(islice(iter_frames(CLIP), 6))
    with PoseEstimator() as est:
        out = [est.process(t, rgb)[0] for t, rgb in frames]
        again = est.process(frames[0][0], frames[0][1])[0]  # an earlier time: nudged forward
    assert all(f.has_person for f in out) and again.has_person


@pytest.mark.model
def test_nothing_from_mediapipe_reaches_the_terminal():
    code = (
        "from itertools import islice; from formcheck.pipeline import PoseOptions, pose_stream;"
        f"[None for _ in islice(pose_stream({str(CLIP)!r}, PoseOptions(), True), 5)]"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stderr.strip() == "" and r.stdout.strip() == ""


@pytest.mark.model
@pytest.mark.parametrize("segmentation", [True, False])
def test_the_pipelined_stream_gives_what_one_frame_at_a_time_gives(segmentation):
    """pose_frames prepares frames on the decoder's thread and runs the model on its
    own: the landmarks, the shrink (decided SHRINK_LAG frames back) and the back
    trace are exactly those of pose_frame called frame by frame."""
    from formcheck.pipeline import pose_frame, pose_frames

    frames = list(islice(iter_frames(CLIP), 30))
    with PoseEstimator(segmentation=segmentation, crowd=False) as est:
        one = [pose_frame(est, t, rgb) for t, rgb in frames]
    with PoseEstimator(segmentation=segmentation, crowd=False) as est:
        piped = [f for _, f in pose_frames(est, iter(frames))]
    assert len(piped) == len(one) and all(f.has_person for f in piped)
    for a, b in zip(one, piped, strict=True):
        assert a.t_s == b.t_s
        np.testing.assert_array_equal(a.xy, b.xy)
        if segmentation:
            assert b.back is not None
            np.testing.assert_array_equal(a.back, b.back)
        else:
            assert b.back is None


@pytest.mark.model
def test_stopping_a_pipelined_stream_early_stops_its_threads():
    import threading

    from formcheck.pipeline import pose_frames

    frames = list(islice(iter_frames(CLIP), 20))
    before = threading.active_count()
    with PoseEstimator(segmentation=True, crowd=False) as est:
        stream = pose_frames(est, iter(frames))
        got = list(islice(stream, 3))
        stream.close()  # the consumer leaves with the decoder ahead and a prepare waiting
    assert len(got) == 3
    assert threading.active_count() == before


@pytest.mark.model
def test_a_frame_that_fails_does_not_hold_up_the_frames_after_it():
    """The live page feeds one frame at a time and goes on after a frame that raised;
    with the mask on, each frame's shrink waits for the frame SHRINK_LAG back to be
    done, so a failed frame must still count as done."""
    import threading

    frames = list(islice(iter_frames(CLIP), 12))
    out: list = []
    with PoseEstimator(segmentation=True, crowd=False) as est:
        real = est._look_for_people
        fail = iter([True] * 5)

        def flaky(t_s, rgb):
            if next(fail, False):
                raise RuntimeError("a frame that fails")
            return real(t_s, rgb)

        est._look_for_people = flaky  # type: ignore[method-assign]

        def feed() -> None:
            for t, rgb in frames:
                try:
                    out.append(est.process(t, rgb)[0])
                except RuntimeError:
                    out.append(None)

        th = threading.Thread(target=feed, daemon=True)
        th.start()
        th.join(timeout=60)
        assert not th.is_alive(), "the frames after the failed ones never got through"
    assert out[:5] == [None] * 5
    assert len(out) == 12 and all(f is not None and f.has_person for f in out[5:])


@pytest.mark.model
def test_a_restart_frame_with_others_blanked_is_shrunk_like_the_rest():
    """When the tracker restarts on the exerciser, the others' boxes are blanked out of
    that frame, which is then shrunk and wrapped again: its mask has the shrunk size
    and its landmarks stay in full-frame pixels, on the same person."""
    frames = list(islice(iter_frames(CLIP), 12))
    with PoseEstimator(segmentation=True, crowd=False) as est:
        for t, rgb in frames[:-1]:
            before, mask_before = est.process(t, rgb)
        assert mask_before is not None and mask_before.shape[1] < frames[0][1].shape[1]
        est._blank = [(0.0, 0.0, 0.05, 0.05)]  # a corner, away from the person
        t, rgb = frames[-1]
        after, mask = est.process(t, rgb)
    assert est._blank == []
    assert mask is not None and mask.shape == mask_before.shape
    h, w = rgb.shape[:2]
    assert np.nanmedian(np.linalg.norm(after.xy - before.xy, axis=1)) < 0.02 * np.hypot(w, h)
