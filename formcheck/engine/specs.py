"""Exercise specs: strict models and loading from ``exercise_specs/*.toml``.

A spec declares, with no Python: the per-frame *metrics* (named geometric
measures of the landmarks), the *setup* gate (the position that must hold
before reps count), the *reps* (which metric moves, which way, and the
thresholds that make a rep), and the *faults* (checks with thresholds, units,
cue messages and the coaching reason for each threshold).

Every model forbids unknown keys, so a typo is an error that names the file
and the field. Units are written in the files and checked against the unit
each metric kind measures in.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .body import JOINTS
from .landmarks import SIDED_PARTS, UNSIDED_PARTS
from .posture import POSTURES

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

SPEC_DIR = Path(__file__).resolve().parents[1] / "exercise_specs"

View = Literal["side_left", "side_right", "front", "back", "oblique"]
ViewSpec = Literal["side", "side_left", "side_right", "front", "back", "oblique", "any"]
ALL_VIEWS: tuple[str, ...] = ("side_left", "side_right", "front", "back", "oblique")

#: Unit each metric kind measures in.
METRIC_UNITS: dict[str, str] = {
    "joint_angle": "deg",
    "elevation": "deg",
    "lean": "deg",
    "arm_lateral": "deg",
    "head_drop": "deg",
    "line_offset": "deg",
    "distance": "torso_lengths",
    "back_curvature": "pct_torso",
    "twist": "deg",
}
#: Number of points each metric kind takes.
METRIC_POINTS: dict[str, int] = {
    "joint_angle": 3,
    "elevation": 2,
    "lean": 2,
    "arm_lateral": 2,
    "head_drop": 3,
    "line_offset": 3,
    "distance": 2,
    "back_curvature": 0,
    "twist": 0,
}
#: Kinds that need the 3D world landmarks (cannot be computed in image space).
WORLD_ONLY = frozenset({"lean", "arm_lateral", "twist"})


class SpecError(Exception):
    """A spec file that cannot be used; the message names the file and field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def expand_views(views: tuple[str, ...]) -> frozenset[str]:
    out: set[str] = set()
    for v in views:
        if v == "any":
            out.update(ALL_VIEWS)
        elif v == "side":
            out.update(("side_left", "side_right"))
        else:
            out.add(v)
    return frozenset(out)


class Metric(_Strict):
    """A named per-frame measure (see :mod:`formcheck.metrics` for each kind)."""

    kind: Literal[
        "joint_angle",
        "elevation",
        "lean",
        "arm_lateral",
        "head_drop",
        "line_offset",
        "distance",
        "back_curvature",
        "twist",
    ]
    points: tuple[str, ...] = ()
    space: Literal["image", "world"] = "world"
    # max: the larger side (the raised limb); diff: |left - right| (symmetry)
    side: Literal["auto", "working", "left", "right", "both", "max", "diff"] = "auto"
    views: tuple[ViewSpec, ...] = ("any",)
    # distance only: divided by the torso (shoulders to hips) or by the shoulder width,
    # which stays in view when a clip is framed from the waist up
    per: Literal["torso", "shoulders"] = "torso"
    label: str = ""
    unit: str

    @field_validator("points")
    @classmethod
    def _known_parts(cls, pts: tuple[str, ...]) -> tuple[str, ...]:
        for p in pts:
            if p not in SIDED_PARTS and p not in UNSIDED_PARTS:
                known = ", ".join(sorted(SIDED_PARTS | UNSIDED_PARTS))
                raise ValueError(f"unknown landmark '{p}' (known: {known})")
        return pts

    @model_validator(mode="after")
    def _consistent(self) -> Metric:
        want = METRIC_POINTS[self.kind]
        if len(self.points) != want:
            raise ValueError(f"kind '{self.kind}' takes {want} points, got {len(self.points)}")
        if self.unit != self.expected_unit:
            raise ValueError(f"kind '{self.kind}' is measured in '{self.expected_unit}', not '{self.unit}'")
        if self.per != "torso" and self.kind != "distance":
            raise ValueError("per applies to kind 'distance' only")
        if self.kind in WORLD_ONLY and self.space != "world":
            raise ValueError(f"kind '{self.kind}' needs space = \"world\"")
        if self.kind == "twist" and self.side not in ("max", "left", "right"):
            raise ValueError(
                'kind \'twist\' needs side = "max" (how far, toward the side turned to), "left" or "right"'
                " (the turn toward that side, negative the other way)"
            )
        return self

    @property
    def expected_unit(self) -> str:
        return "shoulder_widths" if self.kind == "distance" and self.per == "shoulders" else METRIC_UNITS[self.kind]

    @property
    def valid_views(self) -> frozenset[str]:
        return expand_views(self.views)


