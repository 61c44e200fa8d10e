"""Set-up shared by the benchmark suites: ready-to-time kernel calls and their extra_info.

A *call* is a zero-argument function that does a fixed amount of work (``samples``
training samples, or one pass over a validation set) on preallocated arrays, so the timed
code is nothing but the kernel. :func:`record` turns pytest-benchmark's median time into
the numbers every suite reports: ``samples_per_s``, ``gflops`` (useful FLOPs of the network,
:mod:`kernels.layout`) and ``fraction_of_peak`` (of this machine's measured ceiling for the
same dtype and thread count, :mod:`bench.ceiling`; its ``peak_basis`` and ``bound`` beside
it). Timing itself, statistics and saving are pytest-benchmark's.
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
    "torch": "PyTorch is not installed (pip install -e '.[peers]')",
    "jax": "JAX is not installed (pip install -e '.[jax]')",
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
        with watched(benchmark):
            benchmark(call)


@contextmanager
def watched(benchmark: Any) -> Iterator[None]:
    """Record the machine's state around the timed rounds of ``benchmark`` (the body) in
    ``extra_info["stability"]`` with the verdict (:mod:`bench.stability`), and
    ``extra_info["unstable"]`` (1 or 0); the rounds' spread is part of the verdict."""
    from bench.stability import StateMonitor

    monitor = StateMonitor()
    yield
    seconds = round_seconds(benchmark)
    state = monitor.finish([1 / s for s in seconds], unit="round")
    benchmark.extra_info["stability"] = state.to_dict()
    benchmark.extra_info["unstable"] = int(not state.stable)


def thinned(values: list[float], most: int = 256) -> list[float]:
    """At most ``most`` of ``values``, evenly spaced (micro-benchmarks run thousands of
    rounds; a rank test needs far fewer, and the JSON stays small)."""
    if len(values) <= most:
        return values
    return [values[i * len(values) // most] for i in range(most)]


def round_seconds(benchmark: Any) -> list[float]:
    """Seconds per call of each timed round of a finished benchmark ([] when disabled)."""
    meta = getattr(benchmark, "stats", None)
    data = getattr(getattr(meta, "stats", None), "data", None) or []
    return [float(s) for s in data if s and s > 0]


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


CEILINGS: dict[str, Any] = {}  # the machine's measured ceilings (suites/conftest.py sets it)


def peak_basis(
    work: Work, dtype: str, threads: int, backend: str | None, executed_gflops: float | None,
    samples_per_s: float | None,
) -> dict[str, Any]:  # fmt: skip
    """``peak_basis`` (what ``fraction_of_peak`` is a share of: the measured ceiling, or the
    numpy GEMM where :data:`CEILINGS` has none, or a GPU's GEMM) and ``bound`` (compute or
    memory at the call's arithmetic intensity, :mod:`bench.roofline`)."""
    from bench.roofline import BLAS_GEMM, CEILING, bound, bytes_per_sample, key

    if backend is not None and backend_info(backend).device != "cpu":
        return {"peak_basis": "GPU GEMM", "bound": None}
    if key(dtype, threads) not in (CEILINGS.get("compute_gflops") or {}):
        return {"peak_basis": BLAS_GEMM, "bound": None}
    where = None
    if executed_gflops and samples_per_s:
        mb = work.samples // work.updates if work.updates else work.samples
        moved = bytes_per_sample(work.sizes, mb, np.dtype(dtype).itemsize, CEILINGS.get("l2_bytes"))
        intensity = executed_gflops * 1e9 / samples_per_s / moved
        where = bound({"ceilings": CEILINGS}, dtype, threads, intensity)
    return {"peak_basis": CEILING, "bound": where}


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
    rates = throughput(work, median_seconds(benchmark), peak_gflops)
    benchmark.extra_info.update(
        {
            "dtype": dtype,
            "threads": threads,
            "sizes": list(work.sizes),
            "samples_per_call": work.samples,
            "updates_per_call": work.updates,
            **extra,
            **rates,
            **peak_basis(
                work,
                dtype,
                threads,
                extra.get("backend"),
                rates["executed_gflops"],
                rates["samples_per_s"],
            ),
            # samples/s of every round: what mlpbench compare's rank test uses
            "rates": [round(work.samples / s, 1) for s in thinned(round_seconds(benchmark))],
        }
    )
