"""Running the ``mlpbench`` command in-process, for the CLI tests (imported as ``cli_helpers``:
``tests/`` is on ``sys.path`` under pytest, not a package)."""

from __future__ import annotations

import pytest

from bench.cli.main import main


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """``bench.cli.main.main(argv)`` in-process: (exit status, stdout, stderr)."""
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own errors
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err
