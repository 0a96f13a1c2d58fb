"""The History page and the page's recording, with Streamlit's AppTest (no browser)."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

from formcheck.apps.cli import app  # noqa: E402
from formcheck.results.history import History  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
FIX = ROOT / "tests" / "fixtures" / "landmarks"


@pytest.fixture
def db(tmp_path, monkeypatch):
    path = tmp_path / "page.db"
    monkeypatch.setenv("FORMCHECK_DB", str(path))
    return path


def test_the_history_page_lists_the_sessions_with_trends_adherence_and_a_report(db, tmp_path):
    runner = CliRunner()
    prog = ROOT / "programmes" / "middle_back.toml"
    for clip, ex, extra in [
        ("rowing", "seated_row", ["--person", "Ann", "--programme", str(prog)]),
        ("seated_cable_row", "seated_row", ["--person", "Ann", "--programme", str(prog)]),
        ("bird_dog_side", "bird_dog", []),
    ]:
        r = runner.invoke(
            app, ["analyze", str(FIX / f"{clip}.npz"), "-e", ex, "-o", str(tmp_path / "o"), "--no-progress", *extra]
        )
        assert r.exit_code == 0, r.output
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["mode"] = "history"
    at.run()
    assert not at.exception
    assert [h.value for h in at.header] == ["History"]
    assert any("3 sessions" in m.value for m in at.markdown)
    table = at.dataframe[0].value
    assert sorted(table["id"]) == [1, 2, 3] and set(table["person"]) == {"Ann", ""}
    assert {"Trends", "Programme adherence per week", "Session report"} <= {s.value for s in at.subheader}
    charts = at.get("vega_lite_chart")
    assert len(charts) >= 5  # seated row trends (2 sessions) + the adherence chart
    # filter by person: only Ann's two seated rows, and their trends without choosing an exercise
    at.selectbox(key="h_person").select("Ann").run()
    assert not at.exception and sorted(at.dataframe[0].value["id"]) == [1, 2]
    labels = [b.label for b in at.get("download_button")]
    assert "Download report (PDF)" in labels and "Report (HTML)" in labels
    at.selectbox(key="h_session").select(1).run()
    assert not at.exception


def test_an_empty_history_says_so(db):
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["mode"] = "history"
    at.run()
    assert not at.exception and any("No sessions recorded yet" in i.value for i in at.info)


def test_the_recorded_page_saves_its_analysis_and_the_live_coach_is_recorded(db):
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    from formcheck.apps.live_history import LiveHistory

    assert isinstance(at.session_state["coach:seated_row"].on_checkpoint, LiveHistory)  # live: saved at checkpoints
    at.query_params["mode"] = "recorded"
    at.query_params["exercise"] = "seated_row"
    at.run()
    at.text_input(key="person").input("Cy").run()
    next(s for s in at.selectbox if s.label == "Sample video").select("seated_cable_row.mp4").run()
    next(b for b in at.button if b.label == "Analyse").click().run()
    assert not at.exception
    assert "Report (PDF)" in [b.label for b in at.get("download_button")]
    (info,) = History.open(db).sessions()
    assert (info.kind, info.source, info.person, info.rep_count) == ("page", "seated_cable_row.mp4", "Cy", 1)
    assert info.video_path and Path(info.video_path).name == "seated_cable_row.mp4"  # key frames come from it
    # the saving can be switched off: the live coach then records nothing either
    at.checkbox(key="save_history").uncheck().run()
    at.query_params["mode"] = "live"
    at.run()
    assert not at.exception and at.session_state["coach:seated_row"].on_checkpoint is None
