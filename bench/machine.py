"""What machine a run happened on, and its measured GEMM peak (the yardstick for GFLOP/s).

Collected once per run and stored in the run JSON, so numbers from different machines can
be put side by side honestly: CPU model, cores, library versions, Numba's threading layer
and thread count, the BLAS in use, a GPU if one is visible, and the git commit.
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


def cpu_model() -> str:
    """CPU brand string (py-cpuinfo), or the platform's processor name."""
    try:
        import cpuinfo

        brand = cpuinfo.get_cpu_info().get("brand_raw")
        if brand:
            return str(brand)
    except Exception:  # py-cpuinfo can fail on unusual platforms
        pass
    return platform.processor() or platform.machine()


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


def blas_info() -> list[dict[str, Any]]:
    """BLAS/OpenMP libraries loaded in this process (threadpoolctl), as plain dicts."""
    try:
        from threadpoolctl import threadpool_info

        return [
            {k: v for k, v in lib.items() if k in ("internal_api", "version", "num_threads",
                                                   "architecture", "user_api")}
            for lib in threadpool_info()
        ]  # fmt: skip
    except Exception:
        return []


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


def gemm_peak_gflops(dtype: str, threads: int, n: int = 2000, repeats: int = 3) -> float:
    """Measured GFLOP/s of an ``n``×``n`` numpy matmul in ``dtype`` on ``threads`` BLAS threads.

    The best of ``repeats`` runs after one warm-up; ``2·n³`` FLOPs per product.
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
    *, dtype: str | None = None, threads: int = 1, peak: bool = True
) -> dict[str, Any]:
    """Everything above as one JSON-ready dict; ``peak`` measures the GEMM yardstick too."""
    import llvmlite
    import numba

    layer: str
    try:
        layer = str(numba.threading_layer())  # type: ignore[attr-defined]
    except ValueError:  # not chosen until a parallel kernel has run
        layer = str(getattr(numba.config, "THREADING_LAYER", "default"))
    info: dict[str, Any] = {
        "cpu": cpu_model(),
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
        "git_commit": git_commit(),
        "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE"),
    }
    if peak and dtype is not None:
        info["gemm_peak_gflops"] = {f"{dtype}/{threads}": gemm_peak_gflops(dtype, threads)}
    return info
