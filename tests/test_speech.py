"""The terminal's voice (formcheck.apps.speech) and `formcheck live --voice`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import wave
from pathlib import Path

import pytest

from formcheck.apps.speech import Speaker, speech_command

ROOT = Path(__file__).resolve().parent.parent


def fake_program(tmp_path: Path, seconds: float = 0.3) -> tuple[list[str], Path]:
    """A stand-in speech program: logs what it is asked to say, and takes ``seconds`` to say it."""
    log = tmp_path / "said.txt"
    code = f"import sys, time; open({str(log)!r}, 'a').write(sys.argv[-1] + '\\n'); time.sleep({seconds})"
    return [sys.executable, "-c", code], log


def test_say_never_blocks_and_a_busy_voice_drops_what_gets_old(tmp_path):
    cmd, log = fake_program(tmp_path, seconds=1.5)
    sp = Speaker(cmd, max_age_s=1.0)
    t0 = time.perf_counter()
    sp.say("one")
    time.sleep(0.3)  # "one" is being said for 1.5 s
    sp.say("two")
    sp.say("three")  # replaces "two" while the voice is busy
    assert time.perf_counter() - t0 < 0.5  # say() returned at once every time
    time.sleep(2.5)
    sp.say("four")
    time.sleep(0.6)
    sp.close()
    assert log.read_text().split() == ["one", "four"]  # "three" waited 1.5 s: dropped, not queued
    assert sp.dropped == 2


def test_live_voice_says_counts_and_cues_through_the_speech_program(tmp_path):
    """`formcheck live --source FILE --voice`: the count and the cue reach the speech program;
    `--no-voice` says nothing."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "said.txt"
    prog = bin_dir / "espeak-ng"
    prog.write_text(f"#!{sys.executable}\nimport sys\nopen({str(log)!r}, 'a').write(sys.argv[-1] + '\\n')\n")
    prog.chmod(0o755)
    env = os.environ | {"PATH": f"{bin_dir}:{os.environ['PATH']}", "GLOG_minloglevel": "2"}
    clip = ROOT / "sample_videos/rowing.mp4"  # two rows, the second without the pause at the stomach
    args = [sys.executable, "-m", "formcheck.apps.cli", "live", "-e", "seated_row", "--source", str(clip)]
    args += ["--no-window", "--no-history"]
    out = subprocess.run([*args, "--voice"], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    said = [w for w in log.read_text().split("\n") if w]
    from formcheck.apps.cues import number_words, spoken_cue
    from formcheck.engine.specs import get_spec

    known = {number_words(n) for n in range(1, 5)} | {spoken_cue(f.message) for f in get_spec("seated_row").faults}
    assert said[0] == "set one"
    assert len(said) >= 2 and set(said[1:]) <= known, (said, out.stdout)  # a count or a cue, as it happened
    log.unlink()
    out = subprocess.run([*args, "--no-voice"], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and not log.exists()


def test_no_speech_program_is_one_warning_and_the_session_runs(tmp_path):
    env = os.environ | {"PATH": str(Path(sys.executable).parent), "GLOG_minloglevel": "2"}
    clip = ROOT / "sample_videos/seated_cable_row.mp4"
    args = [sys.executable, "-m", "formcheck.apps.cli", "live", "-e", "seated_row", "--source", str(clip)]
    out = subprocess.run(
        [*args, "--no-window", "--no-history", "--max-seconds", "3"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    warnings = [line for line in out.stderr.splitlines() if "voice" in line]
    assert len(warnings) == 1 and "espeak-ng" in warnings[0]
    assert "seated_row: reps" in out.stdout


@pytest.mark.skipif(
    shutil.which("espeak-ng") is None, reason="needs espeak-ng (make test installs it: tools/ensure-espeak)"
)
def test_the_real_speech_program_speaks_offline(tmp_path):
    """espeak-ng, as the live voice calls it, says a count: here into a file to measure."""
    cmd = speech_command()
    assert cmd is not None and Path(cmd[0]).name == "espeak-ng"
    wav = tmp_path / "three.wav"
    subprocess.run([cmd[0], "-w", str(wav), *cmd[1:], "three"], check=True, timeout=30)
    with wave.open(str(wav)) as w:
        seconds = w.getnframes() / w.getframerate()
    assert 0.2 < seconds < 2.0
