"""The app in a real browser: Debian's Chromium (driven by Playwright, no browser
download) against `streamlit run app.py`, with a recorded exercise clip as the
webcam. Screenshots of the pages go to test-artifacts/ (FORMCHECK_ARTIFACTS). The server keeps its
own history database: the History page shows the sessions these tests made."""

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from y4m import write_y4m

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("FORMCHECK_CHROMIUM", "/usr/bin/chromium")  # as tools/ensure-chromium
ARTIFACTS = Path(os.environ.get("FORMCHECK_ARTIFACTS", ROOT / "test-artifacts"))

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium (make test installs it)"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


MADE: list[str] = []  # the sessions the tests below made through the page (kind: source)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    port = _free_port()
    db = tmp_path_factory.mktemp("browser-history") / "history.db"
    env = os.environ | {"GLOG_minloglevel": "2", "FORMCHECK_DB": str(db)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(ROOT / "app.py"),
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).read() == b"ok":
                break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("streamlit did not start")
    yield url
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture(scope="module")
def fake_camera(tmp_path_factory):
    """A seated row (reps) then the rounded phase of the cat-cow (a back cue), as a webcam."""
    dst = tmp_path_factory.mktemp("cam") / "clip.y4m"
    write_y4m([(ROOT / "sample_videos/seated_cable_row.mp4", 8.0), (ROOT / "sample_videos/cat_cow_side.mp4", 3.5)], dst)
    return dst


def _browser(p, y4m: Path | None = None):
    args = [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
    ]
    if y4m is not None:
        args += [
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={y4m}",
        ]
    return p.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)


def test_live_page_counts_reps_from_the_fake_webcam_and_shows_a_cue(server, fake_camera):
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = _browser(p, fake_camera)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{server}/?mode=live&exercise=seated_row")
        expect(page.get_by_text("Live coaching: Seated row")).to_be_visible(timeout=60_000)
        frame = page.frame_locator("iframe[title*='webrtc']")
        frame.get_by_role("button", name="START").click(timeout=60_000)
        # the clip loops: a full seated row takes ~8 s, the rounded back follows
        expect(page.get_by_text("Reps this set: 1")).to_be_visible(timeout=120_000)
        expect(page.get_by_text("Cue:", exact=False)).to_be_visible(timeout=120_000)
        expect(page.get_by_text("Saved to the history as session", exact=False)).to_be_visible(timeout=10_000)
        MADE.append("live: browser camera")
        page.screenshot(path=str(ARTIFACTS / "live.png"), full_page=True)
        browser.close()


def test_recorded_page_in_the_browser(server):
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = _browser(p)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{server}/?mode=recorded&exercise=seated_row&sample=seated_cable_row.mp4")
        page.get_by_role("button", name="Analyse").click(timeout=60_000)
        expect(page.get_by_text("Results: seated_cable_row.mp4")).to_be_visible(timeout=180_000)
        expect(page.get_by_text("Fault timeline", exact=False)).to_be_visible()
        page.wait_for_timeout(2000)  # let the charts draw
        page.screenshot(path=str(ARTIFACTS / "recorded.png"), full_page=True)
        MADE.append("page: seated_cable_row.mp4")
        with page.expect_download(timeout=120_000) as dl:  # the printable report, made when clicked
            page.get_by_role("button", name="Report (PDF)").click()
        pdf = Path(dl.value.path()).read_bytes()
        assert pdf.startswith(b"%PDF") and len(pdf) > 10_000

        # the History page lists the sessions made above and opens the newest one's report
        page.goto(f"{server}/?mode=history")
        expect(page.get_by_role("heading", name="History")).to_be_visible(timeout=60_000)
        shown = page.get_by_text(re.compile(r"^\d+ sessions?, newest first$"))
        expect(shown).to_be_visible(timeout=60_000)
        assert int(shown.inner_text().split()[0]) == len(MADE)
        report = page.frame_locator("iframe").last
        expect(report.get_by_text("page: seated_cable_row.mp4")).to_be_visible(timeout=120_000)
        expect(report.get_by_text("Seated row (cable or band)").first).to_be_visible()
        page.wait_for_timeout(2000)
        page.screenshot(path=str(ARTIFACTS / "history.png"), full_page=True)
        browser.close()
