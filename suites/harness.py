"""Set-up shared by the benchmark suites: ready-to-time kernel calls and their extra_info.

A *call* is a zero-argument function that does a fixed amount of work (``samples``
training samples, or one pass over a validation set) on preallocated arrays, so the timed
code is nothing but the kernel. :func:`record` turns pytest-benchmark's median time into
the numbers every suite reports: ``samples_per_s``, ``gflops`` (useful FLOPs of the network,
:mod:`kernels.layout`) and ``fraction_of_peak`` (of this machine's measured GEMM GFLOP/s for
the same dtype and thread count). Timing itself, statistics and saving are pytest-benchmark's.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from kernels import BACKEND_MODULES, load_backend
from kernels.layout import (
    CROSS_ENTROPY,
    SIGMOID,
    flops_per_sample,
    flops_per_update,
    init_params,
    sizes_array,
)
from kernels.paths import default_path, executed_flops_per_update

NIELSEN = (784, 30, 10)  # the book's network
ETA = 0.5  # learning rate of the timed calls (the chapter's)
LMBDA = 5.0  # L2 strength λ; the kernels take λ/n
EVAL_CHUNK = 256  # validation rows per evaluate block (as bench.train)


def have_backend(name: str) -> bool:
    """True when the module of backend ``name`` exists in this checkout."""
    return importlib.util.find_spec(BACKEND_MODULES[name]) is not None


def have_module(name: str) -> bool:
    """True when the top-level module ``name`` can be imported (an optional peer)."""
    return importlib.util.find_spec(name) is not None


@contextmanager
def threads_limited(backend: str, threads: int) -> Iterator[None]:
    """Run the body with ``threads`` Numba threads (numba-parallel) and BLAS threads.

    BLAS threads matter to numpy and to Numba's ``np.dot``, which calls SciPy's OpenBLAS:
    importing ``scipy.linalg.cython_blas`` first lets threadpoolctl see and limit that one
    too. The previous settings are restored on exit.
    """
    import scipy.linalg.cython_blas  # noqa: F401  (the BLAS that Numba's np.dot calls)
    from threadpoolctl import threadpool_limits

    previous = None
    if backend == "numba-parallel":
        import numba

        previous = numba.get_num_threads()
        numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    try:
        with threadpool_limits(limits=threads, user_api="blas"):
            yield
    finally:
        if previous is not None:
            import numba

            numba.set_num_threads(previous)


def threads_of(backend: str) -> int:
    """Threads ``backend`` runs on now (Numba's setting for numba-parallel, else 1)."""
    if backend != "numba-parallel":
        return 1
    import numba

    return int(numba.get_num_threads())


@dataclass(frozen=True, kw_only=True)
class Work:
    """How much one timed call does: samples trained (or evaluated) and parameter updates."""

    sizes: tuple[int, ...]
    samples: int  # samples per call
    updates: int  # parameter updates per call (0 for evaluation)
    forward_only: bool = False  # evaluation: the forward pass only
    executed: float | None = None  # FLOPs the kernel path executes per call (None: model)

    def flops(self) -> float:
        """Useful floating-point operations of one call."""
        if self.forward_only:
            s = self.sizes
            return float(self.samples * 2 * sum(s[i] * s[i + 1] for i in range(len(s) - 1)))
        per = flops_per_sample(self.sizes) * self.samples
        return float(per + flops_per_update(self.sizes) * self.updates)


def train_call(
    backend: str,
    X: npt.NDArray[np.floating],
    y: npt.NDArray[np.int64],
    *,
    sizes: tuple[int, ...] = NIELSEN,
    mini_batch: int,
    samples: int,
    seed: int = 0,
) -> tuple[Callable[[], float], Work]:
    """A call running ``samples // mini_batch`` fused SGD steps of ``backend`` on ``X``, ``y``.

    Arrays (parameters, velocity, workspace, a fixed permutation) are made once here; the
    call itself only runs the kernel. ``samples`` is rounded down to whole mini-batches.
    """
    kernel = load_backend(backend)
    steps = max(1, samples // mini_batch)
    if steps * mini_batch > len(y):
        raise ValueError(f"{steps * mini_batch} samples asked of a {len(y)}-row data set")
    rng = np.random.default_rng(seed)
    sz = sizes_array(sizes)
    params = init_params(sizes, "default", rng, X.dtype)
    velocity = np.zeros_like(params)
    work = np.empty(kernel.workspace_size(sz, mini_batch), dtype=X.dtype)
    order = rng.permutation(len(y)).astype(np.int64)
    lmbda_n = LMBDA / len(y)

    def call() -> float:
        # fmt: off
        cost = kernel.train_steps(
            params, velocity, work, sz, X, y, order, 0, steps, mini_batch,
            ETA, lmbda_n, 0.0, SIGMOID, CROSS_ENTROPY,
        )
        # fmt: on
        return float(cost)

    path = default_path(backend, mini_batch, threads_of(backend))
    executed = steps * executed_flops_per_update(sizes, mini_batch, path, 0.0, lmbda_n)
    return call, Work(
        sizes=tuple(sizes), samples=steps * mini_batch, updates=steps, executed=float(executed)
    )


def evaluate_call(
    backend: str,
    X: npt.NDArray[np.floating],
    y: npt.NDArray[np.int64],
    *,
    sizes: tuple[int, ...] = NIELSEN,
) -> tuple[Callable[[], tuple[int, float]], Work]:
    """A call classifying every row of ``X`` with ``backend`` (validation forward pass)."""
    kernel = load_backend(backend)
    sz = sizes_array(sizes)
    params = init_params(sizes, "default", np.random.default_rng(0), X.dtype)
    work = np.empty(kernel.workspace_size(sz, EVAL_CHUNK), dtype=X.dtype)

    def call() -> tuple[int, float]:
        correct, cost = kernel.evaluate(params, work, sz, X, y, EVAL_CHUNK, SIGMOID, CROSS_ENTROPY)
        return int(correct), float(cost)

    return call, Work(sizes=tuple(sizes), samples=len(y), updates=0, forward_only=True)


def median_seconds(benchmark: Any) -> float | None:
    """Median seconds per call of a finished benchmark, or None when timing was disabled."""
    meta = getattr(benchmark, "stats", None)
    stats = getattr(meta, "stats", None)
    median = getattr(stats, "median", None)
    return float(median) if median else None


def throughput(work: Work, seconds: float | None, peak_gflops: float | None) -> dict[str, Any]:
    """``samples_per_s``, ``gflops`` (model FLOPs, README), ``executed_gflops`` (FLOPs the
    kernel path executed) and ``fraction_of_peak`` (executed, 0–1).

    Every value is None when ``seconds`` is unknown (timing disabled); the fraction is None
    when the peak is unknown.
    """
    if not seconds:
        return {"samples_per_s": None, "gflops": None, "executed_gflops": None,
                "fraction_of_peak": None}  # fmt: skip
    gflops = work.flops() / seconds / 1e9
    executed = gflops if work.executed is None else work.executed / seconds / 1e9
    return {
        "samples_per_s": work.samples / seconds,
        "gflops": gflops,
        "executed_gflops": executed,
        "fraction_of_peak": executed / peak_gflops if peak_gflops else None,
    }


def record(
    benchmark: Any,
    work: Work,
    *,
    peak_gflops: float | None,
    dtype: str,
    threads: int,
    **extra: Any,
) -> None:
    """Store throughput and the benchmark's settings in ``benchmark.extra_info``."""
    benchmark.extra_info.update(
        {
            "dtype": dtype,
            "threads": threads,
            "sizes": list(work.sizes),
            "samples_per_call": work.samples,
            "updates_per_call": work.updates,
            **extra,
            **throughput(work, median_seconds(benchmark), peak_gflops),
        }
    )
