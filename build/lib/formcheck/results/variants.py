"""The robustness suite: each labelled clip remade the ways real footage differs, with a
known answer, and counted again with the real model (metamorphic testing).

=========  ======================  ====================================================
variant    failure class           what changes; the right count
=========  ======================  ====================================================
mirror     sides                   flipped left-right; unchanged (sides swap)
small      low quality             480 px long side, 15 frames/s; unchanged
tilt+10    camera tilt             the phone rotated 10 deg clockwise; unchanged
tilt-10    camera tilt             10 deg anticlockwise; unchanged
upper      partial framing         cropped just below the hips (exercises counted on
                                   the upper body); unchanged
trim       clip edges              starts at the rest just before the first labelled
                                   rep; unchanged
cut        edits                   joined to the next clip of the same exercise (or
                                   itself) by a hard cut; the sum of both
=========  ======================  ====================================================

Variants are written as H.264 files in a work folder (kept, so a rerun only counts).
Nothing here decides a count: :func:`run_suite` calls the same pipeline as
``formcheck analyze``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..engine.landmarks import Landmark, PoseSeq
from ..engine.metrics import spec_landmarks
from ..engine.specs import ExerciseSpec
from ..media.video import VideoWriter, iter_frames, probe
from .evaluate import Label

LOWER_BODY = frozenset(
    Landmark[f"{s}_{p}"] for s in ("LEFT", "RIGHT") for p in ("HIP", "KNEE", "ANKLE", "HEEL", "FOOT_INDEX")
)


@dataclass(frozen=True)
class Variant:
    name: str
    failure_class: str
    doc: str


VARIANTS: dict[str, Variant] = {
    v.name: v
    for v in (
        Variant("mirror", "sides", "flipped left-right"),
        Variant("small", "low quality", "480 px, 15 frames/s"),
        Variant("tilt+10", "camera tilt", "rotated 10 deg clockwise"),
        Variant("tilt-10", "camera tilt", "rotated 10 deg anticlockwise"),
        Variant("upper", "partial framing", "cropped below the hips"),
        Variant("trim", "clip edges", "starts at the rest before the first rep"),
        Variant("cut", "edits", "joined to another clip by a hard cut"),
    )
}


@dataclass(frozen=True)
class Made:
    """A variant clip on disk and the count range that is right for it."""

    variant: str
    label: Label
    path: Path
    reps_lo: int
    reps_hi: int


Frames = Iterator[tuple[float, np.ndarray]]


def counted_on_upper_body(spec: ExerciseSpec) -> bool:
    """The counted metric needs no landmark below the waist (so it survives a waist-up framing)."""
    one = spec.model_copy(update={"metrics": {spec.reps.metric: spec.metrics[spec.reps.metric]}})
    return not (spec_landmarks(one) & LOWER_BODY)


def _tilt(frames: Frames, deg: float) -> Frames:
    """The phone rolled by ``deg``: the scene turns about the frame's centre at its own
    size (as a tilted camera sees it; what turns out of the corners is lost)."""
    import cv2

    for t, rgb in frames:
        h, w = rgb.shape[:2]
        m = cv2.getRotationMatrix2D((w / 2, h / 2), -deg, 1.0)
        yield t, cv2.warpAffine(rgb, m, (w, h), flags=cv2.INTER_LINEAR)


def _at_most(frames: Frames, fps: float) -> Frames:
    """Drop frames closer together than ``1 / fps`` (one stream at one rate)."""
    last = -math.inf
    for t, rgb in frames:
        if t >= last + 1.0 / fps - 1e-6:
            last = t
            yield t, rgb


def _small(frames: Frames, side: int = 480, fps: float = 15.0) -> Frames:
    import cv2

    for t, rgb in _at_most(frames, fps):
        h, w = rgb.shape[:2]
        k = side / max(h, w)
        yield t, cv2.resize(rgb, (int(round(w * k / 2)) * 2, int(round(h * k / 2)) * 2), interpolation=cv2.INTER_AREA)


def _crop_rows(frames: Frames, y_end: int) -> Frames:
    for t, rgb in frames:
        yield t, rgb[: y_end - y_end % 2]


def _fit(rgb: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Letterbox ``rgb`` into ``size`` (w, h)."""
    import cv2

    w, h = size
    k = min(w / rgb.shape[1], h / rgb.shape[0])
    small = cv2.resize(
        rgb, (max(1, int(rgb.shape[1] * k)), max(1, int(rgb.shape[0] * k))), interpolation=cv2.INTER_AREA
    )
    out = np.zeros((h, w, 3), np.uint8)
    y, x = (h - small.shape[0]) // 2, (w - small.shape[1]) // 2
    out[y : y + small.shape[0], x : x + small.shape[1]] = small
    return out


