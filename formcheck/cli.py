"""Command line: ``formcheck analyze | extract | exercises | validate-specs | eval``.

Thin: parses options, shows progress, prints summaries; the work is in
:mod:`formcheck.pipeline`. User errors print one line and exit non-zero.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

app = typer.Typer(
    add_completion=False, no_args_is_help=True, help="Count reps and flag form faults in back-exercise videos."
)
err = Console(stderr=True)
out = Console()


class UserError(Exception):
    pass


def _fail(msg: str, code: int = 2) -> None:
    err.print(f"[bold red]error:[/] {msg}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


@contextmanager
def _user_errors() -> Iterator[None]:
    from .pipeline import NoPersonError
    from .pose import ModelUnavailable
    from .specs import SpecError
    from .video import VideoError

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
        TextColumn("[bold]{task.description}"),
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


def _pose_opts(model_complexity: int, max_side: int | None, max_fps: float | None):
    from .pipeline import PoseOptions

    return PoseOptions(model_complexity=model_complexity, max_side=max_side, max_fps=max_fps)


@app.command()
def analyze(
    video: Path = typer.Argument(..., help="Video file, or a landmarks .npz made by 'formcheck extract'."),
    exercise: str = typer.Option(
        ..., "--exercise", "-e", help="Spec id (see 'formcheck exercises') or a spec .toml path."
    ),
    out_dir: Path = typer.Option(Path("results"), "--out", "-o", help="Folder for the outputs."),
    annotate: bool = typer.Option(False, "--annotate", help="Also write <stem>.annotated.mp4."),
    max_side: int | None = typer.Option(None, help="Shrink frames so the longer side is at most this (speed)."),
    max_fps: float | None = typer.Option(None, help="Analyse at most this many frames per second (speed)."),
    model_complexity: int = typer.Option(1, help="BlazePose model: 1 (full, bundled); 0/2 need their model file."),
    specs_dir: Path | None = typer.Option(None, help="Folder of exercise specs (default: the shipped ones)."),
    progress: bool = typer.Option(True, help="Show a progress bar."),
) -> None:
    """Analyse one clip: <stem>.report.json, <stem>.reps.csv (and <stem>.annotated.mp4)."""
    from .io_utils import safe_stem
    from .report import build_report, write_outputs
    from .specs import get_spec

    with _user_errors():
        spec = get_spec(exercise, specs_dir)
        stem = safe_stem(video.stem)
        if video.suffix.lower() == ".npz":
            from .landmarks import PoseSeq
            from .pipeline import analyze_seq
            from .video import VideoInfo

            if not video.exists():
                raise UserError(f"{video}: no such file")
            if annotate:
                raise UserError("--annotate needs the video, not a landmarks file")
            seq = PoseSeq.load(video)
            res = analyze_seq(seq, spec)
            info = VideoInfo(
                seq.source or str(video),
                seq.width,
                seq.height,
                seq.fps,
                len(seq),
                float(seq.t_s[-1] - seq.t_s[0]) if len(seq) else 0.0,
            )
            if res.frames_with_pose == 0:
                raise UserError(f"{video}: no person found in any frame")
        else:
            from .pipeline import analyze_video
            from .video import VIDEO_EXTENSIONS, probe

            probe(video)  # clear error before any work
            if video.suffix.lower() not in VIDEO_EXTENSIONS:
                err.print(
                    f"[yellow]note:[/] {video.suffix or 'no extension'} is not a usual video extension; trying anyway"
                )
            ann = out_dir / f"{stem}.annotated.mp4" if annotate else None
            with _progress(f"analysing {video.name}", progress) as cb:
                res, info = analyze_video(video, spec, _pose_opts(model_complexity, max_side, max_fps), ann, cb)
        report = build_report(res, info, str(video))
        paths = write_outputs(report, out_dir, stem)
    _print_summary(report)
    for p in paths.values():
        out.print(f"wrote {p}", highlight=False)
    if annotate:
        out.print(f"wrote {out_dir / (stem + '.annotated.mp4')}", highlight=False)


def _print_summary(report: dict) -> None:
    out.print(
        f"[bold]{report['exercise_name']}[/]: {report['rep_count']} reps | view {report['view']} | "
        f"pose found in {report['frames_with_pose']:.0%} of frames",
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
            f"  [yellow]warning[/] {w['id']}: {w['message']} ({w['start_s']:.1f}-{w['end_s']:.1f}s)", highlight=False
        )


@app.command()
def extract(
    video: Path = typer.Argument(..., help="Video file."),
    output: Path = typer.Option(..., "-o", "--output", help="Landmarks file to write (.npz)."),
    max_side: int | None = typer.Option(None),
    max_fps: float | None = typer.Option(None),
    model_complexity: int = typer.Option(1),
    back: bool = typer.Option(True, help="Trace the back outline (needs the segmentation mask)."),
    progress: bool = typer.Option(True),
) -> None:
    """Run the pose model once and save the landmarks, for re-analysis without the model."""
    from .pipeline import extract as do_extract

    with _user_errors():
        if output.suffix != ".npz":
            raise UserError("--output must end in .npz")
        with _progress(f"extracting {video.name}", progress) as cb:
            seq = do_extract(video, _pose_opts(model_complexity, max_side, max_fps), segmentation=back, progress=cb)
        seq.save(output)
    out.print(f"wrote {output} ({len(seq)} frames)", highlight=False)


@app.command()
def exercises(specs_dir: Path | None = typer.Option(None)) -> None:
    """List the exercise specs, one line each."""
    from .specs import load_specs

    with _user_errors():
        specs = load_specs(specs_dir)
    for s in specs.values():
        out.print(f"[bold]{s.id}[/]  {s.summary}", highlight=False)


@app.command("validate-specs")
def validate_specs(
    directory: Path | None = typer.Argument(None, help="Spec folder (default: the shipped one)."),
) -> None:
    """Check every spec file; print each error with its file and field."""
    from .specs import SpecError, load_specs

    try:
        specs = load_specs(directory)
    except SpecError as e:
        for line in str(e).splitlines():
            err.print(f"[red]{line}[/]", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    out.print(f"{len(specs)} specs OK: {', '.join(specs)}", highlight=False)


@app.command("eval")
def eval_cmd(
    labels: Path = typer.Argument(..., help="CSV with columns path,exercise,reps,faults."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON for machines."),
    markdown: bool = typer.Option(False, "--markdown", help="Print Markdown tables (for the README)."),
    landmarks: Path | None = typer.Option(
        None, help="Folder of <stem>.npz landmark files to use instead of running the model."
    ),
    progress: bool = typer.Option(True),
) -> None:
    """Compare counts and faults with hand labels; print per clip and totals."""
    from .evaluate import evaluate
    from .landmarks import PoseSeq
    from .pipeline import analyze_seq, analyze_video
    from .specs import get_spec

    def run(path: Path, exercise: str) -> tuple[int, list[str]]:
        spec = get_spec(exercise)
        npz = landmarks / f"{path.stem}.npz" if landmarks else None
        if npz is not None and npz.exists():
            res = analyze_seq(PoseSeq.load(npz), spec)
        else:
            with _progress(f"{path.name}", progress) as cb:
                res, _ = analyze_video(path, spec, progress=cb)
        return len(res.reps), [f.id for f in res.faults]

    from .evaluate import markdown_report

    with _user_errors():
        clips, summary = evaluate(labels, run)
    if as_json:
        out.print_json(
            json.dumps(
                {
                    "clips": [c.__dict__ | {"missed": c.missed, "unexpected": c.unexpected} for c in clips],
                    "summary": summary,
                }
            )
        )
    elif markdown:
        print(markdown_report(clips, summary))
    else:
        t = Table("clip", "exercise", "true", "counted", "faults expected", "found", "missed", "unexpected")
        for c in clips:
            t.add_row(
                Path(c.path).name,
                c.exercise,
                str(c.true_reps),
                "error" if c.counted is None else str(c.counted),
                ", ".join(c.expected) or "-",
                ", ".join(f for f in c.found if f in c.expected) or "-",
                ", ".join(c.missed) or "-",
                ", ".join(c.unexpected) or "-",
            )
        out.print(t)
        for c in clips:
            if c.error:
                out.print(f"[red]error[/] {c.path}: {c.error}", highlight=False)
        s = summary
        out.print(
            f"clips {s['evaluated']}/{s['clips']} | exact count {s['exact_count_rate']} | off by one {s['off_by_one_rate']} | "
            f"normalised count MAE {s['count_mae_normalised']}",
            highlight=False,
        )
        ft = Table("fault", "precision", "recall", "tp", "fp", "fn")
        for fid, m in s["faults"].items():
            ft.add_row(fid, str(m["precision"]), str(m["recall"]), str(m["tp"]), str(m["fp"]), str(m["fn"]))
        out.print(ft)
    if summary["errors"]:
        raise typer.Exit(1)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)


if __name__ == "__main__":
    main()
