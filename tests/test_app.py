"""The Streamlit page logic with Streamlit's AppTest (no browser)."""

from pathlib import Path

import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

APP = str(Path(__file__).resolve().parent.parent / "app.py")


@pytest.fixture
def no_streamlit_deprecations():
    """Fails the test if the page calls anything Streamlit deprecates (use_container_width, ...).
    Streamlit reports those through its own logger, not as Python warnings."""
    import logging

    from streamlit import deprecation_util

    seen: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record.getMessage())

    logger = logging.getLogger(deprecation_util.__name__)
    handler = Collect(logging.WARNING)
    deprecation_util._shown_warnings.clear()  # warnings shown once per process would hide from later tests
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
    assert not seen, seen


def test_live_page_renders_with_its_controls(no_streamlit_deprecations):
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert at.sidebar.radio[0].value == "live"
    assert [b.label for b in at.button] == ["New set", "Reset"]
    assert any("Reps" == m.label for m in at.metric)
    assert any("Camera" in i.value or "camera" in i.value for i in at.info)


def test_a_bad_model_file_in_the_settings_is_a_message_not_a_crash(tmp_path):
    bad = tmp_path / "mine.task"
    bad.write_text("not a model")
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.text_input(key="model_path").input(str(bad)).run()
    assert not at.exception
    assert any("not a MediaPipe .task model" in e.value for e in at.sidebar.error)
    assert "coach:seated_row" in at.session_state  # the page goes on with the shipped model


def test_recorded_page_analyses_a_sample_clip(no_streamlit_deprecations):
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
    from formcheck.apps.app_support import analyze_for_page
    from formcheck.engine.specs import get_spec
    from formcheck.media.video import VideoError

    bad = tmp_path / "x.mp4"
    bad.write_text("not a video")
    with pytest.raises(VideoError):
        analyze_for_page(bad, get_spec("seated_row"), tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.mp4"]  # nothing half-written


def test_two_sessions_never_share_a_coach():
    """Each browser session (here: two AppTest sessions) gets its own LiveCoach, so counts never mix."""
    a = AppTest.from_file(APP, default_timeout=60).run()
    b = AppTest.from_file(APP, default_timeout=60).run()
    ca, cb = a.session_state["coach:seated_row"], b.session_state["coach:seated_row"]
    assert ca is not cb
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from dataclasses import replace

    from kinematics import Pose, frame, reps

    # drive one coach's engine with a synthetic set: only that session counts
    bottom = Pose(
        yaw=90, torso=90, upper_arm=(-170.0, 180.0), forearm=(-170.0, 180.0), thigh=(0.0, 0.0), shank=(-30.0, 0.0)
    )
    top = replace(bottom, upper_arm=(-80.0, 180.0), forearm=(-10.0, 0.0))
    for i, p in enumerate(reps(bottom, top, 2, hold_s=1.5)):
        ca.feed(frame(p, i / 30), (1280, 720))
    assert ca.snapshot().reps == 2
    assert cb.snapshot().reps == 0
    ca.new_set()
    assert ca.snapshot().sets == [2] and ca.snapshot().set_number == 2


def test_auto_recognises_a_recorded_clip_and_the_live_page_waits_for_the_movement():
    at = AppTest.from_file(APP, default_timeout=300)
    at.query_params["mode"] = "recorded"
    at.query_params["exercise"] = "auto"
    at.run()
    assert not at.exception
    assert at.header[0].value == "Recorded video: which exercise is it?"
    next(s for s in at.selectbox if s.label == "Sample video").select("rowing.mp4").run()
    next(b for b in at.button if b.label == "Analyse").click().run()
    assert not at.exception
    assert [s.value for s in at.success] == ["Recognised: Seated row (cable or band) (confidence 100%)"]
    assert next(m for m in at.metric if m.label == "Reps").value == "2"

    live = AppTest.from_file(APP, default_timeout=60)
    live.query_params["exercise"] = "auto"
    live.run()
    assert not live.exception
    assert live.header[0].value == "Live coaching: which exercise is it?"
    assert any("Recognising the exercise" in i.value for i in live.info)
    assert "coach:auto" in live.session_state


def test_a_recording_that_is_none_of_the_exercises_says_so():
    """A squat is none of formcheck's exercises: the page says so and shows the closest ones
    with why they were rejected, instead of analysing it as one."""
    at = AppTest.from_file(APP, default_timeout=300)
    at.query_params["mode"] = "recorded"
    at.query_params["exercise"] = "auto"
    at.run()
    next(s for s in at.selectbox if s.label == "Sample video").select("squat.mp4").run()
    next(b for b in at.button if b.label == "Analyse").click().run()
    assert not at.exception
    assert any("looks like none of the exercises formcheck knows" in w.value for w in at.warning)
    assert len(at.dataframe) == 1  # the candidates and why not
    assert not any(m.label == "Reps" for m in at.metric)  # nothing analysed