class Condition(_Strict):
    """The start position: ``metric`` within ``[min, max]``, judged on every frame of a rep
    (``at = "rep"``, the default) or where the rep starts (``at = "start"``: the most rested
    moment before it, e.g. a pull-up starts hanging with the hands high above the shoulders)."""

    metric: str
    min: float | None = None
    max: float | None = None
    at: Literal["rep", "start"] = "rep"
    unit: str
    reason: str

    def holds(self, value: float) -> bool:
        return not ((self.min is not None and value < self.min) or (self.max is not None and value > self.max))

    @model_validator(mode="after")
    def _bound(self) -> Condition:
        if self.min is None and self.max is None:
            raise ValueError("give min, max or both")
        return self


class Setup(_Strict):
    """The start position: a rep counts only where every condition holds (conditions whose
    body parts are out of frame are not judged)."""

    conditions: tuple[Condition, ...] = ()
    min_duration_s: float = Field(0.3, ge=0)


class Reps(_Strict):
    """How reps are counted (relative to the person's own range) and what a full rep is (absolute).

    Counting (see :mod:`formcheck.engine.reps`): a rep is ``metric`` moving in
    ``direction`` and back by at least ``min_rom`` and by a share of this set's
    typical rep, found from the signal's turning points, so it follows each
    person's range, view and camera. Coaching: a counted rep that does not
    reach ``full`` (a value of the metric) or move ``full_rom`` (an amount) is
    flagged by a ``partial_range`` fault.
    """

    metric: str
    direction: Literal["increasing", "decreasing"]
    min_rom: float = Field(gt=0)  # the smallest movement (metric units) that is a rep at all
    full: float | None = None  # coached: the value a full rep reaches
    full_rom: float | None = Field(None, gt=0)  # coached: how far a full rep moves
    unit: str
    min_duration_s: float = Field(0.4, gt=0)
    max_duration_s: float = Field(12.0, gt=0)
    hold_band: float = Field(8.0, gt=0)
    hold_target_s: float | None = Field(None, gt=0)  # a timed hold at the top: reported per rep as met / not met
    max_gap_s: float = Field(0.5, gt=0)
    # the metric (side = "max") whose larger side at the rep's peak is the rep's side;
    # default: the rep metric itself when it has side = "max"
    side_metric: str | None = None
    reason: str

    @model_validator(mode="after")
    def _ordered(self) -> Reps:
        if self.max_duration_s <= self.min_duration_s:
            raise ValueError("max_duration_s must exceed min_duration_s")
        return self


Severity = Literal["info", "warning", "error"]
Phase = Literal["rep", "top", "bottom", "set"]


class _FaultBase(_Strict):
    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    message: str
    reason: str
    severity: Severity = "warning"


class _JudgedInViews(_FaultBase):
    """A fault judged only from the ``views`` it names (default: any view)."""

    views: tuple[ViewSpec, ...] = ("any",)

    def judged_in(self, view: str) -> bool:
        return "any" in self.views or view in expand_views(self.views)


