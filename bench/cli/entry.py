"""The ``mlpbench`` console entry: run the BLAS at the CPU's width, then the command.

OpenBLAS reads ``OPENBLAS_CORETYPE`` once, when it loads, so the choice has to be made
before numpy is imported. This entry imports only numpy and threadpoolctl, asks OpenBLAS
which kernels it chose, and when they are narrower than the CPU (Haswell kernels on an
AVX-512 CPU: :mod:`bench.blas_coretype`) and the user has not set ``OPENBLAS_CORETYPE``, it
replaces itself (``os.execv``: same process id, same terminal and arguments) with the same
command run with the fixing core type. Why a re-exec and not a table of CPUs: the decision
rests on what the installed BLAS reports here, so a machine it already serves well is left
alone, and a newer OpenBLAS that learns the CPU needs no mlpbench change. It costs one
numpy import, on those machines only; on every other machine numpy is imported once as
before. Every BLAS in the process (numpy's and scipy's, which Numba's ``np.dot`` calls) and
every worker process inherits the variable. The one-line note says what happened, once.
"""

from __future__ import annotations

import os
import sys
from typing import NoReturn

from bench.process_exit import leave, status_of


def _fix_coretype() -> None:
    """Re-exec with the fixing core type when OpenBLAS runs narrower than the CPU."""
    from bench import blas_coretype as bc

    if os.environ.get(bc.CORETYPE_ENV) or os.name != "posix":
        return  # the user's choice stands (a note, if it is narrow, comes below)
    import numpy  # noqa: F401  (loads OpenBLAS, which picks its kernels now)
    from threadpoolctl import threadpool_info

    flags = bc.cpu_flags()
    if bc.narrow_blas(threadpool_info(), flags) is None:
        return
    fix = bc.fix_for(flags)
    if fix is None:
        return
    env = dict(os.environ, **{bc.CORETYPE_ENV: fix, bc.SET_BY_MLPBENCH_ENV: fix})
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, [sys.executable, "-m", "bench.cli", *sys.argv[1:]], env)


def note_coretype() -> None:
    """Say once, on stderr, when the BLAS runs narrower than the CPU or mlpbench chose the
    core type (the fix named in either case)."""
    import numpy  # noqa: F401  (threadpoolctl sees only the BLAS libraries already loaded)
    from threadpoolctl import threadpool_info

    from bench import blas_coretype as bc

    flags = bc.cpu_flags()
    narrow = bc.narrow_blas(threadpool_info(), flags)
    if narrow is not None:
        bc.announce(bc.advice(narrow, flags))
    elif bc.set_by() == "mlpbench":
        bc.announce(
            f"mlpbench: note: OpenBLAS chose narrower kernels than this CPU has; running with "
            f"{bc.CORETYPE_ENV}={os.environ[bc.CORETYPE_ENV]} (export it for numpy outside "
            "mlpbench; set it yourself to choose)"
        )


def main() -> int:
    """Entry point of the ``mlpbench`` console script; returns the exit status."""
    _fix_coretype()
    note_coretype()
    from bench.cli.main import main as cli_main

    return cli_main()


def run() -> NoReturn:
    """The ``mlpbench`` console script: :func:`main`, then end the process at once with its
    exit status (:func:`bench.process_exit.leave`: no interpreter teardown)."""
    leave(status_of(main))


if __name__ == "__main__":  # pragma: no cover
    run()
