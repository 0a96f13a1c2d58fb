"""Headless batch over folders of clips: parallel, robust, resumable.

One clip = one task (:func:`run_clip`) that runs the same analysis as
``formcheck analyze`` and writes the same outputs, then a small
``<stem>.status.json`` record, last and atomically. A clip counts as finished
only when that record says ``ok`` and its outputs exist, so an interrupted
batch resumes (``--resume``) by skipping finished clips and redoing the rest.

Clips run in worker processes (local: a process pool; or Ray), longest
first (:func:`longest_first`), so a long clip never runs alone at the end
while the other workers idle. A clip that kills its worker (a decoder crash) is retried alone once, then reported; the
other clips still finish.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from ..io_utils import safe_stem, write_text_atomic
from ..media.video import VIDEO_EXTENSIONS

STATUS_SUFFIX = ".status.json"
#: The exercise id that asks for recognition (and splitting) per clip.
AUTO = "auto"


class BatchError(Exception):
    """A batch that cannot start (message is user-facing)."""


@dataclass(frozen=True)
class ClipJob:
    path: str  # absolute path of the clip
    rel: str  # path relative to the clips folder (shown and stored)
    exercise: str
    stem: str  # output stem, unique within --out, no path separators
    frames: int = 0  # expected frames, from the container's metadata (progress, scheduling); 0 if unknown
    duration_s: float = 0.0  # from the container's metadata; 0 if unknown


@dataclass
class ClipResult:
    rel: str
    exercise: str
    stem: str
    status: str  # ok | error
    error: str = ""
    reps: int | None = None
    faults: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    frames: int = 0

    def row(self) -> dict[str, Any]:
        return {
            "path": self.rel,
            "exercise": self.exercise,
            "status": self.status,
            "error": self.error,
            "reps": self.reps,
            "faults": self.faults,
            "warnings": self.warnings,
            "seconds": round(self.seconds, 2),
            "frames": self.frames,
            "outputs": self.stem,
        }


# ------------------------------------------------------------------ discovery
def find_clips(folder: str | Path) -> list[Path]:
    """Video files under ``folder`` (recursive, extensions case-insensitive), sorted."""
    root = Path(folder)
    if not root.is_dir():
        raise BatchError(f"{root}: not a folder")
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file() and p.suffix.lower() in VIDEO_EXTENSIONS and not p.name.startswith(".")
    )


def read_manifest(path: str | Path, root: Path) -> dict[str, str]:
    """``path,exercise`` CSV -> {relative path: exercise}; paths relative to the clips folder."""
    m: dict[str, str] = {}
    with open(path, newline="", encoding="utf-8") as fh:
        rd = csv.DictReader(fh)
        if rd.fieldnames is None or not {"path", "exercise"} <= set(rd.fieldnames):
            raise BatchError(f"{path}: needs columns path,exercise")
        for r in rd:
            p = Path(r["path"].strip())
            rel = (p.resolve().relative_to(root.resolve()) if p.is_absolute() else p).as_posix()
            m[rel] = r["exercise"].strip()
    return m


def output_stem(rel: str, taken: set[str]) -> str:
    """A flat, safe output stem for a clip path (``a/b/c.mp4`` -> ``a__b__c``), unique in ``taken``."""
    parts = [safe_stem(p) for p in Path(rel).with_suffix("").parts]
    stem = "__".join(parts)[:150] or "clip"
    if stem in taken:
        stem = f"{stem}__{hashlib.sha1(rel.encode()).hexdigest()[:8]}"
    taken.add(stem)
    return stem


def measured(job: ClipJob) -> ClipJob:
    """``job`` with its length from the container's metadata (no decoding); an unreadable
    file keeps 0 (its error is reported when it runs)."""
    from ..media.video import VideoError, probe

    try:
        info = probe(job.path)
    except VideoError:
        return job
    return replace(job, frames=info.frames, duration_s=info.duration_s)


def plan(folder: str | Path, exercise: str | None, manifest: str | Path | None) -> list[ClipJob]:
    """One job per clip, in path order, each with its length (:func:`measured`)."""
    root = Path(folder)
    clips = find_clips(root)
    mapping = read_manifest(manifest, root) if manifest else {}
    jobs: list[ClipJob] = []
    taken: set[str] = set()
    for p in clips:
        rel = p.relative_to(root).as_posix()
        ex = mapping.get(rel, exercise)
        if ex is None:
            continue  # a mixed folder: clips not in the manifest are skipped
        jobs.append(ClipJob(str(p.resolve()), rel, ex, output_stem(rel, taken)))
    if manifest:
        missing = sorted(set(mapping) - {j.rel for j in jobs})
        for rel in missing:  # listed but absent: reported as errors, not silently dropped
            jobs.append(ClipJob(str((root / rel).resolve()), rel, mapping[rel], output_stem(rel, taken)))
    return [measured(j) for j in jobs]


def longest_first(jobs: Iterable[ClipJob], max_fps: float | None = None) -> list[ClipJob]:
    """The order to start clips in: the most model frames first.

    The model's time is per frame, so a clip's work is its frame count (capped
    at ``duration_s * max_fps`` when frames are skipped). Started longest
    first, the workers finish close together (longest processing time
    first); in path order a long clip that starts last runs alone at the
    end. Clips of unknown length (0) go last; ties keep their order.
    """

    def work(j: ClipJob) -> float:
        return min(j.frames, j.duration_s * max_fps) if max_fps else j.frames

    return sorted(jobs, key=work, reverse=True)  # sorted() is stable with reverse=True too


# -------------------------------------------------------------------- one clip
def outputs_of(stem: str, annotate: bool, exercise: str = "") -> list[str]:
    """The files a finished clip has (auto clips: the segments list, which names its reports)."""
    names = [f"{stem}.segments.json"] if exercise == AUTO else [f"{stem}.report.json", f"{stem}.reps.csv"]
    return names + [f"{stem}.annotated.mp4"] if annotate else names


def is_finished(out: Path, job: ClipJob, annotate: bool) -> ClipResult | None:
    """The stored result of a clip that finished ok with all its outputs, else None."""
    st = out / f"{job.stem}{STATUS_SUFFIX}"
    try:
        d = json.loads(st.read_text())
    except (OSError, ValueError):
        return None
    if (
        d.get("status") != "ok"
        or d.get("exercise") != job.exercise
        or not all((out / n).exists() for n in outputs_of(job.stem, annotate, job.exercise))
    ):
        return None
    return ClipResult(
        job.rel,
        d.get("recognised", job.exercise),
        job.stem,
        "ok",
        "",
        d.get("reps"),
        d.get("faults", {}),
        d.get("warnings", []),
        d.get("seconds", 0.0),
        d.get("frames", 0),
    )


def run_clip(job: ClipJob, out_dir: str, annotate: bool, opts: dict[str, Any], progress: Any = None) -> ClipResult:
    """Analyse one clip and write its outputs; never raises for bad input.

    ``opts`` are :class:`~formcheck.pipeline.PoseOptions` fields, plus ``history``
    (``db``, ``person``, ``programme``) when the clip's session(s) are to be recorded.
    """
    os.environ.setdefault("GLOG_minloglevel", "2")
    opts = dict(opts)
    history = opts.pop("history", None)
    from ..engine.specs import SpecError, get_spec
    from ..media.pose import ModelUnavailable
    from ..media.video import VideoError
    from ..pipeline import NoPersonError, PoseOptions, analyze_video
    from ..results.history import HistoryError
    from ..results.report import build_report, write_outputs

    t0 = time.perf_counter()
    out = Path(out_dir)
    res = ClipResult(job.rel, job.exercise, job.stem, "error")
    try:
        cb: Callable[[int, int], None] | None = None
        if progress is not None:

            def cb(done: int, total: int) -> None:
                if done % 10 == 0:
                    progress.put((job.stem, done, total))

        ann = out / f"{job.stem}.annotated.mp4" if annotate else None
        if job.exercise == AUTO:
            reports = _run_auto(job, out, ann, PoseOptions(**opts), cb, res)
        else:
            result, info = analyze_video(job.path, get_spec(job.exercise), PoseOptions(**opts), ann, cb)
            report = build_report(result, info, job.rel)
            write_outputs(report, out, job.stem)
            reports = [report]
            res.reps = report["rep_count"]
            res.faults = dict(Counter(f["id"] for f in report["faults"]))
            res.warnings = sorted({w["id"] for w in report["warnings"]})
            res.frames = result.frames
        if history is not None:
            record_clip(job, out, ann, reports, **history)
        res.status = "ok"
    except (VideoError, SpecError, NoPersonError, ModelUnavailable, ValueError) as e:
        res.error = str(e).splitlines()[0]
    except HistoryError as e:  # the outputs are there, the history is not: --resume records it
        res.error = f"not recorded in the history: {e}"
    except Exception as e:  # a bug must not sink the batch: report it on this clip
        res.error = f"internal error: {type(e).__name__}: {e}"
    res.seconds = time.perf_counter() - t0
    record = res.row() | {"exercise": job.exercise, "recognised": res.exercise}
    write_text_atomic(out / f"{job.stem}{STATUS_SUFFIX}", json.dumps(record, indent=1))
    return res


def record_clip(
    job: ClipJob, out: Path, ann: Path | None, reports: list[dict], db: str, person: str | None, programme: str | None
) -> list[int]:
    """Record a finished clip's session (one per segment) in the history at ``db``.

    The session's key is the batch output (``--out`` and stem), the clip's content
    hash and the segment: a clip recorded again (``--resume`` after a crash between
    recording and the status file, ``--overwrite``) replaces its session, never adds one.
    """
    import datetime as dt

    from ..results.history import History, started_from_file
    from ..results.programme import load_programme

    digest = file_digest(job.path)
    prog = load_programme(programme) if programme else None
    ids = []
    segs = [r["segment"] for r in reports if r.get("segment")]
    total = max(s["end_s"] for s in segs) if segs else reports[0]["video"]["duration_s"] if reports else 0.0
    with History.open(db) as hist:
        for report in reports:
            seg = report.get("segment")
            started = started_from_file(job.path, total) + dt.timedelta(seconds=seg["start_s"] if seg else 0.0)
            key = f"batch:{out.resolve() / job.stem}:{digest}" + (f"#{seg['index']}" if seg else "")
            ids.append(
                hist.record(
                    report,
                    kind="batch",
                    source=job.rel,
                    person=person,
                    started_at=started,
                    video_path=job.path,
                    annotated_path=ann.resolve() if ann is not None and ann.exists() else None,
                    programme=prog,
                    key=key,
                )
            )
    return ids


def file_digest(path: str | Path, chunk: int = 1 << 20) -> str:
    """The first 16 hex digits of the file's SHA-256 (a clip's identity across runs)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()[:16]