class _Bounded(_FaultBase):
    """A check of ``metric`` against ``above`` and/or ``below`` in ``unit``."""

    metric: str
    above: float | None = None
    below: float | None = None
    unit: str

    def violated(self, value: float) -> bool:
        return (self.above is not None and value > self.above) or (self.below is not None and value < self.below)


class _OneBound(_Bounded):
    @model_validator(mode="after")
    def _one_bound(self) -> _OneBound:
        if (self.above is None) == (self.below is None):
            raise ValueError("give exactly one of above / below")
        return self


class ThresholdFault(_Bounded, _JudgedInViews):
    """Fires while ``metric`` is above ``above`` or below ``below`` during ``during``
    for at least ``min_duration_s`` (give one bound, or both for a band), in the
    ``views`` it can be judged from (besides the metric's own ``views``). One fault id
    may have several entries, e.g. each bound judged from its own views: they report
    as one fault."""

    kind: Literal["threshold"]
    during: Phase = "rep"
    min_duration_s: float = Field(0.25, ge=0)

    @model_validator(mode="after")
    def _a_bound(self) -> ThresholdFault:
        if self.above is None and self.below is None:
            raise ValueError("give above, below or both")
        if self.above is not None and self.below is not None and self.below >= self.above:
            raise ValueError("with both bounds, below must be less than above (the allowed band)")
        return self


class RepRangeFault(_FaultBase):
    """Fires when ``metric`` spans more than ``max`` (max - min) within one rep."""

    kind: Literal["rep_range"]
    metric: str
    max: float = Field(gt=0)
    unit: str


class RepChangeFault(_OneBound):
    """Fires when ``metric`` at the rep's peak minus at its start is above/below a value."""

    kind: Literal["rep_change"]


class HoldFault(_FaultBase):
    """Fires when the rep's time near its peak (within ``reps.hold_band``) is below ``min_s``."""

    kind: Literal["hold"]
    min_s: float = Field(gt=0)
    unit: Literal["s"]


class RepValueFault(_OneBound):
    """Fires when ``metric`` at the rep's start (the most-rested moment) or at its peak
    is above/below a value: e.g. a pull-up not started from straight arms, or whose
    chin never clears the hands."""

    kind: Literal["rep_value"]
    at: Literal["start", "peak"]


class AlternationFault(_FaultBase):
    """Fires when a rep is done on the same side as the rep before it."""

    kind: Literal["alternation"]


class PartialRangeFault(_JudgedInViews):
    """Fires for a rep that counted but did not reach ``reps.full`` (or a movement
    that started but never reached ``reps.count``), in the ``views`` where the
    rep metric's range can be judged."""

    kind: Literal["partial_range"]


Fault = Annotated[
    ThresholdFault | RepRangeFault | RepChangeFault | RepValueFault | HoldFault | AlternationFault | PartialRangeFault,
    Field(discriminator="kind"),
]


class Reach(_Strict):
    """Recognition: a position the movement passes (``reaches``: the 5th or 95th
    percentile of a joint measure over the clip gets past ``below`` / ``above``, e.g. a
    pulldown brings the hands down to the upper chest where a shoulder press never
    does) or never passes (``stays``: a row keeps the hands well below the shoulders,
    where a fly raises them to shoulder height)."""

    joint: str
    above: float | None = None
    below: float | None = None
    unit: str
    reason: str

    @model_validator(mode="after")
    def _known(self) -> Reach:
        if self.joint not in JOINTS:
            raise ValueError(f"unknown joint '{self.joint}' (known: {', '.join(JOINTS)})")
        if self.unit != JOINTS[self.joint].unit:
            raise ValueError(f"joint '{self.joint}' is measured in '{JOINTS[self.joint].unit}', not '{self.unit}'")
        if (self.above is None) == (self.below is None):
            raise ValueError("give exactly one of above / below")
        return self


