"""Parameter grids shared by the suites, as ``pytest.param`` lists with readable ids.

A backend whose module is missing from the checkout, or an optional peer that is not
installed, is kept in the grid and skipped with the reason, so a report shows what was left
out instead of silently shrinking.
"""

from __future__ import annotations

from typing import Any

import pytest

from kernels import BACKENDS, backend_info
from kernels.session import CPU
from suites.harness import have_backend

MINI_BATCHES = (1, 10, 100, 1000)
DTYPES = ("float32", "float64")
# Speed depends on threads for every CPU backend (BLAS threads too, not only Numba's).
THREADED = {b for b in BACKENDS if backend_info(b).device == CPU}


def backend_marks(backend: str) -> list[Any]:
    """A skip mark when ``backend``'s module has not landed in this checkout."""
    reason = f"backend {backend!r} is not available in this checkout"
    return [pytest.mark.skipif(not have_backend(backend), reason=reason)]


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
