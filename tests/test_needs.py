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
