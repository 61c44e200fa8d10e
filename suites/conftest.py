"""pytest-benchmark configuration of the suites: data, GEMM peaks, machine_info, options.

* ``pytest --benchmark-only`` times every suite (about 5 minutes on 2 cores);
  ``-m quick`` keeps a small subset; ``--benchmark-autosave`` saves the run under
  ``results/benchmarks/`` (``--benchmark-storage`` in ``pyproject.toml``).
* A plain ``pytest`` (no benchmark option given) runs the suites with timing disabled:
  each benchmark body runs once, so the suites stay exercised without costing minutes.
* ``--samples-per-call N`` sets the training samples of one timed call (default 2,000);
  ``--peer-samples N`` the samples of one peers call (default 2,000; the published peers
  table uses 50,000, Nielsen's epoch).
* :func:`pytest_benchmark_update_machine_info` adds numba, llvmlite and numpy versions,
  Numba's threading layer and thread count, the BLAS (threadpoolctl) and the measured GEMM
  peak per dtype and thread count under ``machine_info["mlpbench"]``, and the machine's
  measured ceilings (``["mlpbench"]["ceilings"]``, :mod:`bench.ceiling`: measured once per
  machine and software when timing is on, read from its cache when it is off). Every
  ``fraction_of_peak`` is a share of that ceiling where it is known.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from bench.config import DataSpec
from bench.data.dataset import Dataset, load

PEAK_N = 1500  # matrix size of the GEMM yardstick when timing is on
PEAK_N_DISABLED = 128  # ...and when timing is disabled (exercise the code, cheaply)
DTYPES = ("float32", "float64")
THREADS = (1, 2)

_BENCHMARK_OPTIONS = (
    "benchmark_only",
    "benchmark_enable",
    "benchmark_save",
    "benchmark_autosave",
    "benchmark_json",
    "benchmark_compare",
    "benchmark_histogram",
)
_peaks: dict[tuple[str, int], float] = {}


def pytest_addoption(parser: pytest.Parser) -> None:
    """Sample counts of the timed calls."""
    group = parser.getgroup("mlpbench suites")
    group.addoption(
        "--samples-per-call", type=int, default=2000,
        help="training samples per timed kernel call (default 2000)",
    )  # fmt: skip
    group.addoption(
        "--peer-samples", type=int, default=2000,
        help="training samples per timed peers call (default 2000; 50000 = Nielsen's epoch)",
    )  # fmt: skip
    group.addoption(
        "--peer-rounds", type=int, default=None,
        help="fixed rounds per peers benchmark (default: pytest-benchmark's calibration)",
    )  # fmt: skip


def pytest_configure(config: pytest.Config) -> None:
    """Register the markers; disable timing when no benchmark option was asked for."""
    config.addinivalue_line("markers", "quick: a small subset of the suites (-m quick)")
    config.addinivalue_line("markers", "slow: runs in a subprocess or trains to accuracy")
    if not any(config.getoption(name, default=None) for name in _BENCHMARK_OPTIONS):
        config.option.benchmark_disable = True


def timing_enabled(config: pytest.Config) -> bool:
    """True unless the run has benchmark timing disabled."""
    return not config.getoption("benchmark_disable") or bool(config.getoption("benchmark_enable"))


def gemm_peak(dtype: str, threads: int, *, n: int = PEAK_N) -> float:
    """This machine's numpy GEMM GFLOP/s for ``dtype`` on ``threads`` BLAS threads (cached)."""
    from bench.machine import gemm_peak_gflops

    key = (dtype, threads)
    if key not in _peaks:
        _peaks[key] = gemm_peak_gflops(dtype, threads, n=n)
    return _peaks[key]


_gpu_peaks: dict[str, float | None] = {}


def gpu_peak(dtype: str) -> float | None:
    """The CUDA device's tiled-GEMM GFLOP/s for ``dtype`` (cached), None without a GPU."""
    from bench.gpu import gpu_gemm_peak_gflops

    if dtype not in _gpu_peaks:
        _gpu_peaks[dtype] = gpu_gemm_peak_gflops(dtype)
    return _gpu_peaks[dtype]


def machine_ceilings(config: pytest.Config) -> dict[str, Any] | None:
    """The machine's ceilings (measured once when timing is on; cached ones only when it is
    off; None when unknown or ``MLPBENCH_CEILINGS=off``), also set in ``harness.CEILINGS``."""
    from bench import ceiling
    from suites import harness

    if "record" not in _ceilings:
        rec = None
        if ceiling.enabled():
            rec = ceiling.ceilings() if timing_enabled(config) else ceiling.load_cached()
        _ceilings["record"] = rec
        harness.CEILINGS.clear()
        harness.CEILINGS.update(rec or {})
    return _ceilings["record"]


_ceilings: dict[str, dict[str, Any] | None] = {}


