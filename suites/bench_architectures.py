"""The fused training call by network shape: [784, 10], [784, 30, 10], [784, 100, 10],
[784, 30, 30, 10], at mini-batch 10 (the chapter's) on every backend, float32 and float64.
"""

from __future__ import annotations

from typing import Any

import pytest

from suites.params import BACKENDS, DTYPES, backend_marks

ARCHITECTURES = ((784, 10), (784, 30, 10), (784, 100, 10), (784, 30, 30, 10))
MINI_BATCH = 10
THREADS = 1
QUICK = {((784, 100, 10), "numba", "float64")}  # (sizes, backend, dtype) of the quick subset


def _grid() -> list[Any]:
    grid = []
    for sizes in ARCHITECTURES:
        for backend in BACKENDS:
            for dtype in DTYPES:
                marks = backend_marks(backend)
                if (sizes, backend, dtype) in QUICK:
                    marks.append(pytest.mark.quick)
                name = "-".join(map(str, sizes))
                grid.append(pytest.param(sizes, backend, dtype, marks=marks,
                                         id=f"{name}-{backend}-{dtype}"))  # fmt: skip
    return grid


@pytest.mark.parametrize(("sizes", "backend", "dtype"), _grid())
def test_architecture(
    benchmark: Any, time_training: Any, sizes: tuple[int, ...], backend: str, dtype: str
) -> None:
    """Seconds per call of ``samples_per_call`` samples at mini-batch 10, one thread."""
    benchmark.group = f"architecture {dtype}"
    time_training(backend=backend, dtype=dtype, mini_batch=MINI_BATCH, threads=THREADS, sizes=sizes)
