"""Per-clip tasks for batch tests (module level so spawned workers can import them)."""

import os

from formcheck.apps.batch import run_clip


def crash_on_poison(job, out_dir, annotate, opts, progress=None):
    """Kills the worker process on clips named poison*, like a decoder segfault."""
    if "poison" in job.rel:
        os._exit(139)
    return run_clip(job, out_dir, annotate, opts, progress)


def instant(job, out_dir, annotate, opts, progress=None):
    """Finishes at once without touching the file (tests of the order clips start in)."""
    from formcheck.apps.batch import ClipResult

    return ClipResult(job.rel, job.exercise, job.stem, "ok")
