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


#: The fake webcam: one full row of the rowing sample (a seated cable row), from arms straight to
#: arms straight again (0.9-5.7 s, so the loop has no jump), at 1.5x speed, three times in the file,
#: which Chromium then plays round and round. Rowed that fast there is no pause at the stomach: the
#: fault the seated row's no_hold cue names.
CAMERA_CLIP = (ROOT / "sample_videos/rowing.mp4", 0.9, 5.7)
CAMERA_LOOPS = 3
CAMERA_REPS = 2 * CAMERA_LOOPS  # two passes of the file: one row each time round


@pytest.fixture(scope="module")
def fake_camera(tmp_path_factory):
    dst = tmp_path_factory.mktemp("cam") / "rowing.y4m"
    write_y4m([CAMERA_CLIP] * CAMERA_LOOPS, dst, speed=1.5)
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


#: Records what the page says: every speechSynthesis.speak() in any frame, by its text.
SPEECH_RECORDER = """
(() => {
  const synth = window.speechSynthesis;
  if (!synth) return;
  window.__spoken = [];
  const speak = synth.speak.bind(synth);
  synth.speak = (u) => { window.__spoken.push(u.text); try { speak(u); } catch (e) {} };
})();
"""

NUMBERS = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"]


def _shown_reps(page) -> int | None:
    """The count the page shows now ("Reps this set: N"), or None while it redraws."""
    loc = page.get_by_text(re.compile(r"^Reps this set: \d+"))
    try:
        return int(loc.first.inner_text(timeout=2000).split(":")[1].split()[0])
    except Exception:
        return None


def _watch(page, until, timeout_s: float, shown: list[int]) -> None:
    """Read the shown count every half second into ``shown`` until ``until()`` (or fail)."""
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        n = _shown_reps(page)
        if n is not None:
            shown.append(n)
        if until():
            return
        page.wait_for_timeout(500)
    pytest.fail(f"timed out; counts shown: {shown[-20:]}")


def _live(p, server, fake_camera, exercise: str = "seated_row"):
    browser = _browser(p, fake_camera)
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    ctx.add_init_script(SPEECH_RECORDER)
    page = ctx.new_page()
    page.goto(f"{server}/?mode=live&exercise={exercise}")
    expect_visible(page.get_by_text("Live coaching:", exact=False).first, 60)
    page.frame_locator("iframe[title*='webrtc']").get_by_role("button", name="START").click(timeout=60_000)
    return browser, page


def expect_visible(loc, timeout_s: float) -> None:
    from playwright.sync_api import expect

    expect(loc).to_be_visible(timeout=timeout_s * 1000)


def test_live_page_counts_speaks_and_keeps_its_count_over_a_reload(server, fake_camera):
    """The fake webcam rows: the page counts, shows the cue, speaks the count words and the cue,
    and a reloaded tab finds its count again and carries on."""
    from playwright.sync_api import sync_playwright

    from formcheck.apps.cues import spoken_cue
    from formcheck.engine.specs import get_spec

    cues = {spoken_cue(f.message) for f in get_spec("seated_row").faults}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser, page = _live(p, server, fake_camera)
        shown: list[int] = []
        heard: list[str] = []

        def spoken_both() -> bool:
            heard[:] = page.evaluate("window.__spoken || []")
            return any(w in NUMBERS for w in heard) and any(w in cues for w in heard) and max(shown, default=0) >= 2

        _watch(page, spoken_both, 150, shown)
        assert shown == sorted(shown), f"the shown count went down: {shown}"
        assert heard[0] == "set one"
        expect_visible(page.get_by_text("Saved to the history as session", exact=False), 10)
        MADE.append("live: browser camera")
        expect_visible(page.get_by_text("Cue:", exact=False), 30)
        page.screenshot(path=str(ARTIFACTS / "live.png"), full_page=True)  # while the cue shows
        page.get_by_text("Voice", exact=True).click()  # the voice controls
        expect_visible(page.get_by_text("Speak the count and cues"), 10)
        page.wait_for_timeout(1000)
        page.screenshot(path=str(ARTIFACTS / "live-voice.png"), full_page=True)
        page.get_by_text("Voice", exact=True).click()

        # the tab reloaded: the same browser session's coach, with its count, before START
        before = max(shown)
        page.reload()
        expect_visible(page.get_by_text("Live coaching: Seated row"), 60)
        after: list[int] = []
        _watch(page, lambda: bool(after) and after[-1] >= before, 30, after)
        page.frame_locator("iframe[title*='webrtc']").get_by_role("button", name="START").click(timeout=60_000)
        _watch(page, lambda: after[-1] > before, 120, after)
        assert after == sorted(after), f"the shown count went down after the reload: {after}"
        again = page.evaluate("window.__spoken || []")
        assert "set one" not in again  # the session goes on: nothing said before is said again
        browser.close()


def test_live_page_auto_recognises_the_rowing_and_counts_it(server, fake_camera):
    """exercise=auto: the page names the exercise it sees, with its confidence, and counts it."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser, page = _live(p, server, fake_camera, exercise="auto")
        expect_visible(page.get_by_text("Live coaching: which exercise is it?"), 10)
        expect_visible(page.get_by_text(re.compile(r"^Recognised: Seated row .*\(confidence \d+%\)")), 120)
        shown: list[int] = []
        _watch(page, lambda: max(shown, default=0) >= 2, 90, shown)
        assert shown == sorted(shown)
        expect_visible(page.get_by_role("button", name=re.compile("^Pin Seated row")), 10)
        MADE.append("live: browser camera")
        page.wait_for_timeout(1000)
        page.screenshot(path=str(ARTIFACTS / "live-auto.png"), full_page=True)
        browser.close()


def _busy(n: int) -> list[subprocess.Popen]:
    """``n`` CPU-bound processes (a machine kept busy by other programs)."""
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(n)]


def test_live_page_on_a_busy_machine_counts_every_rep_and_never_drops(server, fake_camera):
    """Two CPU-bound programs share the two cores with the server and the browser: WebRTC lowers
    the resolution, the model falls behind and frames are dropped, but the shown count only
    ever rises and reaches the clip's reps."""
    from playwright.sync_api import sync_playwright

    hogs = _busy(2)
    try:
        with sync_playwright() as p:
            browser, page = _live(p, server, fake_camera)
            shown: list[int] = []
            _watch(page, lambda: max(shown, default=0) >= CAMERA_REPS, 180, shown)
            assert shown == sorted(shown), f"the shown count went down: {shown}"
            caption = page.get_by_text(re.compile(r"^view: ")).first.inner_text()
            print(f"busy machine: counts {shown[0]}..{shown[-1]}; {caption}")
            MADE.append("live: browser camera")
            browser.close()
    finally:
        for h in hogs:
            h.kill()
            h.wait()


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
