"""Training programmes (``programmes/*.toml``) and scoring a session against one.

A programme lists exercises with target sets and a rep range ("Pull-ups 3 x
6-8"). A session is the reports ``formcheck analyze`` or ``batch`` wrote;
their ``sets`` (found from rest gaps) are matched to the programme by spec id
in time order, and each set is scored: reps against the range, rest before it,
faults in it.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..engine.specs import SpecError, format_errors, load_specs

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

PROGRAMME_DIR = Path(__file__).resolve().parents[1] / "programmes"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Entry(_Strict):
    name: str
    specs: tuple[str, ...] = ()  # spec ids that count for it (empty: not analysable yet)
    sets: Annotated[int, Field(ge=1)]
    reps: tuple[int, int]

    @model_validator(mode="after")
    def _range(self) -> Entry:
        if not 1 <= self.reps[0] <= self.reps[1]:
            raise ValueError(f"reps must be [min, max] with 1 <= min <= max, got {list(self.reps)}")
        return self


class Programme(_Strict):
    name: str
    source: str
    exercises: tuple[Entry, ...]


def load_programme(path: str | Path) -> Programme:
    """Validate a programme file; unknown keys or spec ids are errors naming file and field."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        prog = Programme.model_validate(data)
    except OSError as e:
        raise SpecError(f"{path}: cannot read ({e.strerror})") from None
    except tomllib.TOMLDecodeError as e:
        raise SpecError(f"{path}: not valid TOML: {e}") from None
    except ValidationError as e:
        raise SpecError(format_errors(path, e)) from None
    known = load_specs()
    for i, ex in enumerate(prog.exercises):
        for s in ex.specs:
            if s not in known:
                raise SpecError(f"{path}: exercises[{i}].specs: unknown spec '{s}' (known: {', '.join(sorted(known))})")
    return prog


def score(prog: Programme, reports: list[dict]) -> dict:
    """Score a session (analysis reports, in the order they were done) against ``prog``."""
    out = []
    used: set[int] = set()
    for ex in prog.exercises:
        entry: dict = {
            "exercise": ex.name,
            "specs": list(ex.specs),
            "target_sets": ex.sets,
            "target_reps": list(ex.reps),
        }
        if not ex.specs:
            out.append(entry | {"status": "no spec: not scored", "sets": []})
            continue
        sets = []
        for k, rep in enumerate(reports):
            if rep["exercise"] not in ex.specs or k in used:
                continue
            used.add(k)
            for s in rep.get("sets", []):
                faults = sorted({f["id"] for f in rep["faults"] if f["rep"] in s["rep_indexes"]})
                n = s["reps"]
                verdict = "ok" if ex.reps[0] <= n <= ex.reps[1] else ("short" if n < ex.reps[0] else "over")
                sets.append(
                    {
                        "clip": rep["video"]["path"],
                        "reps": n,
                        "verdict": verdict,
                        "rest_before_s": s["rest_before_s"],
                        "faults": faults,
                    }
                )
        done = min(len(sets), ex.sets)
        ok = sum(s["verdict"] == "ok" for s in sets[: ex.sets])
        status = "done" if done == ex.sets and ok == ex.sets else ("partly done" if sets else "not done")
        out.append(entry | {"status": status, "sets_done": len(sets), "sets_on_target": ok, "sets": sets})
    scored = [e for e in out if e["specs"]]
    total = sum(e["target_sets"] for e in scored)
    hit = sum(e.get("sets_on_target", 0) for e in scored)
    return {
        "programme": prog.name,
        "exercises": out,
        "sets_on_target": hit,
        "sets_targeted": total,
        "completion": round(hit / total, 3) if total else None,
    }
