"""Parameter grids shared by the suites, as ``pytest.param`` lists with readable ids.

A backend whose module is missing from the checkout, or an optional peer that is not
installed, is kept in the grid and skipped with the reason, so a report shows what was left
out instead of silently shrinking.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

from kernels import BACKENDS, backend_info, backend_problem
from kernels.session import CPU
from suites.harness import have_backend

MINI_BATCHES = (1, 10, 100, 1000)
DTYPES = ("float32", "float64")
# Speed depends on threads for every CPU backend (BLAS threads too, not only Numba's).
THREADED = {b for b in BACKENDS if backend_info(b).device == CPU}


def backend_marks(backend: str) -> list[Any]:
    """A skip mark when ``backend`` cannot be timed here: its module has not landed in this
    checkout, or it is a GPU backend and there is no GPU (or only the CUDA simulator, whose
    timings would mean nothing)."""
    if backend_info(backend).device != CPU:
        if os.environ.get("NUMBA_ENABLE_CUDASIM"):
            return [pytest.mark.skip(reason=f"{backend}: never timed on the CUDA simulator")]
        problem = backend_problem(backend)
        if problem:
            return [pytest.mark.skip(reason=f"{backend}: {problem}")]
    if not have_backend(backend):
        reason = f"backend {backend!r} is not available in this checkout"
        return [pytest.mark.skip(reason=reason)]
    return []


def kernel_grid(*, quick: set[tuple[str, str, int, int]]) -> list[Any]:
    """(backend, dtype, mini_batch, threads) for every backend; threads 1, 2 where they apply.

    Entries in ``quick`` also carry the ``quick`` marker.
    """
    grid = []
    for backend in BACKENDS:
        for dtype in DTYPES:
            for mb in MINI_BATCHES:
                for threads in (1, 2) if backend in THREADED else (1,):
                    key = (backend, dtype, mb, threads)
                    marks = backend_marks(backend)
                    if key in quick:
                        marks.append(pytest.mark.quick)
                    grid.append(
                        pytest.param(*key, marks=marks, id=f"{backend}-{dtype}-mb{mb}-t{threads}")
                    )
    return grid
