"""Ending an mlpbench process without Python's interpreter teardown.

When a process that has compiled Numba kernels returns from its work, CPython still frees
every module, type and compiled-code object it holds before the process ends (Numba's
typing tables, llvmlite's LLVM objects, matplotlib's artists): 0.4-0.8 s of one core on a
2-vCPU Zen 5 (3 Dec 2026) after a warm default ``mlpbench sweep``, about a sixth of its
wall time, and 0.4 s after a single ``njit`` compile. Nothing in mlpbench needs that
teardown: every file is written (atomically, :mod:`bench.results`) and every worker process
has ended before a command returns, and mlpbench registers no ``atexit`` work.

:func:`leave` flushes the standard streams and the logging handlers and ends the process
with ``os._exit``. Where a database client is loaded (``sqlalchemy``: an Optuna study on
PostgreSQL), it exits the usual way instead, so the connection pools close their sessions
with the server cleanly. Used by the ``mlpbench`` console script
(:func:`bench.cli.entry.run`) and the compile workers (:mod:`bench.prewarm`); tests that
call ``main()`` in their own process are not affected.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from typing import NoReturn

# the exit status of a Python process whose standard output could not be flushed at exit
FLUSH_FAILED = 120


def status_of(main: Callable[[], int | None]) -> int:
    """Run ``main`` and return its exit status: its return value, or the code of the
    ``SystemExit`` it raised (a message is printed to stderr with status 1, as Python does).
    Any other exception propagates."""
    try:
        code: object = main()
    except SystemExit as stop:
        code = stop.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def leave(status: int) -> NoReturn:
    """End the process with ``status`` after flushing stdout, stderr and the logging
    handlers, skipping the interpreter's teardown (module docstring); ``sys.exit`` where a
    database client is loaded. A failed flush of stdout (e.g. a closed pipe) turns status 0
    into 120, as Python's own exit would."""
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            if stream is sys.stdout and status == 0:
                status = FLUSH_FAILED
    if "sqlalchemy" in sys.modules:
        sys.exit(status)
    os._exit(status)