def _run_auto(job: ClipJob, out: Path, ann: Path | None, opts: Any, cb: Any, res: ClipResult) -> list[dict]:
    """``--exercise auto`` for one clip: one model pass, split into exercise segments
    (one segment for a one-exercise clip), each reported (``report.write_segment_outputs``).
    Returns the segments' reports."""
    import numpy as np

    from ..engine.specs import load_specs
    from ..pipeline import NoPersonError, analyze_segments, annotate_segments, extract
    from ..results.report import write_segment_outputs

    seq = extract(job.path, opts, segmentation=True, progress=cb)
    if not np.isfinite(seq.xy).any():
        raise NoPersonError(f"{job.rel}: no person found in any of its {len(seq)} frames")
    parts = analyze_segments(seq, load_specs())
    if not parts:
        raise ValueError("could not tell the exercise: no spec counted a rep in this clip")
    rows = write_segment_outputs(parts, seq, job.rel, out, job.stem)
    if ann is not None:
        annotate_segments(job.path, seq, [(seg, spec) for seg, spec, _ in parts], ann, opts)
    res.exercise = "+".join(dict.fromkeys(r["exercise"] for r in rows))
    res.reps = sum(r["rep_count"] for r in rows)
    res.faults = dict(sum((Counter(r["faults"]) for r in rows), Counter()))
    res.warnings = sorted({w for r in rows for w in r["warnings"]})
    res.frames = len(seq)
    return [json.loads((out / r["report"]).read_text()) for r in rows]


