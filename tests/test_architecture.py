"""The package's wings: the engine imports nothing from media, results, apps or
the pipeline, and no I/O or UI library, so live, file and batch share it and it
tests without a model or a screen."""

import ast
from pathlib import Path

import formcheck

PKG = Path(formcheck.__file__).resolve().parent
ENGINE_THIRD_PARTY = {"numpy", "scipy", "pydantic", "tomli", "tomllib"}


def _imports(path: Path) -> set[str]:
    """Absolute module names a file imports (relative imports resolved)."""
    parts = list(path.relative_to(PKG.parent).with_suffix("").parts)
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = parts[: len(parts) - node.level]
                mod = ".".join(base + ([node.module] if node.module else []))
                out.update(f"{mod}.{a.name}" for a in node.names) if node.module is None else out.add(mod)
            else:
                out.add(node.module or "")
    return out


def test_engine_imports_only_the_engine_and_numeric_libraries():
    import sys

    stdlib = set(sys.stdlib_module_names)
    bad = {}
    for f in sorted((PKG / "engine").glob("*.py")):
        for mod in _imports(f):
            top = mod.split(".")[0]
            if top == "formcheck":
                ok = mod.startswith("formcheck.engine") or mod == "formcheck.io_utils"
            else:
                ok = top in stdlib or top in ENGINE_THIRD_PARTY or top == "__future__"
            if not ok:
                bad.setdefault(f.name, []).append(mod)
    assert not bad, f"engine modules import outside the engine: {bad}"


def test_only_the_pose_adapter_imports_mediapipe():
    users = [
        f.relative_to(PKG).as_posix()
        for f in PKG.rglob("*.py")
        if any(m.split(".")[0] == "mediapipe" for m in _imports(f))
    ]
    assert users == ["media/pose.py"]
