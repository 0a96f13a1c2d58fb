"""Redraw docs/screenshots/history.png and report.png from a sample history.

    python docs/make_history_figures.py      (runs the model on 4 clips; needs Debian's chromium, poppler)

Four weekly sessions of one person (the seated-row sample clips, dated by
their file times), scored against the middle-back programme; the History page
in headless Chromium, and page 1 of the newest session's PDF report.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
BIN = Path(sys.executable).parent


def main() -> None:
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        clips = tmp / "clips"
        clips.mkdir()
        now = time.time()
        for k, (name, days) in enumerate(
            [("seated_cable_row", 21), ("rowing", 14), ("seated_cable_row", 7), ("rowing", 0)]
        ):
            p = clips / f"week{k + 1}.mp4"
            shutil.copy(ROOT / "sample_videos" / f"{name}.mp4", p)
            t = now - days * 86400 - 3600
            os.utime(p, (t, t))
        db = tmp / "history.db"
        subprocess.run(
            [
                BIN / "formcheck",
                "batch",
                clips,
                "-e",
                "seated_row",
                "-o",
                tmp / "out",
                "-j",
                "2",
                "--annotate",
                "--db",
                db,
                "--person",
                "Sam",
                "--programme",
                ROOT / "programmes/middle_back.toml",
                "--no-progress",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        from formcheck.results.history import History

        newest = History.open(db).sessions()[0].id
        subprocess.run([BIN / "formcheck", "report", str(newest), "--db", db, "-o", tmp / "r.pdf"], check=True)
        subprocess.run(
            ["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", tmp / "r.pdf", OUT / "report"],
            check=True,
        )
        _page(db, OUT / "history.png")
    print(f"wrote {OUT / 'history.png'} and {OUT / 'report.png'}")


def _page(db: Path, png: Path, port: int = 8791) -> None:
    from playwright.sync_api import sync_playwright

    env = os.environ | {"FORMCHECK_DB": str(db), "GLOG_minloglevel": "2"}
    cmd = [
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
    ]
    server = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(120):
            try:
                if urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1).read() == b"ok":
                    break
            except OSError:
                time.sleep(0.5)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1400, "height": 1250})
            page.goto(f"http://127.0.0.1:{port}/?mode=history")
            page.get_by_text("4 sessions").wait_for(timeout=60_000)
            page.wait_for_timeout(5000)  # let the charts draw
            page.screenshot(path=str(png))
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=20)


if __name__ == "__main__":
    main()