# -------------------------------------------------------------------- engines
OnDone = Callable[[ClipResult], None]


def worker_cores(workers: int) -> list[int]:
    """One core per worker when there are enough, else none (no pinning).

    A worker keeps its decode, model and tracing threads on its own core: on
    2 cores two pinned workers ran 9% faster than two floating ones, whose
    threads kept trading places. With more workers than cores, or on a system
    without ``sched_setaffinity``, the scheduler decides.
    """
    if workers < 2 or not hasattr(os, "sched_getaffinity"):
        return []
    cores = sorted(os.sched_getaffinity(0))
    return cores[:workers] if workers <= len(cores) else []


def _pin_worker(cores: Any) -> None:
    """Pool initializer: take a free core from the queue and stay on it."""
    import queue

    try:
        os.sched_setaffinity(0, {cores.get_nowait()})
    except (queue.Empty, OSError):
        pass


def run_local(
    jobs: list[ClipJob],
    out: Path,
    annotate: bool,
    opts: dict,
    n_jobs: int,
    on_done: OnDone,
    progress: Any = None,
    task: Callable[..., ClipResult] = run_clip,
) -> None:
    """Process pool over the clips; a worker crash is isolated to its clip.

    ``task`` is the per-clip function (a module-level function, so spawned
    workers can import it); tests swap in one that crashes on purpose.
    """
    pending = longest_first(jobs, opts.get("max_fps"))
    suspects: list[ClipJob] = []
    ctx = get_context("spawn")  # no fork after threads (mediapipe, decoders)

    def drain(queue: list[ClipJob], workers: int) -> tuple[list[ClipJob], list[ClipJob]]:
        """Run ``queue``; if a worker dies, return (clips in flight, clips not started)."""
        cores = ctx.Queue()
        for c in worker_cores(workers):
            cores.put(c)
        with ProcessPoolExecutor(
            max_workers=workers, mp_context=ctx, initializer=_pin_worker, initargs=(cores,)
        ) as pool:
            running: dict[Future, ClipJob] = {}
            queue = list(queue)
            while queue or running:
                while queue and len(running) < workers:
                    j = queue.pop(0)
                    running[pool.submit(task, j, str(out), annotate, opts, progress)] = j
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for fut in done:
                    j = running.pop(fut)
                    try:
                        on_done(fut.result())
                    except BrokenProcessPool:
                        return [j, *running.values()], queue
        return [], []

    while pending:
        in_flight, pending = drain(pending, n_jobs)
        # the pool died: the clips in flight are suspects, each is run alone once
        suspects.extend(j for j in in_flight if j not in suspects)
    for j in suspects:
        if drain([j], 1)[0]:
            res = ClipResult(
                j.rel,
                j.exercise,
                j.stem,
                "error",
                error="the worker process crashed on this clip (decoder or model fault)",
            )
            write_text_atomic(out / f"{j.stem}{STATUS_SUFFIX}", json.dumps(res.row() | {"exercise": j.exercise}))
            on_done(res)