class Variant(_Strict):
    """A named form of the exercise, told per rep from a rep metric's value
    (``at``: at the rep's peak, or its min / max / mean over the rep); the first
    variant whose bound holds names the rep (e.g. a conventional or romanian deadlift
    from the knee angle at the bottom)."""

    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    metric: str
    at: Literal["peak", "min", "max", "mean"] = "peak"
    above: float | None = None
    below: float | None = None
    unit: str
    reason: str

    @model_validator(mode="after")
    def _one_bound(self) -> Variant:
        if self.above is None and self.below is None:
            raise ValueError("give above, below or both")
        return self

    def matches(self, value: float | None) -> bool:
        if value is None:
            return False
        return (self.above is None or value > self.above) and (self.below is None or value < self.below)


def _known_names(kind: str, names: tuple[str, ...], known: dict) -> tuple[str, ...]:
    for n in names:
        if n not in known:
            raise ValueError(f"unknown {kind} '{n}' (known: {', '.join(known)})")
    if len(set(names)) != len(names):
        raise ValueError(f"{kind}s repeated: {list(names)}")
    return names


class ExerciseSpec(_Strict):
    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    name: str
    summary: str
    source: str
    views: tuple[ViewSpec, ...]
    view_advice: str
    unilateral: bool = False
    # recognition (formcheck/engine/posture.py, recognise.py): the body positions the
    # exercise is done in, the joints that move in every rep and those that stay still,
    # what holds still (the hands, as on a bar or the floor, or the body), positions it reaches
    postures: tuple[str, ...] = ()
    moving: tuple[str, ...] = ()
    still: tuple[str, ...] = ()
    hands: Literal["any", "fixed", "free"] = "any"
    reaches: tuple[Reach, ...] = ()
    stays: tuple[Reach, ...] = ()
    metrics: dict[str, Metric]
    display: tuple[str, ...] = ()
    rep_metrics: tuple[str, ...] = ()
    setup: Setup = Field(default_factory=lambda: Setup(min_duration_s=0.3))
    reps: Reps
    faults: tuple[Fault, ...] = ()
    variants: tuple[Variant, ...] = ()

    @field_validator("postures")
    @classmethod
    def _postures(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return _known_names("posture", v, POSTURES)

    @field_validator("moving", "still")
    @classmethod
    def _joints(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return _known_names("joint", v, JOINTS)

    @model_validator(mode="after")
    def _references(self) -> ExerciseSpec:
        names = set(self.metrics)

        def need(where: str, m: str, unit: str | None = None) -> None:
            if m not in names:
                raise ValueError(f"{where}: unknown metric '{m}' (defined: {', '.join(sorted(names))})")
            if unit is not None and unit != self.metrics[m].unit:
                raise ValueError(f"{where}: metric '{m}' is measured in '{self.metrics[m].unit}', not '{unit}'")

        need("reps.metric", self.reps.metric, self.reps.unit)
        if self.reps.side_metric is not None:
            need("reps.side_metric", self.reps.side_metric)
            if self.metrics[self.reps.side_metric].side != "max":
                raise ValueError(
                    f"reps.side_metric: metric '{self.reps.side_metric}' needs side = \"max\" (the side that moves)"
                )
        for i, c in enumerate(self.setup.conditions):
            need(f"setup.conditions[{i}]", c.metric, c.unit)
        for i, f in enumerate(self.faults):
            if isinstance(f, (ThresholdFault, RepRangeFault, RepChangeFault, RepValueFault)):
                need(f"faults[{i}] ({f.id})", f.metric, f.unit)
        for where, lst in (("display", self.display), ("rep_metrics", self.rep_metrics)):
            for m in lst:
                need(where, m)
        both = set(self.moving) & set(self.still)
        if both:
            raise ValueError(f"joints both moving and still: {sorted(both)}")
        for i, v in enumerate(self.variants):
            need(f"variants[{i}] ({v.id})", v.metric, v.unit)
            if v.metric not in self.rep_metrics:
                raise ValueError(
                    f"variants[{i}] ({v.id}): metric '{v.metric}' must be in rep_metrics (it is read per rep)"
                )
        vids = [v.id for v in self.variants]
        if len(set(vids)) != len(vids):
            raise ValueError(f"variant ids repeated: {vids}")
        ids = [f.id for f in self.faults]
        dup = {i for i in ids if ids.count(i) > 1}
        for fid in sorted(dup):  # one fault, several threshold entries (its bounds judged from their own views)
            same = [f for f in self.faults if f.id == fid]
            thresholds = [f for f in same if isinstance(f, ThresholdFault)]
            if len(thresholds) != len(same) or len({f.metric for f in thresholds}) != 1:
                raise ValueError(
                    f"fault id '{fid}' repeated: only threshold entries on one metric may share an id "
                    "(e.g. its two bounds judged from different views)"
                )
        if any(m.side == "working" for m in self.metrics.values()) and not self.unilateral:
            raise ValueError('metrics with side = "working" need unilateral = true')
        if any(isinstance(f, AlternationFault) for f in self.faults) and self.side_metric is None:
            raise ValueError(
                'an alternation fault needs a rep side: the rep metric with side = "max", or reps.side_metric'
            )
        return self

    @property
    def side_metric(self) -> str | None:
        """The metric that tells each rep's side (see ``Reps.side_metric``), if any."""
        if self.reps.side_metric is not None:
            return self.reps.side_metric
        return self.reps.metric if self.metrics[self.reps.metric].side == "max" else None

    @property
    def preferred_views(self) -> frozenset[str]:
        return expand_views(self.views)

    @property
    def needs_mask(self) -> bool:
        return any(m.kind == "back_curvature" for m in self.metrics.values())

    @property
    def fault_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(f.id for f in self.faults))


def _fmt_loc(loc: tuple[object, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("threshold", "rep_range", "rep_change", "rep_value", "hold", "alternation", "partial_range"):
            continue  # the discriminated-union tag pydantic puts in the path
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def format_errors(path: Path, e: ValidationError) -> str:
    """One line per problem: ``file: field.path: what was expected``."""
    lines = []
    for err in e.errors():
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown field (typo?)"
        lines.append(f"{path}: {_fmt_loc(err['loc'])}: {msg}")
    return "\n".join(lines)


def load_spec(path: str | Path) -> ExerciseSpec:
    """Load and validate one spec file; :class:`SpecError` names file and field."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise SpecError(f"{path}: cannot read ({e.strerror})") from None
    except tomllib.TOMLDecodeError as e:
        raise SpecError(f"{path}: not valid TOML: {e}") from None
    try:
        spec = ExerciseSpec.model_validate(data)
    except ValidationError as e:
        raise SpecError(format_errors(path, e)) from None
    if spec.id != path.stem:
        raise SpecError(f"{path}: id: '{spec.id}' must match the file name '{path.stem}'")
    return spec


def load_specs(directory: str | Path | None = None) -> dict[str, ExerciseSpec]:
    """All specs in ``directory`` (default: the shipped ``exercise_specs/``), by id.

    Raises :class:`SpecError` listing every broken file.
    """
    d = Path(directory) if directory else SPEC_DIR
    if not d.is_dir():
        raise SpecError(f"{d}: no such spec folder")
    specs: dict[str, ExerciseSpec] = {}
    errors = []
    for p in sorted(d.glob("*.toml")):
        try:
            s = load_spec(p)
            specs[s.id] = s
        except SpecError as e:
            errors.append(str(e))
    if errors:
        raise SpecError("\n".join(errors))
    return specs


def get_spec(exercise: str, directory: str | Path | None = None) -> ExerciseSpec:
    """The spec with id ``exercise``, or a path to a spec file."""
    if exercise.endswith(".toml"):
        return load_spec(exercise)
    d = Path(directory) if directory else SPEC_DIR
    p = d / f"{exercise}.toml"
    if not p.exists():
        known = ", ".join(sorted(x.stem for x in d.glob("*.toml")))
        raise SpecError(f"unknown exercise '{exercise}' (known: {known})")
    return load_spec(p)
