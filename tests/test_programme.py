"""Programme files and scoring a session against one."""

import json

import pytest
from typer.testing import CliRunner

from formcheck.apps.cli import app
from formcheck.engine.specs import SpecError
from formcheck.results.programme import PROGRAMME_DIR, load_programme, score


def test_the_guides_three_programmes_load():
    names = {load_programme(p).name for p in PROGRAMME_DIR.glob("*.toml")}
    assert names == {"Strengthen the upper back", "Strengthen the middle back", "Strengthen the lower back"}
    up = load_programme(PROGRAMME_DIR / "upper_back.toml")
    assert (up.exercises[0].name, up.exercises[0].sets, up.exercises[0].reps) == ("Pull-ups", 3, (6, 8))


def test_broken_programme_names_file_and_field(tmp_path):
    bad = tmp_path / "p.toml"
    bad.write_text(
        'name = "x"\nsource = "y"\n[[exercises]]\nname = "a"\nspecs = ["pull_upp"]\nsets = 3\nreps = [6, 8]\n'
    )
    with pytest.raises(SpecError, match=r"exercises\[0\]\.specs: unknown spec 'pull_upp'"):
        load_programme(bad)
    bad.write_text('name = "x"\nsource = "y"\n[[exercises]]\nname = "a"\nsets = 3\nreps = [6, 8]\nrepz = 1\n')
    with pytest.raises(SpecError, match=r"exercises\[0\]\.repz: unknown field"):
        load_programme(bad)
    bad.write_text('name = "x"\nsource = "y"\n[[exercises]]\nname = "a"\nsets = 3\nreps = [8, 6]\n')
    with pytest.raises(SpecError, match=r"exercises\[0\]: reps must be \[min, max\]"):
        load_programme(bad)


def _report(ex, sets, faults=()):
    reps, rows, k = [], [], 0
    for i, n in enumerate(sets):
        idx = list(range(k + 1, k + n + 1))
        k += n
        rows.append(
            {
                "index": i + 1,
                "reps": n,
                "rep_indexes": idx,
                "start_s": 0,
                "end_s": 0,
                "rest_before_s": None if i == 0 else 90.0,
            }
        )
    return {
        "exercise": ex,
        "video": {"path": f"{ex}.mp4"},
        "sets": rows,
        "faults": [{"id": f, "rep": r} for f, r in faults],
        "reps": reps,
    }


def test_scoring_sets_reps_rest_and_faults():
    prog = load_programme(PROGRAMME_DIR / "upper_back.toml")
    res = score(prog, [_report("pull_up", [8, 7, 5], faults=[("kipping", 20)])])
    pull = res["exercises"][0]
    assert pull["status"] == "partly done" and pull["sets_done"] == 3 and pull["sets_on_target"] == 2
    assert [s["verdict"] for s in pull["sets"]] == ["ok", "ok", "short"]
    assert pull["sets"][2]["faults"] == ["kipping"] and pull["sets"][1]["rest_before_s"] == 90.0
    assert res["exercises"][1]["status"] == "not done"  # incline bench row: a spec, but no clip of it
    assert res["exercises"][2]["status"] == "not done"  # shrugs: a spec, but no clip of them
    assert (res["sets_on_target"], res["sets_targeted"]) == (2, 9)


def test_programme_command(tmp_path):
    r1 = tmp_path / "a.report.json"
    r1.write_text(json.dumps(_report("seated_row", [12, 12, 12])))
    res = CliRunner().invoke(app, ["programme", str(PROGRAMME_DIR / "middle_back.toml"), str(r1), "--json"])
    assert res.exit_code == 0, res.output
    low = json.loads(res.output)["exercises"][1]
    assert low["status"] == "done" and low["sets_on_target"] == 3
    bad = CliRunner().invoke(app, ["programme", str(PROGRAMME_DIR / "middle_back.toml"), str(tmp_path / "none.json")])
    assert bad.exit_code == 2 and "not a readable report" in bad.output
    (tmp_path / "other.json").write_text('{"hello": 1}')
    bad = CliRunner().invoke(app, ["programme", str(PROGRAMME_DIR / "middle_back.toml"), str(tmp_path / "other.json")])
    assert bad.exit_code == 2 and "not a formcheck report" in bad.output and "Traceback" not in bad.output


def test_every_exercise_of_the_three_programmes_is_scored(tmp_path):
    """No programme entry is 'no spec' any more: a session of reports for every entry
    (its first spec, 3 sets on target) scores every set, through the command."""
    for path in sorted(PROGRAMME_DIR.glob("*.toml")):
        prog = load_programme(path)
        assert all(ex.specs for ex in prog.exercises), path.name
        files = []
        for i, ex in enumerate(prog.exercises):
            f = tmp_path / f"{path.stem}-{i}.report.json"
            f.write_text(json.dumps(_report(ex.specs[0], [ex.reps[0]] * ex.sets)))
            files.append(str(f))
        res = CliRunner().invoke(app, ["programme", str(path), *files, "--json"])
        assert res.exit_code == 0, res.output
        doc = json.loads(res.output)
        assert "no spec" not in res.output
        assert [e["status"] for e in doc["exercises"]] == ["done"] * len(prog.exercises)
        assert doc["sets_on_target"] == doc["sets_targeted"] == sum(ex.sets for ex in prog.exercises)
        table = CliRunner().invoke(app, ["programme", str(path), *files])
        assert table.exit_code == 0 and "no spec" not in table.output