def run_ray(
    jobs: list[ClipJob], out: Path, annotate: bool, opts: dict, n_jobs: int, on_done: OnDone, address: str | None
) -> None:
    """The same per-clip task on a Ray cluster (``address``) or a local one."""
    try:
        import ray
    except ImportError:
        raise BatchError("--engine ray needs Ray: pip install -e '.[ray]'") from None
    started = not ray.is_initialized()
    if started:
        kw: dict[str, Any] = {"address": address} if address else {"num_cpus": n_jobs, "include_dashboard": False}
        ray.init(log_to_driver=False, configure_logging=False, **kw)
    try:
        task = ray.remote(num_cpus=1, max_retries=1)(run_clip)
        refs = {task.remote(j, str(out), annotate, opts): j for j in longest_first(jobs, opts.get("max_fps"))}
        while refs:
            done, _ = ray.wait(list(refs), num_returns=1)
            for r in done:
                j = refs.pop(r)
                try:
                    on_done(ray.get(r))
                except Exception as e:  # worker died twice (ray.exceptions.WorkerCrashedError, ...)
                    res = ClipResult(j.rel, j.exercise, j.stem, "error", error=f"ray task failed: {type(e).__name__}")
                    write_text_atomic(
                        out / f"{j.stem}{STATUS_SUFFIX}", json.dumps(res.row() | {"exercise": j.exercise})
                    )
                    on_done(res)
    finally:
        if started:
            ray.shutdown()


# -------------------------------------------------------------------- summary
SUMMARY_COLUMNS = ["path", "exercise", "status", "error", "reps", "faults", "warnings", "seconds", "frames", "outputs"]


def write_summary(out: Path, results: Iterable[ClipResult]) -> dict[str, Path]:
    rows = [r.row() for r in sorted(results, key=lambda r: r.rel)]
    buf = io.StringIO()
    wr = csv.DictWriter(buf, SUMMARY_COLUMNS, lineterminator="\n")
    wr.writeheader()
    for r in rows:
        flat = dict(r)
        flat["faults"] = ";".join(f"{k}:{v}" for k, v in sorted(r["faults"].items()))
        flat["warnings"] = ";".join(r["warnings"])
        wr.writerow(flat)
    ok = sum(r["status"] == "ok" for r in rows)
    doc = {"clips": len(rows), "ok": ok, "failed": len(rows) - ok, "results": rows}
    paths = {"csv": out / "summary.csv", "json": out / "summary.json"}
    write_text_atomic(paths["csv"], buf.getvalue())
    write_text_atomic(paths["json"], json.dumps(doc, indent=1) + "\n")
    return paths