@pytest.fixture(scope="session")
def peak(pytestconfig: pytest.Config) -> Any:
    """``peak(dtype, threads, backend=None)`` -> the machine's measured compute ceiling in
    GFLOP/s, or where none is known the measured GEMM (small matrices if timing is off); for
    a GPU backend the GPU's tiled-GEMM peak (:mod:`bench.gpu`)."""
    n = PEAK_N if timing_enabled(pytestconfig) else PEAK_N_DISABLED
    ceil = (machine_ceilings(pytestconfig) or {}).get("compute_gflops") or {}

    def get(dtype: str, threads: int, backend: str | None = None) -> float | None:
        from kernels import backend_info

        if backend is not None and backend_info(backend).device != "cpu":
            return gpu_peak(dtype)
        return ceil.get(f"{dtype}/{threads}") or gemm_peak(dtype, threads, n=n)

    return get


def pytest_benchmark_update_machine_info(
    config: pytest.Config, machine_info: dict[str, Any]
) -> None:
    """Add mlpbench's machine facts and the GEMM peak per dtype/threads to the saved run."""
    from bench.machine import machine_info as mlpbench_machine

    facts = mlpbench_machine(peak=False)
    n = PEAK_N if timing_enabled(config) else PEAK_N_DISABLED
    facts["gemm_peak_gflops"] = {
        f"{dtype}/{threads}": gemm_peak(dtype, threads, n=n)
        for dtype in DTYPES
        for threads in THREADS
    }
    if facts.get("cuda"):  # a CUDA device (not the simulator): its tiled-GEMM peak too
        facts["gpu_gemm_peak_gflops"] = {dtype: gpu_peak(dtype) for dtype in DTYPES}
    facts["cpu_count"] = os.cpu_count()
    facts["ceilings"] = machine_ceilings(config)
    machine_info["mlpbench"] = facts


@pytest.fixture(scope="session")
def samples_per_call(pytestconfig: pytest.Config) -> int:
    """Training samples of one timed kernel call (``--samples-per-call``)."""
    return int(pytestconfig.getoption("samples_per_call"))


@pytest.fixture
def time_training(benchmark: Any, synthetic_data: Any, peak: Any, samples_per_call: int) -> Any:
    """``time_training(backend=, dtype=, mini_batch=, threads=, sizes=(784, 30, 10))``: the
    training benchmark. The fused call of ``samples_per_call`` synthetic samples
    (:func:`suites.harness.train_call`), warmed up then timed (:func:`~suites.harness.time_it`),
    its throughput and share of :func:`peak` recorded (:func:`~suites.harness.record`)."""
    from suites import harness

    def run(
        *, backend: str, dtype: str, mini_batch: int, threads: int,
        sizes: tuple[int, ...] = harness.NIELSEN,
    ) -> None:  # fmt: skip
        data = synthetic_data(dtype)
        call, work = harness.train_call(
            backend, data.X_train, data.y_train, sizes=sizes, mini_batch=mini_batch,
            samples=samples_per_call, threads=threads,
        )  # fmt: skip
        harness.time_it(benchmark, call, backend, threads, work.path)
        harness.record(
            benchmark, work, peak_gflops=peak(dtype, threads, backend), dtype=dtype,
            threads=threads, backend=backend, mini_batch=mini_batch,
        )  # fmt: skip

    return run


@pytest.fixture(scope="session")
def peer_samples(pytestconfig: pytest.Config) -> int:
    """Training samples of one timed peers call (``--peer-samples``)."""
    return int(pytestconfig.getoption("peer_samples"))


_synthetic: dict[tuple[int, str], Dataset] = {}


def synthetic(n: int, dtype: str) -> Dataset:
    """``n`` synthetic 784-feature training rows (and n/5 validation rows), cached."""
    key = (max(n, 2000), dtype)
    if key not in _synthetic:
        _synthetic[key] = load(DataSpec(source="synthetic", n_synthetic=key[0]), dtype, 0)
    return _synthetic[key]


@pytest.fixture(scope="session")
def synthetic_data(samples_per_call: int) -> Any:
    """``synthetic_data(dtype)`` -> a synthetic data set large enough for one timed call."""

    def get(dtype: str) -> Dataset:
        return synthetic(max(samples_per_call, 1000), dtype)

    return get


@pytest.fixture(scope="session")
def mnist5k_data() -> Any:
    """``mnist5k_data(dtype)`` -> the default real data set (4,000 train, 1,000 validation)."""
    cache: dict[str, Dataset] = {}

    def get(dtype: str) -> Dataset:
        if dtype not in cache:
            cache[dtype] = load(DataSpec(), dtype, 0)
        return cache[dtype]

    return get


@pytest.fixture(autouse=True)
def _restore_numba_threads() -> Iterator[None]:
    """Each benchmark starts and ends with Numba's default thread count."""
    yield
    import numba

    numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
