import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from formcheck.apps.cli import app
from formcheck.engine.specs import SPEC_DIR, SpecError, load_spec, load_specs

FLAGSHIP = {
    "bent_over_row": {
        "back_not_flat",
        "torso_too_upright",
        "torso_moving",
        "elbows_flared",
        "head_dropped",
        "partial_range",
    },
    "one_arm_row": {"back_not_flat", "torso_too_upright", "torso_moving", "elbows_flared", "partial_range"},
    "reverse_fly": {
        "torso_too_upright",
        "torso_too_low",
        "back_not_flat",
        "wrists_above_elbows",
        "elbows_straightening",
        "elbows_bending",
        "shrugging",
        "partial_range",
    },
    "seated_row": {
        "back_not_flat",
        "leaning_back",
        "leaning_forward_too_far",
        "elbows_flared",
        "no_hold",
        "partial_range",
    },
}


def test_every_shipped_spec_loads():
    specs = load_specs()
    assert set(FLAGSHIP) <= set(specs)


@pytest.mark.parametrize("spec_id", sorted(FLAGSHIP))
def test_flagship_fault_ids_are_the_contract(spec_id):
    assert set(load_specs()[spec_id].fault_ids) == FLAGSHIP[spec_id]


def test_every_threshold_has_unit_and_reason():
    for spec in load_specs().values():
        assert spec.reps.reason
        for f in spec.faults:
            assert f.reason.strip() and f.message.strip()
            if hasattr(f, "unit"):
                assert f.unit


def _broken(tmp_path: Path, old: str, new: str, name: str = "seated_row") -> Path:
    d = tmp_path / "specs"
    d.mkdir()
    text = (SPEC_DIR / f"{name}.toml").read_text()
    assert old in text
    (d / f"{name}.toml").write_text(text.replace(old, new, 1))
    return d / f"{name}.toml"


@pytest.mark.parametrize(
    "old,new,field,words",
    [
        ("max_duration_s = 12.0", "max_duraton_s = 12.0", "reps.max_duraton_s", "unknown field"),
        ('kind = "lean"', 'kind = "leen"', "metrics.lean.kind", "Input should be"),
        (
            'points = ["shoulder", "hip", "knee"]',
            'points = ["shoulder", "hips", "knee"]',
            "metrics.hip.points",
            "unknown landmark 'hips'",
        ),
        ('below = -25.0\nunit = "deg"', 'below = -25.0\nunit = "cm"', "faults[2]", "measured in 'deg', not 'cm'"),
        ("min_rom = 25.0", "min_rom = -5.0", "reps.min_rom", "greater than 0"),
        ("min_rom = 25.0", "rest = 140.0", "reps", "unknown field"),
        ("min_s = 1.0", "min_s = -1.0", "faults[5].min_s", "greater than 0"),
        ('metric = "lean"\nbelow', 'metric = "leen"\nbelow', "faults[2] (leaning_back)", "unknown metric 'leen'"),
    ],
)
def test_broken_spec_names_file_and_field(tmp_path, old, new, field, words):
    path = _broken(tmp_path, old, new)
    with pytest.raises(SpecError) as ei:
        load_spec(path)
    msg = str(ei.value)
    assert str(path) in msg and field in msg and words in msg, msg


@pytest.mark.parametrize(
    "name,old,new,field,words",
    [
        ("side_twist", 'side = "max"                  # how far', 'side = "auto"  #', "metrics.twist", "needs side"),
        ("oblique_crunch", 'side_metric = "twist"', 'side_metric = "twst"', "reps.side_metric", "unknown metric"),
        ("oblique_crunch", 'side_metric = "twist"', 'side_metric = "knee"', "reps.side_metric", 'side = "max"'),
        ("side_twist", 'kind = "twist"', 'kind = "twist"\nspace = "image"', "metrics.twist", "needs space"),
    ],
)
def test_broken_twist_specs_name_the_field(tmp_path, name, old, new, field, words):
    path = _broken(tmp_path, old, new, name)
    with pytest.raises(SpecError) as ei:
        load_spec(path)
    msg = str(ei.value)
    assert str(path) in msg and field in msg and words in msg, msg


def test_invalid_toml_and_id_mismatch(tmp_path):
    bad = tmp_path / "x.toml"
    bad.write_text("id = [")
    with pytest.raises(SpecError, match="not valid TOML"):
        load_spec(bad)
    renamed = tmp_path / "other_name.toml"
    shutil.copy(SPEC_DIR / "seated_row.toml", renamed)
    with pytest.raises(SpecError, match="must match the file name"):
        load_spec(renamed)


def test_validate_specs_command(tmp_path):
    runner = CliRunner()
    ok = runner.invoke(app, ["validate-specs"])
    assert ok.exit_code == 0 and "specs OK" in ok.output
    path = _broken(tmp_path, "max_duration_s = 12.0", "max_duraton_s = 12.0")
    bad = runner.invoke(app, ["validate-specs", str(path.parent)])
    assert bad.exit_code == 1
    assert "reps.max_duraton_s: unknown field" in bad.output
    assert "Traceback" not in bad.output


def test_exercises_command_lists_specs():
    res = CliRunner().invoke(app, ["exercises"])
    assert res.exit_code == 0
    for sid in FLAGSHIP:
        assert sid in res.output


def test_a_fault_id_shared_only_by_threshold_entries_on_one_metric(tmp_path):
    """Two threshold entries may share a fault id (its bounds judged from different views); a
    shared id across kinds or metrics is a spec error."""
    import tomllib

    from formcheck.engine.specs import ExerciseSpec

    raw = tomllib.loads((SPEC_DIR / "bent_over_row.toml").read_text())
    assert [f["id"] for f in raw["faults"]].count("back_not_flat") == 2
    ExerciseSpec.model_validate(raw)
    clash = dict(raw, faults=[*raw["faults"], {**raw["faults"][-1], "id": "back_not_flat"}])
    with pytest.raises(ValueError, match="only threshold entries on one metric may share an id"):
        ExerciseSpec.model_validate(clash)