def _write(path: Path, frames: Frames, fps: float) -> None:
    writer = None
    try:
        for t, rgb in frames:
            if writer is None:
                writer = VideoWriter(path, (rgb.shape[1], rgb.shape[0]), fps).__enter__()
            writer.write(t, rgb)
    except BaseException as e:
        if writer is not None:
            writer.__exit__(type(e), e, None)
        raise
    if writer is not None:
        writer.__exit__(None, None, None)


def upper_crop_row(seq: PoseSeq, spec: ExerciseSpec) -> int | None:
    """The image row that frames the person from the waist up: just below the hips
    (median over the clip, plus a tenth of a torso), lowered if the counted movement
    reaches further down (the hands of a bent-over row hang below the hips)."""
    one = spec.model_copy(update={"metrics": {spec.reps.metric: spec.metrics[spec.reps.metric]}})
    counted = sorted(spec_landmarks(one) - LOWER_BODY)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # frames without a person are NaN rows
        hips = np.nanmean(seq.xy[:, [Landmark.LEFT_HIP, Landmark.RIGHT_HIP], 1], axis=1)
        sh = np.nanmean(seq.xy[:, [Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER], 1], axis=1)
        reach = np.nanpercentile(seq.xy[:, counted, 1], 98) if counted else np.nan
    if not np.isfinite(hips).any():
        return None
    y = float(np.nanmedian(hips) + 0.1 * np.nanmedian(np.abs(hips - sh)))
    if np.isfinite(reach):
        y = max(y, float(reach) + 0.05 * seq.height)
    if y >= 0.95 * seq.height or y < 0.2 * seq.height:
        return None  # nothing below to crop away, or the body is not upright enough to crop
    return int(y)


def trim_start(label: Label) -> float | None:
    """Where the rest before the first labelled rep is: the bottom between two reps lies
    half-way between their tops, so half a rep before the first top (needs two tops)."""
    if len(label.tops) < 2:
        return None
    start = label.tops[0] - 0.5 * (label.tops[1] - label.tops[0])
    return start if start >= 0.3 else None


def make(
    variant: str,
    label: Label,
    spec: ExerciseSpec,
    work: Path,
    crop_row: int | None = None,
    partner: Label | None = None,
) -> Made | None:
    """Write ``variant`` of ``label``'s clip into ``work`` (reused if there); None when it
    does not apply (an exercise counted on the legs cannot be cropped to the upper body;
    a clip that already starts at its first rep cannot be trimmed). ``crop_row``: where
    the upper-body crop ends (:func:`upper_crop_row` of the clip's landmarks)."""
    src = label.path
    out = work / f"{src.parent.name}__{src.stem}.{variant}.mp4"
    lo, hi = label.reps_lo, label.reps_hi
    fps = probe(src).fps
    frames: Frames | None
    if variant == "mirror":
        frames = ((t, np.ascontiguousarray(rgb[:, ::-1])) for t, rgb in iter_frames(src))
    elif variant == "small":
        frames, fps = _small(iter_frames(src)), min(fps, 15.0)
    elif variant in ("tilt+10", "tilt-10"):
        frames = _tilt(iter_frames(src), 10.0 if variant == "tilt+10" else -10.0)
    elif variant == "upper":
        if crop_row is None or not counted_on_upper_body(spec):
            return None
        frames = _crop_rows(iter_frames(src), crop_row)
    elif variant == "trim":
        t0 = trim_start(label)
        if t0 is None:
            return None
        frames = ((t - t0, rgb) for t, rgb in iter_frames(src) if t >= t0)
    elif variant == "cut":
        other = partner or label
        info = probe(src)
        size = (info.width, info.height)
        first = list(iter_frames(src))
        t_end = first[-1][0] + 1.0 / fps

        def joined() -> Frames:
            yield from first
            for t, rgb in _at_most(iter_frames(other.path), fps):  # the joined clip keeps the first one's rate
                yield t_end + t, _fit(rgb, size)

        frames = joined()
        out = work / f"{src.parent.name}__{src.stem}.cut-{other.path.parent.name}__{other.path.stem}.mp4"
        lo, hi = lo + other.reps_lo, hi + other.reps_hi
    else:
        raise ValueError(f"unknown variant '{variant}' (known: {', '.join(VARIANTS)})")
    if not out.exists():
        work.mkdir(parents=True, exist_ok=True)
        _write(out, frames, fps)
    return Made(variant, label, out, lo, hi)


def partners(labels: list[Label]) -> dict[Path, Label]:
    """For the cut variant: each clip's next clip of the same exercise (itself when alone)."""
    by_ex: dict[str, list[Label]] = {}
    for lab in labels:
        by_ex.setdefault(lab.exercise, []).append(lab)
    out = {}
    for group in by_ex.values():
        for i, lab in enumerate(group):
            out[lab.path] = group[(i + 1) % len(group)]
    return out


