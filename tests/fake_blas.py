"""Faked answers about the CPU and its BLAS, shared by the tests (imported as ``fake_blas``:
``tests/`` is on ``sys.path`` under pytest, not a package): the CPU flags of an AVX-512 and
an AVX2 machine as ``/proc/cpuinfo`` names them, the same ISA as a ``NUMBA_CPU_FEATURES``
value, and what ``threadpoolctl.threadpool_info()`` answers for numpy's OpenBLAS."""

from __future__ import annotations

from typing import Any

AVX512 = {
    "avx",
    "avx2",
    "fma",
    "avx512f",
    "avx512bw",
    "avx512cd",
    "avx512dq",
    "avx512vl",
    "avx512_bf16",
    "sse4a",
}  # fmt: skip (a Zen 4/5 without AMX)
AVX2 = {"avx", "avx2", "fma"}
NUMBA_AVX512 = "+avx512f,+avx2,+fma,+sse2"  # NUMBA_CPU_FEATURES of an AVX-512 target
NUMBA_AVX2 = "+avx2,+fma,+sse2,-avx512f"  # NUMBA_CPU_FEATURES of an AVX2 target


def openblas(arch: str) -> list[dict[str, Any]]:
    """What threadpoolctl.threadpool_info() answers for numpy's OpenBLAS running ``arch``."""
    lib = {"user_api": "blas", "internal_api": "openblas", "version": "0.3.31"}
    return [lib | {"architecture": arch, "filepath": "/x/numpy.libs/libscipy_openblas64_.so"}]
