"""The Streamlit page logic with Streamlit's AppTest (no browser)."""

from pathlib import Path

import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def test_live_page_renders_with_its_controls():
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert at.sidebar.radio[0].value == "live"
    assert [b.label for b in at.button] == ["New set", "Reset"]
    assert any("Reps" == m.label for m in at.metric)
    assert any("Camera" in i.value or "camera" in i.value for i in at.info)


def test_recorded_page_analyses_a_sample_clip():
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params["mode"] = "recorded"
    at.query_params["exercise"] = "seated_row"
    at.run()
    assert not at.exception
    sample = next(s for s in at.selectbox if s.label == "Sample video")
    sample.select("seated_cable_row.mp4").run()
    next(b for b in at.button if b.label == "Analyse").click().run()
    assert not at.exception
    reps = next(m for m in at.metric if m.label == "Reps")
    assert reps.value == "1"
    assert any("Results: seated_cable_row.mp4" in h.value for h in at.subheader)
    assert len(at.dataframe) >= 1
    # choose the rep: its frames are shown
    next(s for s in at.selectbox if s.label == "Go to rep").select(1).run()
    assert not at.exception


def test_recorded_page_reports_a_bad_upload_cleanly(tmp_path):
    # the page's error path: a file that is not a video
    from formcheck.app_support import analyze_for_page
    from formcheck.specs import get_spec
    from formcheck.video import VideoError

    bad = tmp_path / "x.mp4"
    bad.write_text("not a video")
    with pytest.raises(VideoError):
        analyze_for_page(bad, get_spec("seated_row"), tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.mp4"]  # nothing half-written