def summarise_runs(rows: list[dict]) -> dict[str, dict[str, float | int]]:
    """Per variant and per failure class: runs, exact and within-one rates.
    ``rows``: ``{"variant", "counted", "lo", "hi"}`` (``counted`` None on an error)."""

    def stats(rs: list[dict]) -> dict[str, float | int]:
        ok = [r for r in rs if r["counted"] is not None]
        err = [max(0, r["lo"] - r["counted"], r["counted"] - r["hi"]) for r in ok]
        n = len(rs)
        return {
            "runs": n,
            "errors": n - len(ok),
            "exact": round(sum(e == 0 for e in err) / n, 3) if n else 0.0,
            "within_one": round(sum(e <= 1 for e in err) / n, 3) if n else 0.0,
        }

    out: dict[str, dict[str, float | int]] = {}
    for name in ["original", *VARIANTS]:
        rs = [r for r in rows if r["variant"] == name]
        if rs:
            out[name] = stats(rs)
    for cls in sorted({v.failure_class for v in VARIANTS.values()}):
        rs = [r for r in rows if r["variant"] in VARIANTS and VARIANTS[r["variant"]].failure_class == cls]
        if rs:
            out[f"class: {cls}"] = stats(rs)
    variants_only = [r for r in rows if r["variant"] != "original"]
    if variants_only:
        out["all variants"] = stats(variants_only)
    return out


# ------------------------------------------------------------------ running
def _count(path: Path, spec_id: str, specs_dir: str | None) -> tuple[int, list[str], PoseSeq | None]:
    from ..engine.specs import get_spec
    from ..pipeline import analyze_seq, extract

    spec = get_spec(spec_id, specs_dir)
    seq = extract(path, segmentation=spec.needs_mask)
    res = analyze_seq(seq, spec)
    return len(res.reps), sorted({f.id for f in res.faults}), seq


def _original_task(label: Label, specs_dir: str | None) -> dict:
    from ..engine.specs import get_spec

    row: dict = {"variant": "original", "path": str(label.path), "exercise": label.exercise}
    row |= {"lo": label.reps_lo, "hi": label.reps_hi, "counted": None, "faults": [], "crop_row": None}
    try:
        n, faults, seq = _count(label.path, label.exercise, specs_dir)
        crop = upper_crop_row(seq, get_spec(label.exercise, specs_dir)) if seq is not None else None
        row |= {"counted": n, "faults": faults, "crop_row": crop}
    except Exception as e:  # one bad clip is a row with its error
        row["error"] = f"{type(e).__name__}: {e}"
    return row


def _variant_task(
    variant: str, label: Label, partner: Label, crop_row: int | None, work: str, specs_dir: str | None
) -> dict | None:
    from ..engine.specs import get_spec

    row: dict = {"variant": variant, "path": str(label.path), "exercise": label.exercise, "counted": None, "faults": []}
    try:  # any failure is this run's error row; the suite goes on
        spec = get_spec(label.exercise, specs_dir)
        made = make(variant, label, spec, Path(work), crop_row, partner)
        if made is None:
            return None
        row |= {"lo": made.reps_lo, "hi": made.reps_hi}
        n, faults, _ = _count(made.path, label.exercise, specs_dir)
        row |= {"counted": n, "faults": faults}
    except Exception as e:
        row |= {"lo": label.reps_lo, "hi": label.reps_hi, "error": f"{type(e).__name__}: {e}"}
    return row


def run_suite(
    labels: list[Label],
    variants: list[str],
    work: Path,
    jobs: int = 1,
    specs_dir: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[dict]:
    """Count every labelled clip, then every variant of it, with the real model.
    Returns one row per run: variant, path, exercise, counted, lo, hi, faults (, error)."""
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    unknown = [v for v in variants if v not in VARIANTS]
    if unknown:
        raise ValueError(f"unknown variant(s) {', '.join(unknown)} (known: {', '.join(VARIANTS)})")
    pair = partners(labels)
    total = len(labels) * (1 + len(variants))
    done = 0

    def tick(k: int = 1) -> None:
        nonlocal done
        done += k
        if progress:
            progress(done, total)

    with ProcessPoolExecutor(max_workers=max(1, jobs), mp_context=get_context("spawn")) as pool:
        originals = list(pool.map(_original_task, labels, [specs_dir] * len(labels)))
        tick(len(labels))
        crop = {r["path"]: r["crop_row"] for r in originals}
        futs = [
            pool.submit(_variant_task, v, lab, pair[lab.path], crop[str(lab.path)], str(work), specs_dir)
            for lab in labels
            for v in variants
        ]
        rows = [*originals]
        for f in futs:
            r = f.result()
            tick()
            if r is not None:
                rows.append(r)
    return rows
