"""What machine a run happened on, and its measured ceilings (the yardsticks for GFLOP/s).

Collected once per run and stored in the run JSON, so numbers from different machines can
be put side by side honestly: CPU model, cores, library versions, Numba's threading layer
and thread count, the BLAS in use (and which OpenBLAS core type ran, chosen by whom), a GPU
if one is visible, the git commit, and the machine's measured compute and memory ceilings
(:mod:`bench.ceiling`, cached per machine and software). Which CPU it is comes from
:mod:`bench.cpu_identity`, which BLAS is loaded from :mod:`bench.blas_coretype`.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.blas_coretype import blas_info, coretype_record, cpu_flags
from bench.ceiling import ceilings
from bench.cpu_identity import cpu_identity, cpu_model, read_cpuinfo
from bench.gpu import gpu_record


def git_commit(path: Path | None = None) -> str | None:
    """Commit hash of the checkout holding this package (``+dirty`` if modified), or None."""
    where = path or Path(__file__).resolve().parent.parent
    if shutil.which("git") is None:
        return None
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=where, capture_output=True, text=True, timeout=5
        )
        if head.returncode != 0:
            return None
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=where, capture_output=True, text=True, timeout=5,
        )  # fmt: skip
        return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return None


def gpu_name() -> str | None:
    """Name of the first NVIDIA GPU (nvidia-smi), or None."""
    if shutil.which("nvidia-smi") is None:
        return None
    try:
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"],
            capture_output=True, text=True, timeout=10,
        )  # fmt: skip
        return out.stdout.strip().splitlines()[0] if out.returncode == 0 and out.stdout else None
    except (OSError, subprocess.SubprocessError, IndexError):
        return None


def gemm_peak_gflops(dtype: str, threads: int, n: int = 1536, repeats: int = 3) -> float:
    """Measured GFLOP/s of an ``n``×``n`` numpy matmul in ``dtype`` on ``threads`` BLAS threads.

    The best of ``repeats`` runs after one warm-up; ``2·n³`` FLOPs per product. ``n`` 1536:
    on a 2-vCPU Zen 5 (OpenBLAS 0.3.31, Haswell and SkylakeX kernels, one thread) it read
    the same GFLOP/s as 2000 within the run-to-run spread (55.6 vs 55.5 and 92.7 vs 91.0 in
    float64) in 0.42× the time (every sweep measures it once: float32 and float64 on the
    Haswell kernels took 0.81 s instead of 1.95 s); 1024 read up to 14 % lower in float32.
    """
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(0)
    a = rng.random((n, n)).astype(dtype)
    b = rng.random((n, n)).astype(dtype)
    with threadpool_limits(limits=threads, user_api="blas"):
        a @ b
        best = float("inf")
        for _ in range(repeats):
            t = time.perf_counter()
            a @ b
            best = min(best, time.perf_counter() - t)
    return 2 * n**3 / best / 1e9


def machine_info(
    *,
    dtype: str | None = None,
    threads: int = 1,
    peak: bool = True,
    gpu_peak: bool = False,
    measure_ceilings: bool = True,
) -> dict[str, Any]:
    """Everything above as one JSON-ready dict; ``peak`` measures the GEMM yardstick too
    and adds the machine's ceilings (``"ceilings"``: :func:`bench.ceiling.ceilings`, from
    its cache; ``measure_ceilings=False`` leaves them None when nothing is cached yet, so a
    first sweep stays quick).

    ``"cuda"``: the CUDA device (:func:`bench.gpu.gpu_record`: model, driver and CUDA
    versions) or None; ``gpu_peak`` also measures its GEMM GFLOP/s in ``dtype``.
    """
    import llvmlite
    import numba

    layer: str
    try:
        layer = str(numba.threading_layer())  # type: ignore[attr-defined]
    except ValueError:  # not chosen until a parallel kernel has run
        layer = str(getattr(numba.config, "THREADING_LAYER", "default"))
    cpu = read_cpuinfo()
    info: dict[str, Any] = {
        "cpu": cpu_model(cpu),
        **cpu_identity(cpu),
        "cores": os.cpu_count(),
        "machine": platform.machine(),
        "system": f"{platform.system()} {platform.release()}",
        "hostname": platform.node(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "numba": numba.__version__,
        "llvmlite": llvmlite.__version__,
        "threading_layer": layer,
        "numba_threads": numba.get_num_threads(),
        "blas": blas_info(),
        "gpu": gpu_name(),
        "cuda": gpu_record(dtype, peak=gpu_peak),
        "git_commit": git_commit(),
        "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE"),
        "blas_coretype": coretype_record(blas_info(), cpu_flags()),
    }
    if peak and dtype is not None:
        info["gemm_peak_gflops"] = {f"{dtype}/{threads}": gemm_peak_gflops(dtype, threads)}
        info["ceilings"] = ceilings(measure_missing=measure_ceilings)
    return info
