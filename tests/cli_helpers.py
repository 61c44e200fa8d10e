"""Shared by the CLI and training tests (imported as ``cli_helpers``: ``tests/`` is on
``sys.path`` under pytest, not a package): running ``mlpbench`` in-process, the fastest
backend here, and a wide console for rich tables."""

from __future__ import annotations

import pytest

from bench.cli.main import main
from kernels import available_backends

FAST = "numba" if "numba" in available_backends() else "numpy"  # the quickest backend here


@pytest.fixture(autouse=True)
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """Render tables 200 columns wide so rows are not wrapped (autouse where imported)."""
    monkeypatch.setenv("COLUMNS", "200")


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """``bench.cli.main.main(argv)`` in-process: (exit status, stdout, stderr)."""
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own errors
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err
