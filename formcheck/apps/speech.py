"""The terminal's voice: utterances said aloud by an offline speech program.

``formcheck live --voice`` hands each utterance of the coach (see
:mod:`formcheck.apps.cues`) to a :class:`Speaker`. :meth:`Speaker.say` only
puts the text in a one-item mailbox and returns, so speech never holds up the
frame loop; a worker thread starts the speech program and waits for it. While
it speaks, only the newest utterance waits, and one more than ``max_age_s`` old
is dropped (no backlog).

The program is ``espeak-ng`` (Linux: ``apt install espeak-ng``; also on macOS
and Windows), else ``espeak``, else macOS's own ``say``. It runs locally:
nothing leaves the machine. (pyttsx3 was tried: on Linux it drives the same
espeak-ng library, writes each utterance to a temporary WAV file and plays it
with ``aplay`` through ``os.system``, printing to stdout; the program alone does
the same job and can be stopped cleanly.)
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable

from .cues import MAX_AGE_S

PROGRAMS = ("espeak-ng", "espeak")


def speech_command(volume: float = 1.0) -> list[str] | None:
    """The command that says its last argument aloud, or None if no speech program is installed."""
    for name in PROGRAMS:
        path = shutil.which(name)
        if path:
            return [path, "-a", str(int(round(100 * max(0.0, min(volume, 2.0))))), "--"]
    if sys.platform == "darwin" and shutil.which("say"):
        return ["say", "--"]
    return None


class Speaker:
    """Says texts one at a time through ``command + [text]``, off the caller's thread."""

    def __init__(
        self, command: list[str], max_age_s: float = MAX_AGE_S, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.command = command
        self.max_age_s = max_age_s
        self._clock = clock
        self._cv = threading.Condition()
        self._next: tuple[str, float] | None = None
        self._closed = False
        self._proc: subprocess.Popen | None = None
        self.said: list[str] = []  # what was started, in order
        self.dropped = 0  # waited too long: dropped
        self.error: str | None = None  # the program failed to start (said once, then silent)
        self._thread = threading.Thread(target=self._run, name="speech", daemon=True)
        self._thread.start()

    @classmethod
    def find(cls, volume: float = 1.0) -> Speaker | None:
        cmd = speech_command(volume)
        return cls(cmd) if cmd else None

    def say(self, text: str) -> None:
        """Say ``text`` as soon as the voice is free (returns at once)."""
        with self._cv:
            if self._next is not None:
                self.dropped += 1  # replaced by a newer one before it was said
            self._next = (text, self._clock())
            self._cv.notify()

    def _run(self) -> None:
        while True:
            with self._cv:
                self._cv.wait_for(lambda: self._next is not None or self._closed)
                if self._closed:
                    return
                assert self._next is not None
                text, t = self._next
                self._next = None
            if self._clock() - t > self.max_age_s:
                self.dropped += 1
                continue
            try:
                self._proc = subprocess.Popen(
                    [*self.command, text], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                )
            except OSError as e:
                self.error = f"{self.command[0]}: {e}"
                return
            self.said.append(text)
            self._proc.wait()

    def close(self, timeout_s: float = 2.0) -> None:
        """Stop speaking and end the worker."""
        with self._cv:
            self._closed = True
            self._cv.notify()
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.terminate()
        self._thread.join(timeout_s)
