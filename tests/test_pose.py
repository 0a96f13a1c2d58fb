"""The mediapipe adapter: thread setting and bad arguments (runs the real model)."""

from __future__ import annotations

from itertools import islice
from pathlib import Path

import numpy as np
import pytest

from formcheck.media.pose import PoseEstimator
from formcheck.media.video import iter_frames

CLIP = Path(__file__).resolve().parent.parent / "sample_videos" / "seated_cable_row.mp4"


@pytest.mark.model
def test_more_inference_threads_give_the_same_landmarks_and_mask():
    frames = list(islice(iter_frames(CLIP), 12))
    out = {}
    for threads in (1, 2):
        with PoseEstimator(segmentation=True, threads=threads) as est:
            out[threads] = [est.process(t, rgb) for t, rgb in frames]
    for (f1, m1), (f2, m2) in zip(out[1], out[2], strict=True):
        assert f1.has_person and f2.has_person
        np.testing.assert_allclose(f1.xy, f2.xy, atol=0.5)  # px
        np.testing.assert_allclose(f1.world, f2.world, atol=1e-3)  # m
        assert m1 is not None and m2 is not None and m1.shape == m2.shape == frames[0][1].shape[:2]
        assert np.mean(np.abs(m1 - m2)) < 1e-3


def test_threads_must_be_positive():
    with pytest.raises(ValueError, match="threads must be at least 1"):
        PoseEstimator(threads=0)


def test_estimator_refuses_use_outside_its_block():
    est = PoseEstimator()
    with pytest.raises(RuntimeError, match="outside its with-block"):
        est.process(0.0, np.zeros((8, 8, 3), np.uint8))
