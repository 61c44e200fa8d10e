"""Evaluation throughput: the validation forward pass (classify and sum the cost) over
the synthetic validation rows, on every backend, float32 and float64, 1 and 2 threads where
threads apply. FLOPs count the forward pass only (``2·Σ n_l·n_{l+1}`` per sample).
"""

from __future__ import annotations

from typing import Any

import pytest

from suites.harness import evaluate_call, record, time_it
from suites.params import BACKENDS, DTYPES, THREADED, backend_marks


def _grid() -> list[Any]:
    grid = []
    for backend in BACKENDS:
        for dtype in DTYPES:
            for threads in (1, 2) if backend in THREADED else (1,):
                marks = backend_marks(backend)
                if dtype == "float64" and threads == 1:
                    marks.append(pytest.mark.quick)
                grid.append(pytest.param(backend, dtype, threads, marks=marks,
                                         id=f"{backend}-{dtype}-t{threads}"))  # fmt: skip
    return grid


@pytest.mark.parametrize(("backend", "dtype", "threads"), _grid())
def test_evaluate(
    benchmark: Any, synthetic_data: Any, peak: Any, backend: str, dtype: str, threads: int
) -> None:
    """Seconds to evaluate the validation rows; extra_info has samples/s etc."""
    benchmark.group = f"evaluate {dtype}"
    data = synthetic_data(dtype)
    call, work = evaluate_call(backend, data.X_val, data.y_val)
    time_it(benchmark, call, backend, threads)  # warm-up (compile or load the cache), then timed
    record(
        benchmark, work, peak_gflops=peak(dtype, threads, backend), dtype=dtype, threads=threads,
        backend=backend,
    )  # fmt: skip
