"""The GPU side of ``machine_info``: model, driver and CUDA versions, and a measured GEMM peak.

Everything here goes through ``numba.cuda`` (NVIDIA's numba-cuda, the ``[cuda]`` extra) and
``nvidia-smi``; without them every function answers ``None`` instead of failing, so a CPU
machine records ``"gpu": null``. The peak is measured with this project's own shared-memory
tiled GEMM kernel (:func:`kernels.cuda.kernels.kernel_set`), the same tiling the ``cuda``
backend's layer products use, so the peak share of a cuda run compares like with like; it is
far below the card's cuBLAS peak (no register blocking or tensor cores), and is labelled
``"method": "tiled-gemm"`` in the record.
"""

from __future__ import annotations

import importlib
import shutil
import subprocess
import time
from typing import Any

from kernels.cuda.presence import cuda_absent


def _cuda() -> Any | None:
    """``numba.cuda`` when numba-cuda is installed and a device (or the simulator) is usable;
    not imported where no driver library loads and the simulator is off
    (:func:`kernels.cuda.presence.cuda_absent`)."""
    if cuda_absent() is not None:
        return None
    cuda: Any = importlib.import_module("numba.cuda")
    return cuda if cuda.is_available() else None


def _nvidia_smi(field: str) -> str | None:
    """One ``--query-gpu`` field of the first GPU from ``nvidia-smi``, or None."""
    if shutil.which("nvidia-smi") is None:
        return None
    try:
        out = subprocess.run(
            ["nvidia-smi", f"--query-gpu={field}", "--format=csv,noheader"],
            capture_output=True, text=True, timeout=10,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    lines = out.stdout.strip().splitlines() if out.returncode == 0 else []
    return lines[0].strip() if lines else None


def gpu_info() -> dict[str, Any] | None:
    """The first CUDA device: ``model``, ``compute_capability``, ``memory_gib``,
    ``driver`` (NVIDIA driver version), ``cuda_driver`` (CUDA version the driver supports),
    ``cuda_runtime`` (the runtime numba-cuda uses) and ``numba_cuda``; None without a device.

    Under the CUDA simulator the model is ``"CUDA simulator"`` and the versions are None.
    """
    cuda = _cuda()
    if cuda is None:
        return None
    import numba_cuda

    version = str(getattr(numba_cuda, "__version__", "unknown"))
    if _simulated(cuda):
        return {"model": "CUDA simulator", "numba_cuda": version}
    dev = cuda.get_current_device()
    name = dev.name.decode() if isinstance(dev.name, bytes) else str(dev.name)
    _free, total = cuda.current_context().get_memory_info()
    return {
        "model": name,
        "compute_capability": ".".join(str(v) for v in dev.compute_capability),
        "memory_gib": round(total / 2**30, 1),
        "driver": _nvidia_smi("driver_version"),
        "cuda_driver": _version(lambda: cuda.cudadrv.driver.driver.get_version()),
        "cuda_runtime": _version(lambda: cuda.runtime.get_version()),
        "numba_cuda": version,
    }


def _simulated(cuda: Any) -> bool:
    return bool(cuda.config.ENABLE_CUDASIM)


def _version(get: Any) -> str | None:
    try:
        return ".".join(str(v) for v in get())
    except Exception:  # an old driver or runtime without the query: record unknown
        return None


def gpu_gemm_peak_gflops(dtype: str, n: int = 2048, repeats: int = 3) -> float | None:
    """Measured GFLOP/s of an ``n``×``n`` product with the tiled GEMM kernel on the GPU.

    The best of ``repeats`` timed launches (each followed by a device synchronize) after one
    untimed launch that compiles the kernel; ``2·n³`` FLOPs per product. None without a GPU
    (and under the simulator, where the number would mean nothing).
    """
    import numpy as np

    cuda = _cuda()
    if cuda is None or _simulated(cuda):
        return None
    from kernels.cuda.kernels import TILE, blocks, kernel_set

    gemm = kernel_set(dtype).gemm
    rng = np.random.default_rng(0)
    a = cuda.to_device(rng.random((n, n)).astype(dtype))
    b = cuda.to_device(rng.random((n, n)).astype(dtype))
    c = cuda.device_array((n, n), dtype=dtype)
    grid = (blocks(n, TILE), blocks(n, TILE))
    gemm[grid, (TILE, TILE)](a, b, c)
    cuda.synchronize()
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        gemm[grid, (TILE, TILE)](a, b, c)
        cuda.synchronize()
        best = min(best, time.perf_counter() - t)
    return 2 * n**3 / best / 1e9


def gpu_record(dtype: str | None, peak: bool = True) -> dict[str, Any] | None:
    """:func:`gpu_info` plus ``gemm_peak_gflops`` ``{dtype: GFLOP/s}`` and the method; for
    ``machine_info``. None without a device."""
    info = gpu_info()
    if info is None:
        return None
    if peak and dtype is not None:
        value = gpu_gemm_peak_gflops(dtype)
        if value is not None:
            info["gemm_peak_gflops"] = {dtype: value}
            info["gemm_method"] = "tiled-gemm"
    return info
