"""What machine a run happened on, and its measured ceilings (the yardsticks for GFLOP/s).

Collected once per run and stored in the run JSON, so numbers from different machines can
be put side by side honestly: CPU model, cores, library versions, Numba's threading layer
and thread count, the BLAS in use (and which OpenBLAS core type ran, chosen by whom), a GPU
if one is visible, the git commit, and the machine's measured compute and memory ceilings
(:mod:`bench.ceiling`, cached per machine and software).
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np


def _cpuinfo() -> dict[str, Any]:
    """py-cpuinfo's dict (about a second: it probes the CPU), or {} where it fails."""
    try:
        import cpuinfo

        return dict(cpuinfo.get_cpu_info())
    except Exception:  # py-cpuinfo can fail on unusual platforms
        return {}


def cpu_model(info: Mapping[str, Any] | None = None) -> str:
    """CPU brand string (py-cpuinfo's ``info``, read if not given), or the platform's name."""
    brand = (_cpuinfo() if info is None else info).get("brand_raw")
    return str(brand) if brand else platform.processor() or platform.machine()


# x86-64 micro-architecture levels (psABI): the flags each adds, as Linux/py-cpuinfo name them.
_X86_LEVELS = (
    ("AVX-512", {"avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"}),
    ("AVX2", {"avx2", "fma", "bmi1", "bmi2", "f16c", "movbe"}),
    ("SSE4.2", {"sse4_2", "popcnt", "ssse3", "cx16"}),
)
# (vendor, family, first model, last model, micro-architecture, EPYC series for a bare brand)
_UARCH = (
    ("AuthenticAMD", 0x17, 0x00, 0x2F, "Zen", "7xx1"),
    ("AuthenticAMD", 0x17, 0x30, 0xAF, "Zen 2", "7xx2"),
    ("AuthenticAMD", 0x19, 0x00, 0x0F, "Zen 3", "7xx3"),
    ("AuthenticAMD", 0x19, 0x10, 0x1F, "Zen 4", "9xx4"),
    ("AuthenticAMD", 0x19, 0x20, 0x5F, "Zen 3", "7xx3"),
    ("AuthenticAMD", 0x19, 0x60, 0xAF, "Zen 4", "9xx4"),
    ("AuthenticAMD", 0x1A, 0x00, 0xFF, "Zen 5", "9xx5"),
    ("GenuineIntel", 6, 0x3F, 0x3F, "Haswell", None),
    ("GenuineIntel", 6, 0x4F, 0x4F, "Broadwell", None),
    ("GenuineIntel", 6, 0x55, 0x55, "Skylake/Cascade Lake", None),
    ("GenuineIntel", 6, 0x6A, 0x6C, "Ice Lake", None),
    ("GenuineIntel", 6, 0x8F, 0x8F, "Sapphire Rapids", None),
    ("GenuineIntel", 6, 0xAD, 0xAE, "Granite Rapids", None),
    ("GenuineIntel", 6, 0xCF, 0xCF, "Emerald Rapids", None),
)


def short_cpu(brand: str) -> str:
    """A CPU brand string without trademarks, 'CPU', 'Processor', core count and clock speed."""
    text = re.sub(r"\((R|TM|tm|r)\)|\bCPU\b|\bProcessor\b|@.*$|\d+-Core", " ", brand)
    return " ".join(text.split()) or brand


def isa_level(flags: Iterable[str], arch: str = "x86_64") -> str | None:
    """Widest vector ISA level the CPU flags cover: AVX-512, AVX2, SSE4.2, SSE2; NEON/SVE on Arm.

    x86 levels follow the x86-64-v2/v3/v4 psABI flag sets (AVX-512 = v4: F, BW, CD, DQ, VL).
    None when ``flags`` is empty (unknown, not "no ISA").
    """
    have = {f.lower() for f in flags}
    if not have:
        return None
    if arch.lower() in ("aarch64", "arm64", "arm_8"):
        return "SVE" if "sve" in have else "NEON" if have & {"asimd", "neon"} else "Arm"
    for name, needed in _X86_LEVELS:
        if needed <= have:
            return name
    return "SSE2"


def microarchitecture(vendor: str | None, family: int | None, model: int | None) -> str | None:
    """Micro-architecture name (e.g. "Zen 4") from the CPUID vendor, family and model, or None."""
    for v, fam, lo, hi, name, _ in _UARCH:
        if vendor == v and family == fam and model is not None and lo <= model <= hi:
            return name
    return None


def _epyc_series(vendor: str | None, family: int | None, model: int | None) -> str | None:
    for v, fam, lo, hi, _, series in _UARCH:
        if vendor == v and family == fam and model is not None and lo <= model <= hi:
            return series
    return None


def cpu_identity(info: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """CPUID vendor, family, model and the ISA level of this CPU, from py-cpuinfo's ``info``
    (read if not given); None values where unknown."""
    info = _cpuinfo() if info is None else info
    return {
        "cpu_vendor": info.get("vendor_id_raw"),
        "cpu_family": info.get("family"),
        "cpu_model_number": info.get("model"),
        "isa": isa_level(info.get("flags") or [], str(info.get("arch_string_raw") or "x86_64")),
    }


def hardware_label(info: Mapping[str, Any]) -> str:
    """A label that tells machines apart, e.g. "AMD EPYC 9xx4 · Zen 4 · AVX-512 · 2 cores".

    ``info`` is a machine dict (:func:`machine_info`, or a pytest-benchmark ``machine_info``
    flattened the same way): ``cpu`` (brand string), optional ``cpu_vendor``, ``cpu_family``,
    ``cpu_model_number``, ``isa`` (or ``flags``) and ``cores``. A bare "AMD EPYC" brand (as
    virtual machines report it) gets its series (9xx4 …) from the family and model.
    """
    name = short_cpu(str(info.get("cpu") or "unknown CPU"))
    vendor, family, model = (
        info.get("cpu_vendor"),
        info.get("cpu_family"),
        info.get("cpu_model_number"),
    )
    series = _epyc_series(vendor, family, model)
    if name == "AMD EPYC" and series:
        name = f"AMD EPYC {series}"
    isa = info.get("isa") or isa_level(
        info.get("flags") or [], str(info.get("machine") or "x86_64")
    )
    cores = info.get("cores")
    parts = [name, microarchitecture(vendor, family, model), isa,
             f"{cores} cores" if cores else None]  # fmt: skip
    return " · ".join(p for p in parts if p)


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

    from bench.blas_coretype import coretype_record, cpu_flags
    from bench.gpu import gpu_record

    layer: str
    try:
        layer = str(numba.threading_layer())  # type: ignore[attr-defined]
    except ValueError:  # not chosen until a parallel kernel has run
        layer = str(getattr(numba.config, "THREADING_LAYER", "default"))
    cpu = _cpuinfo()
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
        from bench.ceiling import ceilings

        info["gemm_peak_gflops"] = {f"{dtype}/{threads}": gemm_peak_gflops(dtype, threads)}
        info["ceilings"] = ceilings(measure_missing=measure_ceilings)
    return info
