"""Command line: ``formcheck analyze | extract | exercises | validate-specs | eval``.

Thin: parses options, shows progress, prints summaries; the work is in
:mod:`formcheck.pipeline`. User errors print one line and exit non-zero.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from .history_cli import DB_HELP, NO_HISTORY_HELP, PERSON_HELP, PROGRAMME_HELP, history_app, open_recording
from .history_cli import report as report_cmd

app = typer.Typer(
    add_completion=False, no_args_is_help=True, help="Count reps and flag form faults in back-exercise videos."
)
# Neither console reads rich markup: messages carry user text (paths, clip and exercise names,
# advice such as pip install -e '.[ray]') whose square brackets must print verbatim. Styles
# come from Text spans (Text.assemble), which are never parsed.
err = Console(stderr=True, markup=False)
out = Console(markup=False)


class UserError(Exception):
    pass


def _fail(msg: str, code: int = 2) -> None:
    err.print(Text.assemble(("error:", "bold red"), f" {msg}"), highlight=False, soft_wrap=True)
    raise typer.Exit(code)


@contextmanager
def _user_errors() -> Iterator[None]:
    from ..engine.specs import SpecError
    from ..media.pose import ModelUnavailable
    from ..media.video import VideoError
    from ..pipeline import NoPersonError

    try:
        yield
    except (VideoError, SpecError, NoPersonError, ModelUnavailable, UserError, ValueError) as e:
        _fail(str(e))
    except KeyboardInterrupt:
        _fail("interrupted", 130)


@contextmanager
def _progress(label: str, enabled: bool = True):
    if not enabled or not err.is_terminal and not _force_progress():
        yield lambda done, total: None
        return
    with Progress(
        TextColumn("{task.description}", style="bold", markup=False),  # descriptions name files
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("frames"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=False,
    ) as p:
        task = p.add_task(label, total=None)

        def cb(done: int, total: int) -> None:
            p.update(task, completed=done, total=max(total, done) if total else None)

        yield cb


def _force_progress() -> bool:
    import os

    return os.environ.get("FORMCHECK_PROGRESS") == "1"


MODEL_HELP = "A MediaPipe pose-landmarker .task file (lite, full or heavy); default: the shipped full model."


def _pose_opts(model: Path | None, max_side: int | None, max_fps: float | None):
    from ..media.pose import check_model
    from ..pipeline import PoseOptions

    if model is not None:
        check_model(model)  # a clear error before any work
    return PoseOptions(model=str(model) if model else None, max_side=max_side, max_fps=max_fps)


@app.command()
def analyze(
    video: Path = typer.Argument(..., help="Video file, or a landmarks .npz made by 'formcheck extract'."),
    exercise: str = typer.Option(
        ...,
        "--exercise",
        "-e",
        help="Spec id (see 'formcheck exercises'), a spec .toml path, or 'auto' to recognise it.",
    ),
    out_dir: Path = typer.Option(Path("results"), "--out", "-o", help="Folder for the outputs."),
    annotate: bool = typer.Option(False, "--annotate", help="Also write <stem>.annotated.mp4."),
    max_side: int | None = typer.Option(None, help="Shrink frames so the longer side is at most this (speed)."),
    max_fps: float | None = typer.Option(None, help="Analyse at most this many frames per second (speed)."),
    model: Path | None = typer.Option(None, "--model", help=MODEL_HELP),
    specs_dir: Path | None = typer.Option(None, help="Folder of exercise specs (default: the shipped ones)."),
    progress: bool = typer.Option(True, help="Show a progress bar."),
    person: str | None = typer.Option(None, "--person", help=PERSON_HELP),
    programme: Path | None = typer.Option(None, "--programme", help=PROGRAMME_HELP),
    db: Path | None = typer.Option(None, "--db", help=DB_HELP),
    no_history: bool = typer.Option(False, "--no-history", help=NO_HISTORY_HELP),
) -> None:
    """Analyse one clip: <stem>.report.json, <stem>.reps.csv (and <stem>.annotated.mp4); record it in the history."""
    from ..engine.specs import get_spec
    from ..io_utils import safe_stem
    from ..results.report import build_report, write_outputs

    with _user_errors():
        auto = exercise == "auto"
        spec = None if auto else get_spec(exercise, specs_dir)
        rec = open_recording(db, no_history, person, programme)  # a bad history is one line, before any work
        stem = safe_stem(video.stem)
        recognition = None
        frames_from: Path | None = video  # the video key frames of the printed report come from
        if video.suffix.lower() == ".npz":
            from ..engine.landmarks import PoseSeq
            from ..media.video import VideoInfo
            from ..pipeline import analyze_seq

            if not video.exists():
                raise UserError(f"{video}: no such file")
            if annotate:
                raise UserError("--annotate needs the video, not a landmarks file")
            seq = PoseSeq.load(video)
            frames_from = Path(seq.source) if seq.source and Path(seq.source).is_file() else None
            duration = float(seq.t_s[-1] - seq.t_s[0]) if len(seq) else 0.0
            info = VideoInfo(seq.source or str(video), seq.width, seq.height, seq.fps, len(seq), duration)
            if not np.isfinite(seq.xy).any():
                raise UserError(f"{video}: no person found in any frame")
            if auto:
                found, spec, res, recognition = _auto(seq, info, specs_dir, out_dir, stem, None)
                if found == "segments":
                    _record_segments(rec, out_dir, stem, str(video), frames_from, None, seq)
                if found != "one":
                    return
            else:
                assert spec is not None
                res = analyze_seq(seq, spec)
            if res.frames_with_pose == 0:
                raise UserError(f"{video}: no person found in any frame")
        else:
            from ..media.video import VIDEO_EXTENSIONS, VideoInfo, probe
            from ..pipeline import analyze_video, annotate_seq, extract

            vinfo = probe(video)  # clear error before any work
            if video.suffix.lower() not in VIDEO_EXTENSIONS:
                note = f" {video.suffix or 'no extension'} is not a usual video extension; trying anyway"
                err.print(Text.assemble(("note:", "yellow"), note), highlight=False)
            ann = out_dir / f"{stem}.annotated.mp4" if annotate else None
            opts = _pose_opts(model, max_side, max_fps)
            if auto:  # one model pass, every spec's engine on the landmarks, then the winner's outputs
                with _progress(f"extracting {video.name}", progress) as cb:
                    seq = extract(video, opts, segmentation=True, progress=cb)
                if not np.isfinite(seq.xy).any():
                    raise UserError(f"{video}: no person found in any of its {len(seq)} frames")
                draw = None
                if ann is not None:
                    from ..pipeline import annotate_segments

                    def draw(parts, seq=seq, ann=ann):
                        annotate_segments(video, seq, parts, ann, opts)

                info = VideoInfo(vinfo.path, seq.width, seq.height, vinfo.fps, len(seq), vinfo.duration_s)
                found, spec, res, recognition = _auto(seq, info, specs_dir, out_dir, stem, draw)
                if found == "segments":
                    _record_segments(rec, out_dir, stem, str(video), video, ann, seq)
                if found != "one":
                    return
                if ann is not None:
                    annotate_seq(video, seq, spec, ann, opts)
            else:
                assert spec is not None
                with _progress(f"analysing {video.name}", progress) as cb:
                    res, info = analyze_video(video, spec, opts, ann, cb)
        report = build_report(res, info, str(video))
        if recognition is not None:
            report["recognition"] = recognition
        paths = write_outputs(report, out_dir, stem)
    _print_summary(report)
    for p in paths.values():
        out.print(f"wrote {p}", highlight=False)
    if annotate:
        out.print(f"wrote {out_dir / (stem + '.annotated.mp4')}", highlight=False)
    if rec is not None:
        with _user_errors():
            ann_path = out_dir / f"{stem}.annotated.mp4" if annotate else None
            rec.record(report, **_file_session(video, report, frames_from, ann_path))


def _file_session(
    video: Path, report: dict, frames_from: Path | None, annotated: Path | None, total_s: float | None = None
) -> dict:
    """How a clip analysed from a file is recorded: when it started (the file's time less the
    recording's length, plus the segment's start), and the videos its key frames come from."""
    import datetime as dt

    from ..results.history import started_from_file

    seg = report.get("segment")
    start = started_from_file(video, total_s if seg else report["video"]["duration_s"])
    return {
        "kind": "analyze",
        "source": str(video),
        "started_at": start + dt.timedelta(seconds=seg["start_s"]) if seg else start,
        "video_path": frames_from.resolve() if frames_from is not None else None,
        "annotated_path": annotated.resolve() if annotated is not None else None,
    }


def _record_segments(rec, out_dir: Path, stem: str, source: str, frames_from, annotated, seq) -> None:
    """Each segment of a split recording is one session (from its written report)."""
    if rec is None:
        return
    total = float(seq.t_s[-1]) if len(seq) else 0.0
    listing = json.loads((out_dir / f"{stem}.segments.json").read_text())
    for row in listing["segments"]:
        report = json.loads((out_dir / row["report"]).read_text())
        ann = annotated if annotated is not None and Path(annotated).exists() else None
        rec.record(report, **_file_session(Path(source), report, frames_from, ann, total))


def _auto(seq, info, specs_dir, out_dir: Path, stem: str, draw):
    """--exercise auto: ``(found, spec, result, recognition)``. ``found`` is ``"segments"``
    (several exercises: one report per segment written), ``"none"`` (none of them: a report
    saying so written; nothing is recorded in the history) or ``"one"`` (the recognised spec
    and its analysis of the whole recording, for the caller to report)."""
    from ..engine.specs import load_specs
    from ..pipeline import auto

    ar = auto(seq, load_specs(specs_dir))
    if len(ar.parts) >= 2:
        _write_segments(seq, info.path, ar.parts, out_dir, stem, draw)
        return "segments", None, None, ar.recognition
    if not ar.parts:
        _none_of_them(seq, info, ar.recognition, out_dir, stem, annotated=draw is not None)
        return "none", None, None, ar.recognition
    _, spec, res = ar.parts[0]
    rec = ar.recognition
    out.print(
        Text.assemble("recognised ", (spec.id, "bold"), f" (confidence {rec['confidence']:.0%})"), highlight=False
    )
    return "one", spec, res, rec


def _write_segments(seq, source: str, parts, out_dir: Path, stem: str, draw) -> None:
    """One report per segment (<stem>.<k>-<exercise>.report.json / .reps.csv) and <stem>.segments.json."""
    from ..results.report import write_segment_outputs

    out.print(f"found {len(parts)} exercises in this recording", highlight=False)
    for r in write_segment_outputs(parts, seq, source, out_dir, stem):
        out.print(
            Text.assemble(
                f"{r['index']}. {r['start_s']:6.1f}-{r['end_s']:6.1f} s  ",
                (r["exercise"], "bold"),
                f" ({r['confidence']:.0%}): {r['rep_count']} reps, {sum(r['faults'].values())} faults -> {r['report']}",
            ),
            highlight=False,
        )
    out.print(f"wrote {out_dir / (stem + '.segments.json')}", highlight=False)
    if draw is not None:
        draw([(seg, spec) for seg, spec, _ in parts])
        out.print(f"wrote {out_dir / (stem + '.annotated.mp4')}", highlight=False)


def _none_of_them(seq, info, recognition: dict, out_dir: Path, stem: str, annotated: bool) -> None:
    """No spec fits: say so, with the closest candidates and why each was rejected, and
    write a report with ``exercise: unknown`` (no reps, no faults)."""
    from ..pipeline import NONE_OF_THEM
    from ..results.report import build_unknown_report, write_outputs

    out.print(
        Text.assemble((NONE_OF_THEM[0].upper() + NONE_OF_THEM[1:], "bold yellow"), ": nothing was analysed."),
        highlight=False,
    )
    seen = ", ".join(f"{k} {v:.0%}" for k, v in recognition.get("posture", {}).items() if v >= 0.1)
    if seen:
        out.print(f"  body position: {seen}", highlight=False)
    for c in recognition["candidates"]:
        out.print(
            Text.assemble("  closest: ", (c["exercise"], "bold"), f" - {c.get('rejected') or 'too weak a fit'}"),
            highlight=False,
        )
    report = build_unknown_report(seq, info, recognition)
    for p in write_outputs(report, out_dir, stem).values():
        out.print(f"wrote {p}", highlight=False)
    if annotated:
        out.print("no annotated video: there is no exercise to draw", highlight=False)


def _print_summary(report: dict) -> None:
    out.print(
        Text.assemble(
            (report["exercise_name"], "bold"),
            f": {report['rep_count']} reps | view {report['view']} | "
            f"pose found in {report['frames_with_pose']:.0%} of frames",
        ),
        highlight=False,
    )
    if report["reps"]:
        t = Table("rep", "time (s)", "ROM", "up/down (s)", "faults")
        for r in report["reps"]:
            rom = next((v for k, v in r.items() if k.startswith("rom_")), None)
            t.add_row(
                str(r["index"]),
                f"{r['start_s']:.1f}-{r['end_s']:.1f}",
                "-" if rom is None else f"{rom:.0f}",
                f"{r['concentric_s']:.1f}/{r['eccentric_s']:.1f}",
                ", ".join(r["faults"]) or "-",
            )
        out.print(t)
    other = [f for f in report["faults"] if f["rep"] is None]
    for f in other:
        out.print(f"  fault outside a counted rep: {f['id']} at {f['start_s']:.1f}-{f['end_s']:.1f}s", highlight=False)
    for w in report["warnings"]:
        out.print(
            Text.assemble(
                "  ", ("warning", "yellow"), f" {w['id']}: {w['message']} ({w['start_s']:.1f}-{w['end_s']:.1f}s)"
            ),
            highlight=False,
        )


@app.command()
def extract(
    video: Path = typer.Argument(..., help="Video file."),
    output: Path = typer.Option(..., "-o", "--output", help="Landmarks file to write (.npz)."),
    max_side: int | None = typer.Option(None),
    max_fps: float | None = typer.Option(None),
    model: Path | None = typer.Option(None, "--model", help=MODEL_HELP),
    back: bool = typer.Option(True, help="Trace the back outline (needs the segmentation mask)."),
    progress: bool = typer.Option(True),
) -> None:
    """Run the pose model once and save the landmarks, for re-analysis without the model."""
    from ..pipeline import extract as do_extract

    with _user_errors():
        if output.suffix != ".npz":
            raise UserError("--output must end in .npz")
        with _progress(f"extracting {video.name}", progress) as cb:
            seq = do_extract(video, _pose_opts(model, max_side, max_fps), segmentation=back, progress=cb)
        seq.save(output)
    out.print(f"wrote {output} ({len(seq)} frames)", highlight=False)


@app.command()
def exercises(specs_dir: Path | None = typer.Option(None)) -> None:
    """List the exercise specs, one line each."""
    from ..engine.specs import load_specs

    with _user_errors():
        specs = load_specs(specs_dir)
    for s in specs.values():
        out.print(Text.assemble((s.id, "bold"), f"  {s.summary}"), highlight=False)


@app.command("validate-specs")
def validate_specs(
    directory: Path | None = typer.Argument(None, help="Spec folder (default: the shipped one)."),
) -> None:
    """Check every spec file; print each error with its file and field."""
    from ..engine.specs import SpecError, load_specs

    try:
        specs = load_specs(directory)
    except SpecError as e:
        for line in str(e).splitlines():
            err.print(Text(line, style="red"), highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    out.print(f"{len(specs)} specs OK: {', '.join(specs)}", highlight=False)


@app.command("eval")
def eval_cmd(
    labels: Path = typer.Argument(
        ..., help="CSV with columns path,exercise,reps,faults (see formcheck.results.evaluate)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON for machines."),
    markdown: bool = typer.Option(False, "--markdown", help="Print Markdown tables (for the README)."),
    landmarks: Path | None = typer.Option(
        None, help="Folder of <stem>.npz landmark files to use instead of running the model."
    ),
    max_side: int | None = typer.Option(None, help="As in analyze: measure the accuracy cost of shrinking frames."),
    max_fps: float | None = typer.Option(None, help="As in analyze: measure the accuracy cost of fewer frames."),
    model: Path | None = typer.Option(None, "--model", help=MODEL_HELP),
    variants: str | None = typer.Option(
        None,
        "--variants",
        help="Robustness suite: 'all' or a comma list of mirror, small, tilt+10, tilt-10, upper, trim, cut "
        "(each clip remade and counted again with the real model).",
    ),
    work: Path = typer.Option(
        Path("results/variants"), "--work", help="Where the robustness suite writes (and reuses) its clips."
    ),
    jobs: int = typer.Option(1, "--jobs", "-j", min=1, help="Robustness suite: clips counted in parallel."),
    recognition: bool = typer.Option(
        False,
        "--recognition",
        help="Measure --exercise auto instead: LABELS has path,exercise with a spec id, a|b, or 'unknown'.",
    ),
    progress: bool = typer.Option(True),
) -> None:
    """Compare counts and faults with hand labels (with --variants, the robustness suite; with
    --recognition, the recognised exercise); print per clip and totals."""
    from ..engine.landmarks import PoseSeq
    from ..engine.specs import get_spec
    from ..pipeline import analyze_seq, analyze_video
    from ..results.evaluate import evaluate, markdown_report, read_labels

    if variants is not None:
        with _user_errors():
            _eval_variants(read_labels(labels), variants, work, jobs, as_json, markdown, progress)
        return

    if recognition:
        _eval_recognition(labels, landmarks, as_json, markdown, _pose_opts(model, max_side, max_fps), progress)
        return

    def run(path: Path, exercise: str) -> tuple[int, list[str]]:
        spec = get_spec(exercise)
        npz = landmark_file(landmarks, path) if landmarks else None
        if npz is not None:
            res = analyze_seq(PoseSeq.load(npz), spec)
        else:
            with _progress(f"{path.name}", progress) as cb:
                res, _ = analyze_video(path, spec, _pose_opts(model, max_side, max_fps), progress=cb)
        return len(res.reps), [f.id for f in res.faults]

    with _user_errors():
        clips, summary = evaluate(labels, run)
    if as_json:
        out.print_json(
            json.dumps(
                {
                    "clips": [
                        c.__dict__ | {"missed": c.missed, "unexpected": c.unexpected, "unjudged": c.unjudged}
                        for c in clips
                    ],
                    "summary": summary,
                }
            )
        )
    elif markdown:
        print(markdown_report(clips, summary))
    else:
        t = Table("clip", "exercise", "true", "counted", "faults expected", "found", "missed", "false alarms")
        for c in clips:
            t.add_row(
                Path(c.path).name,
                c.exercise,
                str(c.true_reps) if c.lo == c.hi else f"{c.true_reps} ({c.lo}-{c.hi})",
                "error" if c.counted is None else str(c.counted),
                ", ".join(c.expected) or "-",
                ", ".join(f for f in c.found if f in c.expected) or "-",
                ", ".join(c.missed) or "-",
                ", ".join(c.unexpected) or "-",
            )
        out.print(t)
        for c in clips:
            if c.error:
                out.print(Text.assemble(("error", "red"), f" {c.path}: {c.error}"), highlight=False)
        s = summary
        out.print(
            f"clips {s['evaluated']}/{s['clips']} | exact count {s['exact_count_rate']} | within one {s['within_one_rate']} | "
            f"normalised count MAE {s['count_mae_normalised']}",
            highlight=False,
        )
        ft = Table("fault", "visible in", "absent in", "found", "false alarms", "missed", "precision", "recall")
        for fid, m in s["faults"].items():
            ft.add_row(
                fid,
                *(str(m[k]) for k in ("labelled", "absent", "tp", "fp", "fn", "precision", "recall")),
            )
        out.print(ft)
    if summary["errors"]:
        raise typer.Exit(1)


def _eval_variants(labels, which: str, work: Path, jobs: int, as_json: bool, markdown: bool, show: bool) -> None:
    """``formcheck eval --variants``: the robustness suite (formcheck.results.variants)."""
    from ..results.variants import VARIANTS, run_suite, summarise_runs

    names = list(VARIANTS) if which.strip() == "all" else [v.strip() for v in which.split(",") if v.strip()]
    with _progress("robustness suite", show) as cb:
        rows = run_suite(labels, names, work, jobs=jobs, progress=cb)
    summary = summarise_runs(rows)
    if as_json:
        out.print_json(json.dumps({"runs": rows, "summary": summary}))
        return
    head = "| variant | runs | exact | within one | errors |\n|---|---|---|---|---|"
    lines = [f"| {k} | {v['runs']} | {v['exact']} | {v['within_one']} | {v['errors']} |" for k, v in summary.items()]
    if markdown:
        print("\n".join([head, *lines]))
        return
    t = Table("clip", "variant", "right count", "counted")
    for r in rows:
        right = str(r["lo"]) if r["lo"] == r["hi"] else f"{r['lo']}-{r['hi']}"
        got = "error" if r["counted"] is None else str(r["counted"])
        ok = r["counted"] is not None and r["lo"] - 1 <= r["counted"] <= r["hi"] + 1
        t.add_row(Path(r["path"]).name, r["variant"], right, got if ok else Text(got, "red"))
    out.print(t)
    st = Table("variant / class", "runs", "exact", "within one", "errors")
    for k, v in summary.items():
        st.add_row(k, str(v["runs"]), str(v["exact"]), str(v["within_one"]), str(v["errors"]))
    out.print(st)
    for r in rows:
        if r.get("error"):
            out.print(Text.assemble(("error", "red"), f" {r['path']} ({r['variant']}): {r['error']}"), highlight=False)


def landmark_file(folder: Path, clip: Path) -> Path | None:
    """The stored landmarks of ``clip`` in ``folder``, if any: the clip's last folders and name
    joined by ``_`` (``gymnai/squat.mp4`` -> ``gymnai_squat.mp4.npz``, as ``extract`` runs over
    a tree are usually named), longest first, with or without the video suffix; then
    ``<stem>.npz``."""
    parts = clip.parts
    names = []
    for k in (3, 2, 1):
        if len(parts) >= k:
            joined = "_".join(parts[-k:])
            names += [joined + ".npz", joined.removesuffix(clip.suffix) + ".npz"]
    names.append(clip.stem + ".npz")
    for n in dict.fromkeys(names):
        if (folder / n).exists():
            return folder / n
    return None


def _eval_recognition(
    labels: Path, landmarks: Path | None, as_json: bool, markdown: bool, opts, progress: bool
) -> None:
    from ..engine.landmarks import PoseSeq
    from ..engine.specs import load_specs
    from ..pipeline import extract, recognise_clip
    from ..results.evaluate import evaluate_recognition, recognition_markdown

    specs = load_specs()

    def run(path: Path) -> str:
        npz = landmark_file(landmarks, path) if landmarks else None
        if npz is not None:
            seq = PoseSeq.load(npz)
        else:
            with _progress(f"{path.name}", progress) as cb:
                seq = extract(path, opts, segmentation=True, progress=cb)
        return recognise_clip(seq, specs)["exercise"]

    with _user_errors():
        clips, summary = evaluate_recognition(labels, run)
    if as_json:
        out.print_json(json.dumps({"clips": [c.__dict__ | {"right": c.right} for c in clips], "summary": summary}))
    elif markdown:
        print(recognition_markdown(clips, summary))
    else:
        t = Table("clip", "is", "said", "")
        for c in clips:
            t.add_row(
                Path(c.path).name,
                "|".join(c.expected),
                "error" if c.answer is None else c.answer,
                "" if c.answer is None else ("ok" if c.right else Text("wrong", style="red")),
            )
        out.print(t)
        for c in clips:
            if c.error:
                out.print(Text.assemble(("error", "red"), f" {c.path}: {c.error}"), highlight=False)
        s = summary
        out.print(
            f"right exercise {s['right_exercise']}/{s['with_spec']} ({s['accuracy']}) on clips of exercises with a spec | "
            f"unknown {s['said_unknown']}/{s['without_spec']} ({s['unknown_rate']}) on clips without one",
            highlight=False,
        )
        ct = Table("clip is", "formcheck said (clips)")
        for exp, row in s["confusion"].items():
            said = Text(", ").join(Text(f"{a} {n}", style="" if a == exp else "red") for a, n in row.items())
            ct.add_row(exp, said)
        out.print(ct)
    if summary["errors"]:
        raise typer.Exit(1)


@app.command()
def batch(
    clips_dir: Path = typer.Argument(..., help="Folder of clips (searched recursively)."),
    exercise: str | None = typer.Option(
        None,
        "--exercise",
        "-e",
        help="Spec id for every clip, or 'auto' to recognise (and split) each (or use --manifest).",
    ),
    out_dir: Path = typer.Option(Path("results"), "--out", "-o", help="Folder for all outputs and summary.csv/json."),
    jobs: int = typer.Option(
        os.cpu_count() or 1, "--jobs", "-j", min=1, help="Clips analysed in parallel (default: all cores)."
    ),
    annotate: bool = typer.Option(False, "--annotate", help="Also write annotated videos."),
    engine: str = typer.Option("local", "--engine", help="local (process pool) or ray."),
    address: str | None = typer.Option(None, "--address", help="Ray cluster address (default: start a local one)."),
    manifest: Path | None = typer.Option(None, "--manifest", help="CSV path,exercise for mixed folders."),
    resume: bool = typer.Option(False, "--resume", help="Skip clips already finished in --out; redo the rest."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Redo every clip even if results exist."),
    max_side: int | None = typer.Option(None, help="Shrink frames so the longer side is at most this."),
    max_fps: float | None = typer.Option(None, help="Analyse at most this many frames per second."),
    model: Path | None = typer.Option(None, "--model", help=MODEL_HELP),
    progress: bool = typer.Option(True, help="Show progress bars."),
    person: str | None = typer.Option(None, "--person", help=PERSON_HELP),
    programme: Path | None = typer.Option(None, "--programme", help=PROGRAMME_HELP),
    db: Path | None = typer.Option(None, "--db", help=DB_HELP),
    no_history: bool = typer.Option(False, "--no-history", help=NO_HISTORY_HELP),
) -> None:
    """Analyse every clip in a folder; per-clip outputs plus summary.csv / summary.json; each clip is
    recorded in the history (once: --resume and --overwrite replace a clip's session)."""
    from . import batch as b

    if engine not in ("local", "ray"):
        _fail(f"--engine must be local or ray, not {engine!r}")
    if exercise is None and manifest is None:
        _fail("give --exercise or --manifest")
    if resume and overwrite:
        _fail("--resume and --overwrite exclude each other")
    with _user_errors():
        try:
            todo = b.plan(clips_dir, exercise, manifest)
        except b.BatchError as e:
            raise UserError(str(e)) from None
        if not todo:
            raise UserError(f"{clips_dir}: no video files found")
        if model is not None:
            from ..media.pose import check_model

            check_model(model)
        from ..engine.specs import get_spec

        for ex in sorted({j.exercise for j in todo}):
            if ex != b.AUTO:
                get_spec(ex)  # an unknown exercise stops the batch before any work
        rec = open_recording(db, no_history, person, programme)
        out_dir.mkdir(parents=True, exist_ok=True)
        done: list = []
        existing = [
            j
            for j in todo
            if any(
                (out_dir / n).exists() for n in [*b.outputs_of(j.stem, annotate, j.exercise), j.stem + b.STATUS_SUFFIX]
            )
        ]
        if existing and not (resume or overwrite):
            raise UserError(
                f"{out_dir} already has results for {len(existing)} of these clips: use --resume to continue or --overwrite to redo them"
            )
        if resume:
            for j in list(todo):
                r = b.is_finished(out_dir, j, annotate)
                if r is not None:
                    done.append(r)
                    todo.remove(j)
            if done:
                out.print(f"resuming: {len(done)} clips already finished, {len(todo)} to do", highlight=False)
    # workers that share the cores decode single-threaded: the model (one inference thread) is the work to spread
    workers = 1 if engine == "ray" else max(1, min(jobs, len(todo)))
    opts: dict[str, Any] = {
        "max_side": max_side,
        "max_fps": max_fps,
        "decode_threads": 1 if workers > 1 else 0,
        "model": str(model.resolve()) if model else None,
    }
    if rec is not None:
        opts["history"] = rec.worker_options()  # each worker records its clips (one transaction per session)
    results = list(done)
    code = _run_batch(b, todo, out_dir, annotate, opts, jobs, engine, address, results, progress)
    paths = b.write_summary(out_dir, results)
    _print_batch_table(results)
    out.print(f"wrote {paths['csv']} and {paths['json']}", highlight=False)
    failed = sum(r.status != "ok" for r in results)
    if code:
        err.print("interrupted: finished clips are kept; rerun with --resume to do the rest")
        raise typer.Exit(code)
    if failed:
        err.print(Text.assemble((f"{failed} of {len(results)} clips failed", "red"), " (see summary.csv)"))
        raise typer.Exit(1)


def _run_batch(b, todo, out_dir, annotate, opts, jobs, engine, address, results, show) -> int:
    import threading

    expected = {j.stem: j.frames for j in todo}  # from the container's metadata (batch.plan)
    total_frames = sum(expected.values())
    enabled = show and (err.is_terminal or _force_progress())
    prog = Progress(
        TextColumn("{task.description}", style="bold", markup=False),  # descriptions name files
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        console=err,
        disable=not enabled,
    )
    clips_task = prog.add_task("clips", total=len(todo) + len(results), completed=len(results))
    frames_task = prog.add_task("frames", total=total_frames or None)
    seen: dict[str, int] = {}
    lock = threading.Lock()

    def on_done(r) -> None:
        with lock:
            results.append(r)
            seen[r.stem] = expected.get(r.stem, 0)
            prog.update(clips_task, advance=1)
            prog.update(frames_task, completed=sum(seen.values()))
            if r.status != "ok":
                prog.console.print(Text.assemble(("failed", "red"), f" {r.rel}: {r.error}"), highlight=False)

    queue = None
    stop = threading.Event()
    if engine == "local" and enabled:
        from multiprocessing import get_context

        manager = get_context("spawn").Manager()
        queue = manager.Queue()

        def pump() -> None:
            while not stop.is_set():
                try:
                    stem, n, _ = queue.get(timeout=0.2)
                except Exception:
                    continue
                with lock:
                    seen[stem] = max(seen.get(stem, 0), n)
                    prog.update(frames_task, completed=sum(seen.values()))

        threading.Thread(target=pump, daemon=True).start()
    try:
        with prog:
            if engine == "ray":
                b.run_ray(todo, out_dir, annotate, opts, jobs, on_done, address)
            else:
                b.run_local(todo, out_dir, annotate, opts, jobs, on_done, queue)
    except KeyboardInterrupt:
        return 130
    except b.BatchError as e:
        _fail(str(e))
    finally:
        stop.set()
    return 0


def _print_batch_table(results) -> None:
    t = Table("clip", "exercise", "status", "reps", "faults", "s")
    for r in sorted(results, key=lambda r: r.rel):
        faults = ", ".join(f"{k}x{v}" for k, v in sorted(r.faults.items())) or "-"
        t.add_row(
            r.rel,
            r.exercise,
            "ok" if r.status == "ok" else Text(r.error[:60], style="red"),
            "-" if r.reps is None else str(r.reps),
            faults,
            f"{r.seconds:.1f}",
        )
    out.print(t)


@app.command()
def live(
    exercise: str = typer.Option(..., "--exercise", "-e", help="Spec id."),
    camera: int = typer.Option(0, "--camera", help="Camera index (OpenCV)."),
    source: Path | None = typer.Option(None, "--source", help="Play this video file as if it were a camera."),
    window: bool = typer.Option(True, help="Show the OpenCV window (q quits, n new set, r reset)."),
    max_seconds: float | None = typer.Option(None, help="Stop after this many seconds."),
    back: bool = typer.Option(True, help="Trace the back outline (costs model time; needed for back_not_flat)."),
    model: Path | None = typer.Option(None, "--model", help=MODEL_HELP),
    person: str | None = typer.Option(None, "--person", help=PERSON_HELP),
    db: Path | None = typer.Option(None, "--db", help=DB_HELP),
    no_history: bool = typer.Option(False, "--no-history", help=NO_HISTORY_HELP),
    voice: bool = typer.Option(
        True, help="Say the count and the cues aloud (offline, through espeak-ng; without it: a warning, no voice)."
    ),
    say: str = typer.Option("both", "--say", help="What is said: both, count (with sets and holds) or cues."),
) -> None:
    """Live coaching from a camera (or a file played in real time) in an OpenCV window, with the count
    and cues said aloud; the session is recorded in the history at each new set, reset and at the end."""
    import time

    from ..engine.specs import get_spec
    from ..media.video import iter_frames, probe
    from .live import CameraError, LatestFrame, LiveCoach, camera_frames, fmt_status, paced

    with _user_errors():
        spec = get_spec(exercise)
        rec = open_recording(db, no_history, person)
        if model is not None:
            from ..media.pose import check_model

            check_model(model)
        if (
            window
            and sys.platform.startswith("linux")
            and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
        ):
            raise UserError("no display for a window here; use --no-window (the summary is printed at the end)")
        if source is not None:
            probe(source)
            frames = paced(iter_frames(source))
        else:
            try:
                frames = camera_frames(camera)
                first = next(frames)
            except (CameraError, StopIteration) as e:
                raise UserError(str(e) or f"camera {camera} gave no frames") from None

            def with_first(first=first, rest=frames):
                yield first
                yield from rest

            frames = with_first()
    from .cues import SPOKEN

    if say not in SPOKEN:
        _fail(f"--say must be one of: {', '.join(SPOKEN)}")
    coach = LiveCoach(spec, back=back, model=str(model) if model else None)
    speaker = None
    if voice:
        from .speech import Speaker

        speaker = Speaker.find()
        if speaker is None:
            err.print(
                "warning: no voice: no speech program found (install espeak-ng: apt install espeak-ng), or use --no-voice",
                highlight=False,
                soft_wrap=True,
            )
        else:
            coach.cues.kinds = SPOKEN[say]
            coach.on_utterance = lambda u: speaker.say(u.text)  # returns at once: speech never holds up frames
    recorder = None
    if rec is not None:
        from .live_history import LiveHistory

        recorder = LiveHistory(coach, rec.hist, rec.person, str(source) if source else f"camera {camera}")
    latest = LatestFrame(frames)
    cv2: Any = None
    if window:
        import cv2
    t_end = time.perf_counter() + max_seconds if max_seconds else None
    out.print(f"{spec.name}: {spec.view_advice}. q quits, n starts a new set, r resets.", highlight=False)
    try:
        while t_end is None or time.perf_counter() < t_end:
            item = latest.get(timeout=5.0)
            if item is None:
                break
            shown = coach.process(*item)
            if cv2 is not None:
                cv2.imshow("formcheck", cv2.cvtColor(shown, cv2.COLOR_RGB2BGR))
                key = cv2.waitKey(1) & 0xFF
                if key == ord("q"):
                    break
                if key == ord("n"):
                    coach.new_set()
                if key == ord("r"):
                    coach.reset()
    except KeyboardInterrupt:
        pass
    finally:
        if cv2 is not None:
            cv2.destroyAllWindows()
        coach.close()
        if speaker is not None:
            speaker.close()
            if speaker.error:
                err.print(f"warning: the voice stopped: {speaker.error}", highlight=False, soft_wrap=True)
    status = coach.snapshot()
    out.print(fmt_status(status) + f"; {latest.dropped} frames dropped to keep up", highlight=False)
    if recorder is not None:
        if recorder.recorded:
            ids = ", ".join(map(str, recorder.recorded))
            out.print(f"recorded session {ids} in {recorder.hist.path}", highlight=False, soft_wrap=True)
        if recorder.error:
            _fail(recorder.error)


@app.command()
def programme(
    programme_file: Path = typer.Argument(..., help="Programme TOML (see programmes/)."),
    reports: list[Path] = typer.Argument(..., help="Report JSON files of the session (from analyze or batch)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON for machines."),
) -> None:
    """Score a session against a programme: sets done, reps per set against the target, rest, faults."""
    from ..results.programme import load_programme, score

    with _user_errors():
        prog = load_programme(programme_file)
        docs = []
        for p in reports:
            try:
                doc = json.loads(p.read_text())
            except (OSError, ValueError) as e:
                raise UserError(f"{p}: not a readable report ({e})") from None
            if not isinstance(doc, dict) or not {"exercise", "sets", "faults", "video"} <= doc.keys():
                raise UserError(
                    f"{p}: not a formcheck report (needs exercise, sets, faults, video; made by analyze or batch)"
                )
            docs.append(doc)
        result = score(prog, docs)
    if as_json:
        out.print_json(json.dumps(result))
        return
    t = Table("exercise", "target", "status", "sets", "reps per set", "rest (s)")
    for ex in result["exercises"]:
        sets = ex["sets"]
        t.add_row(
            ex["exercise"],
            f"{ex['target_sets']} x {ex['target_reps'][0]}-{ex['target_reps'][1]}",
            ex["status"],
            str(len(sets)),
            " ".join(f"{s['reps']}{'' if s['verdict'] == 'ok' else '(' + s['verdict'] + ')'}" for s in sets) or "-",
            " ".join("-" if s["rest_before_s"] is None else f"{s['rest_before_s']:.0f}" for s in sets) or "-",
        )
    out.print(
        Text.assemble(
            (result["programme"], "bold"),
            f": {result['sets_on_target']} of {result['sets_targeted']} scored sets on target",
        ),
        highlight=False,
    )
    out.print(t)


app.add_typer(history_app, name="history")
app.command("report")(report_cmd)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)


if __name__ == "__main__":
    main()
