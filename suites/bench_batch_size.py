"""The fused training call over a fixed number of samples, by mini-batch size.

Every backend × float32/float64 × mini-batch 1, 10, 100, 1000 × 1 and 2 threads (where
threads apply), on [784, 30, 10] and synthetic MNIST-shaped data. One call trains
``--samples-per-call`` samples (default 2,000). The call is made once before timing, so
Numba compiles (or loads its cache) outside the measurement.
"""

from __future__ import annotations

from typing import Any

import pytest

from suites.params import kernel_grid

QUICK = {(b, "float64", mb, 1) for b in ("numba", "numba-parallel", "numpy") for mb in (10, 1000)}


@pytest.mark.parametrize(("backend", "dtype", "mini_batch", "threads"), kernel_grid(quick=QUICK))
def test_train_steps(
    benchmark: Any, time_training: Any, backend: str, dtype: str, mini_batch: int, threads: int
) -> None:
    """Seconds per call of ``samples_per_call`` samples; extra_info has samples/s etc."""
    benchmark.group = f"train mb={mini_batch} {dtype}"
    time_training(backend=backend, dtype=dtype, mini_batch=mini_batch, threads=threads)
