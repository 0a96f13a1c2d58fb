"""Video I/O on real and broken files."""

from pathlib import Path

import numpy as np
import pytest

from formcheck.media.video import VideoError, VideoWriter, iter_frames, probe, scaled_size

ROOT = Path(__file__).resolve().parent.parent
CLIP = ROOT / "sample_videos" / "seated_cable_row.mp4"


def test_probe_and_decode_real_clip():
    info = probe(CLIP)
    assert (info.width, info.height) == (1280, 720)
    assert info.fps == pytest.approx(30.0)
    assert info.frames == 240 and info.duration_s == pytest.approx(8.0, abs=0.05)
    times = []
    for i, (t, rgb) in enumerate(iter_frames(CLIP, max_side=320)):
        assert rgb.shape == (180, 320, 3) and rgb.dtype == np.uint8
        times.append(t)
        if i == 59:
            break
    assert times[0] == 0.0
    assert np.allclose(np.diff(times), 1 / 30, atol=1e-3)


def test_max_fps_skips_frames():
    times = [t for t, _ in iter_frames(CLIP, max_side=160, max_fps=10)]
    assert 78 <= len(times) <= 81
    assert np.min(np.diff(times)) >= 0.099


def test_scaled_size_keeps_even_dimensions():
    assert scaled_size(1080, 1920, 640) == (360, 640)
    assert scaled_size(1280, 720, None) == (1280, 720)
    w, h = scaled_size(1001, 999, 500)
    assert w % 2 == 0 and h % 2 == 0


@pytest.mark.parametrize(
    "make,words",
    [
        (lambda p: p, "no such file"),
        (lambda p: (p.write_bytes(b""), p)[1], "empty file"),
        (lambda p: (p.write_text("hello, I am not a video\n" * 50), p)[1], "not a readable video"),
        (lambda p: (p.write_bytes(CLIP.read_bytes()[:3000]), p)[1], ""),
    ],
)
def test_bad_files_raise_one_clear_error(tmp_path, make, words):
    path = make(tmp_path / "clip.mp4")
    with pytest.raises(VideoError) as ei:
        probe(path)
        list(iter_frames(path))
    msg = str(ei.value)
    assert str(path) in msg and words in msg and "\n" not in msg


def test_folder_is_not_a_video(tmp_path):
    with pytest.raises(VideoError, match="is a folder"):
        probe(tmp_path)


def test_writer_is_atomic_and_readable(tmp_path):
    out = tmp_path / "o.mp4"
    frames = [np.full((120, 160, 3), i * 10, np.uint8) for i in range(20)]
    with VideoWriter(out, (160, 120), 20.0) as w:
        for i, f in enumerate(frames):
            w.write(i / 20, f)
        assert not out.exists()  # nothing visible until it is complete
    got = list(iter_frames(out))
    assert len(got) == 20
    assert got[-1][0] == pytest.approx(19 / 20, abs=1e-3)
    assert abs(int(got[10][1].mean()) - 100) <= 3


def test_writer_leaves_nothing_when_interrupted(tmp_path):
    out = tmp_path / "o.mp4"
    with pytest.raises(RuntimeError):
        with VideoWriter(out, (160, 120), 20.0) as w:
            w.write(0.0, np.zeros((120, 160, 3), np.uint8))
            raise RuntimeError("killed")
    assert list(tmp_path.iterdir()) == []
