"""``needs``: a missing extra skips a module with the reason locally and fails it under CI.

Each case runs pytest in a subprocess on a test module that requires a module no extra
provides, beside one that needs nothing, with ``CI`` unset and then set.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
PLAIN = "def test_plain():\n    pass\n"
MODULE = """
from needs import require

require("mlpbench_no_such_module", "test")


def test_never_runs():
    pass
"""


def run_pytest(tmp_path: Path, ci: bool) -> subprocess.CompletedProcess[str]:
    """pytest on the module above in ``tmp_path``, ``CI`` set to true or removed."""
    (tmp_path / "test_requires.py").write_text(MODULE)
    (tmp_path / "test_plain.py").write_text(PLAIN)
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    if ci:
        env["CI"] = "true"
    env["PYTHONPATH"] = os.pathsep.join([str(TESTS), env.get("PYTHONPATH", "")])
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-rs", "-p", "no:cacheprovider"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


@pytest.mark.parametrize("ci", [False, True], ids=["local", "ci"])
def test_missing_extra_skips_locally_and_fails_in_ci(tmp_path: Path, ci: bool) -> None:
    result = run_pytest(tmp_path, ci)
    out = result.stdout + result.stderr
    assert "mlpbench_no_such_module is not installed" in out
    assert "pip install -e '.[test]'" in out
    if ci:
        assert result.returncode != 0, out
        assert "CI is set" in out
    else:
        assert result.returncode == 0, out
        assert "1 passed, 1 skipped" in out
        assert "test_requires.py:4: mlpbench_no_such_module" in out  # the module that needs it


def _extra_only_modules() -> set[str]:
    """Import names of what only an extra of ``pyproject.toml`` installs (not pytest)."""
    import re
    import tomllib

    project = tomllib.loads((TESTS.parent / "pyproject.toml").read_text())["project"]

    def name(req: str) -> str:
        return re.split(r"[\[<>=!~; ]", req, maxsplit=1)[0].lower().replace("-", "_")

    core = {name(r) for r in project["dependencies"]}
    extra = {name(r) for reqs in project["optional-dependencies"].values() for r in reqs}
    return extra - core - {"pytest", "pytest_benchmark"}


def test_no_test_module_imports_an_extra_at_the_top() -> None:
    """A plain ``pytest`` after ``pip install -e .`` collects every module: what only an
    extra installs is imported through ``needs.require`` (or inside a test), never by a
    top-level ``import`` (test_strict_json's ``import jsonschema`` broke collection)."""
    import ast

    extra = _extra_only_modules()
    assert {"hypothesis", "jsonschema", "playwright", "psycopg"} <= extra
    found = []
    for path in sorted(TESTS.glob("*.py")):
        required: set[str] = set()  # require("x", ...) above skips the module before the import
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            elif isinstance(node, ast.Expr | ast.Assign) and isinstance(node.value, ast.Call):
                call = node.value
                if getattr(call.func, "id", "") == "require" and call.args:
                    required.add(str(getattr(call.args[0], "value", "")))
            found += [f"{path.name}:{node.lineno} {n}" for n in names
                      if n.split(".")[0] in extra - required]  # fmt: skip
    assert not found, f"top-level imports of extras (use needs.require): {found}"
