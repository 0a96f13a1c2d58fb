"""The two commands a newcomer runs: what `make demo` and `make test` set up, and the
chromium step that keeps `make test` from skipping the browser tests."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ENSURE = ROOT / "tools" / "ensure-chromium"

needs_make = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def _dry_run(target: str, venv: Path) -> list[str]:
    """The commands ``make TARGET`` would run on a fresh clone (a venv that does not exist yet)."""
    r = subprocess.run(
        ["make", "-n", "-C", str(ROOT), target, f"VENV={venv}"], capture_output=True, text=True, check=True
    )
    return r.stdout.splitlines()


def _pip_installs(lines: list[str]) -> list[str]:
    return [ln for ln in lines if "pip install" in ln and "--upgrade pip" not in ln]


@needs_make
def test_make_demo_installs_only_the_base_dependencies(tmp_path):
    lines = _dry_run("demo", tmp_path / "v")
    assert _pip_installs(lines) == [f"{tmp_path / 'v'}/bin/python -m pip install -q -e ."]
    assert any("formcheck analyze" in ln for ln in lines)
    assert not any("ensure-chromium" in ln for ln in lines)


@needs_make
def test_make_test_installs_the_test_extras_ray_and_chromium_first(tmp_path):
    lines = _dry_run("test", tmp_path / "v")
    (install,) = _pip_installs(lines)
    assert install.endswith('-e ".[test,ray]"')
    at = {k: next(i for i, ln in enumerate(lines) if k in ln) for k in ("ensure-chromium", "-m pytest")}
    assert at["ensure-chromium"] < at["-m pytest"]
    assert "make test" in (ROOT / ".ci" / "run").read_text()  # CI runs the same command


def _fake_bin(tmp_path: Path, apt_get: str) -> dict[str, str]:
    """PATH with a stand-in apt-get (and a sudo that just runs its command) in front."""
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "apt-get").write_text("#!/bin/sh\n" + apt_get)
    (fake / "sudo").write_text('#!/bin/sh\nexec "$@"\n')
    for f in fake.iterdir():
        f.chmod(0o755)
    return os.environ | {"PATH": f"{fake}:/usr/bin:/bin", "FORMCHECK_CHROMIUM": str(tmp_path / "chromium")}


def test_ensure_chromium_installs_a_missing_browser(tmp_path):
    # a stand-in apt-get whose install puts an executable where chromium belongs
    env = _fake_bin(
        tmp_path,
        '[ "$1" = install ] && printf "#!/bin/sh\\n" > "$FORMCHECK_CHROMIUM" '
        '&& chmod +x "$FORMCHECK_CHROMIUM"\nexit 0\n',
    )
    r = subprocess.run([str(ENSURE)], env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert os.access(tmp_path / "chromium", os.X_OK)
    r = subprocess.run([str(ENSURE)], env=env, capture_output=True, text=True)  # present: nothing to do
    assert r.returncode == 0 and r.stderr == ""


def test_ensure_chromium_that_cannot_install_says_how_in_one_line(tmp_path):
    env = _fake_bin(tmp_path, "exit 100\n")  # apt-get fails (no network, no rights, ...)
    r = subprocess.run([str(ENSURE)], env=env, capture_output=True, text=True)
    assert r.returncode == 1
    errors = [ln for ln in r.stderr.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1 and "apt-get install chromium" in errors[0]
