"""Ending the process without interpreter teardown (bench/process_exit.py): the console
script and the compile workers keep their exit status and their whole output."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.process_exit import FLUSH_FAILED, status_of

ROOT = Path(__file__).resolve().parents[1]
# buffered standard streams, as a user's shell gives them (this variable makes them unbuffered)
BUFFERED = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}


def _run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *argv], capture_output=True, text=True, cwd=ROOT,
                          env=BUFFERED, timeout=120)  # fmt: skip


def _python(code: str) -> subprocess.CompletedProcess[str]:
    return _run(["-c", code])


def _raise(stop: SystemExit) -> int:
    raise stop


def _raise_key() -> int:
    raise KeyError("missing")


def test_status_of_returns_what_the_entry_returns_or_raises(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert status_of(lambda: 3) == 3
    assert status_of(lambda: None) == 0
    assert status_of(lambda: _raise(SystemExit(2))) == 2
    assert status_of(lambda: _raise(SystemExit())) == 0
    assert status_of(lambda: _raise(SystemExit("went wrong"))) == 1
    assert capsys.readouterr().err == "went wrong\n"
    with pytest.raises(KeyError):
        status_of(lambda: _raise_key())


# a buffered stdout (a pipe) holding more than the buffer, an atexit hook that marks teardown
_LEAVE = """
import atexit, sys
{imports}
atexit.register(lambda: sys.stderr.write("teardown ran\\n"))
sys.stdout.write("x" * 100_000)
sys.stdout.write("end")  # left in the buffer
sys.stderr.write("last words")
from bench.process_exit import leave
leave(3)
"""


def test_leave_keeps_the_status_and_all_output_and_skips_teardown() -> None:
    done = _python(_LEAVE.format(imports=""))
    assert done.returncode == 3
    assert done.stdout == "x" * 100_000 + "end"
    assert done.stderr == "last words"  # flushed, and no teardown hook ran


def test_with_a_database_client_loaded_the_process_exits_the_usual_way() -> None:
    """sqlalchemy's pools close their server sessions in the teardown: it runs."""
    done = _python(_LEAVE.format(imports="import sqlalchemy"))
    assert done.returncode == 3
    assert done.stdout.endswith("end")
    assert done.stderr == "last wordsteardown ran\n"


_BROKEN_PIPE = """
import io, sys
class Gone(io.RawIOBase):
    def writable(self): return True
    def write(self, b): raise BrokenPipeError(32, "Broken pipe")
sys.stdout = io.TextIOWrapper(io.BufferedWriter(Gone()))
sys.stdout.write("buffered, to a reader that has gone")
from bench.process_exit import leave
leave({status})
"""


@pytest.mark.parametrize(("status", "expected"), [(0, FLUSH_FAILED), (2, 2)])
def test_an_unflushable_stdout_turns_success_into_120(status: int, expected: int) -> None:
    """As Python's own exit does (e.g. ``mlpbench ... | head -1``); a failure keeps its code."""
    assert _python(_BROKEN_PIPE.format(status=status)).returncode == expected


_USUAL_EXIT = "import sys; from bench.cli.entry import main; sys.exit(main())"


@pytest.mark.parametrize("argv", [["sweep", "--help"], ["sweep", "--batch-sizes", "0"]])
def test_the_console_script_keeps_status_and_output(argv: list[str]) -> None:
    """``python -m bench.cli`` (what ``mlpbench`` runs) gives the status, stdout and stderr
    that the same command gives with the interpreter's usual exit."""
    quick = _run(["-m", "bench.cli", *argv])
    usual = _run(["-c", _USUAL_EXIT, *argv])
    assert (quick.returncode, quick.stdout, quick.stderr) == (
        usual.returncode,
        usual.stdout,
        usual.stderr,
    )
    assert quick.stdout.count("\n") > 20 or "error: argument --batch-sizes" in quick.stderr
