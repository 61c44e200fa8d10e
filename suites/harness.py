"""Set-up shared by the benchmark suites: ready-to-time kernel calls and their extra_info.

A *call* is a zero-argument function that does a fixed amount of work (``samples``
training samples, or one pass over a validation set) on preallocated arrays, so the timed
code is nothing but the kernel. :func:`record` turns pytest-benchmark's median time into
the numbers every suite reports: ``samples_per_s``, ``gflops`` (useful FLOPs of the network,
:mod:`kernels.layout`) and ``fraction_of_peak`` (of this machine's measured GEMM GFLOP/s for
the same dtype and thread count). Timing itself, statistics and saving are pytest-benchmark's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from kernels import (
    available_backends,
    backend_info,
    effective_threads,
    open_session,
    set_threads,
)
from kernels.layout import CROSS_ENTROPY, SIGMOID, flops_per_sample, flops_per_update, init_params
from kernels.paths import blas_threads, default_path, executed_flops_per_update
from kernels.session import VAL, Session

NIELSEN = (784, 30, 10)  # the book's network
ETA = 0.5  # learning rate of the timed calls (the chapter's)
LMBDA = 5.0  # L2 strength λ; the kernels take λ/n


def have_backend(name: str) -> bool:
    """True when the module of backend ``name`` exists in this checkout."""
    return name in available_backends()


def have_module(name: str) -> bool:
    """True when the top-level module ``name`` can be imported (an optional peer)."""
    import importlib.util

    return importlib.util.find_spec(name) is not None


# Why an optional peer is skipped, and how to install it: one sentence per module.
MISSING = {
    "torch": "PyTorch is not installed (pip install -e .[peers])",
    "jax": "JAX is not installed (pip install -e .[jax])",
    "sklearn": "scikit-learn is not installed",
}


def missing(name: str) -> str | None:
    """The skip reason for the optional peer module ``name`` (:data:`MISSING`), or None
    when it can be imported."""
    return None if have_module(name) else MISSING[name]


@contextmanager
def threads_limited(backend: str | None, threads: int, path: str | None = None) -> Iterator[None]:
    """Run the body with ``threads`` threads for ``backend`` (if threaded) and for BLAS.

    ``backend`` None (a peer that is not an mlpbench backend): BLAS threads only. ``path``:
    the kernel path the body runs (BLAS gets one thread on the split paths:
    :func:`kernels.paths.blas_threads`).

    BLAS threads matter to numpy and to Numba's ``np.dot``, which calls SciPy's OpenBLAS:
    importing ``scipy.linalg.cython_blas`` first lets threadpoolctl see and limit that one
    too. The previous settings are restored on exit.
    """
    import scipy.linalg.cython_blas  # noqa: F401  (the BLAS that Numba's np.dot calls)
    from threadpoolctl import threadpool_limits

    info = None if backend is None else backend_info(backend)
    previous = 1 if info is None else set_threads(info, threads)
    try:
        blas = threads if path is None else blas_threads(path, threads)
        with threadpool_limits(limits=blas, user_api="blas"):
            yield
    finally:
        if info is not None:
            set_threads(info, previous)


def time_it(
    benchmark: Any, call: Callable[[], Any], backend: str, threads: int, path: str | None = None
) -> None:
    """Warm ``call`` up (compile or load the cache) and time it with ``benchmark``, with
    ``threads`` threads for ``backend`` and for BLAS (:func:`threads_limited`; ``path``:
    the kernel path ``call`` runs)."""
    with threads_limited(backend, threads, path):
        call()
        benchmark(call)


@dataclass(frozen=True, kw_only=True)
class Work:
    """How much one timed call does: samples trained (or evaluated) and parameter updates."""

    sizes: tuple[int, ...]
    samples: int  # samples per call
    updates: int  # parameter updates per call (0 for evaluation)
    forward_only: bool = False  # evaluation: the forward pass only
    executed: float | None = None  # FLOPs the kernel path executes per call (None: model)
    path: str | None = None  # the kernel path of a training call

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
    threads: int,
    seed: int = 0,
) -> tuple[Callable[[], float], Work]:
    """A call running ``samples // mini_batch`` fused SGD steps of ``backend`` on ``X``, ``y``.

    A session (parameters, velocity, workspace, data, a fixed permutation) is opened once
    here; the call itself only runs the kernel, and synchronizes where the backend needs it
    (so a timing covers the work). ``samples`` is rounded down to whole mini-batches.
    ``threads``: what :func:`time_it` will run the call on; the executed FLOPs are those of
    the documented default kernel path for it (the path the call takes on that many threads).
    """
    steps = max(1, samples // mini_batch)
    if steps * mini_batch > len(y):
        raise ValueError(f"{steps * mini_batch} samples asked of a {len(y)}-row data set")
    rng = np.random.default_rng(seed)
    session = _session(backend, X, y, sizes, mini_batch, rng)
    session.set_order(rng.permutation(len(y)).astype(np.int64))
    lmbda_n = LMBDA / len(y)
    steps_fn, sync = session.steps, session.synchronize if session.info.synchronize else None

    def call() -> float:
        cost = steps_fn(0, steps, ETA, lmbda_n, 0.0)
        if sync is not None:
            sync()
        return cost

    path = default_path(backend, mini_batch, effective_threads(backend_info(backend), threads))
    executed = steps * executed_flops_per_update(sizes, mini_batch, path, 0.0, lmbda_n)
    return call, Work(
        sizes=tuple(sizes), samples=steps * mini_batch, updates=steps, executed=float(executed),
        path=path,
    )  # fmt: skip


def _session(
    backend: str, X: npt.NDArray[np.floating], y: npt.NDArray[np.int64],
    sizes: tuple[int, ...], mini_batch: int, rng: np.random.Generator,
) -> Session:  # fmt: skip
    """A session of ``backend`` with initial weights from ``rng`` and ``X``, ``y`` uploaded
    as both the training and the validation set; threads and path left to the caller."""
    session = open_session(
        backend, sizes=tuple(sizes), dtype=X.dtype, mini_batch=mini_batch,
        hidden=SIGMOID, output=CROSS_ENTROPY,
    )  # fmt: skip
    params = init_params(sizes, "default", rng, X.dtype)
    session.load(params, np.zeros_like(params))
    session.upload(X, y, X, y)
    return session


def evaluate_call(
    backend: str,
    X: npt.NDArray[np.floating],
    y: npt.NDArray[np.int64],
    *,
    sizes: tuple[int, ...] = NIELSEN,
) -> tuple[Callable[[], tuple[int, float]], Work]:
    """A call classifying every row of ``X`` with ``backend`` (validation forward pass)."""
    session = _session(backend, X, y, sizes, 1, np.random.default_rng(0))
    evaluate, sync = session.evaluate, session.synchronize if session.info.synchronize else None

    def call() -> tuple[int, float]:
        out = evaluate(VAL)
        if sync is not None:
            sync()
        return out

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
