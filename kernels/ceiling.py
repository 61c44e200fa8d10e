"""Micro-kernels that measure the machine's ceilings: FMA throughput and triad bandwidth.

* :func:`fma_kernel` builds a register-resident FMA loop: ``accumulators`` independent
  vectors of ``vector_bytes`` (the widest registers the CPU has: 64 bytes on AVX-512),
  each updated ``acc = acc * x + y`` every iteration. The lane count is a compile-time
  constant (a closure constant), so LLVM unrolls the inner loop, keeps every accumulator
  in a register and issues one vector FMA per accumulator per iteration: no load, no
  store. Enough accumulators cover FMA latency x FMA ports (4 x 2 = 8 on Zen 4/5 and
  Skylake-X; 16 are used where there are 32 vector registers, 12 where there are 16).
  ``threads`` copies run at once (``prange``), one per thread.
* :func:`triad` is STREAM's triad ``a[i] = b[i] + s * c[i]`` over ``prange`` chunks.

FLOPs and bytes are counted by the caller (:mod:`bench.ceiling`): 2 FLOPs per lane per
iteration; 3 array elements moved per triad element (STREAM's convention: two reads, one
write, no write-allocate traffic). Numerics only: no timing, no I/O.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
from numba import njit, prange


def fma_lanes(dtype: Any, vector_bytes: int, accumulators: int) -> int:
    """Elements held in ``accumulators`` vectors of ``vector_bytes`` bytes of ``dtype``."""
    return int(accumulators * vector_bytes // np.dtype(dtype).itemsize)


def fma_kernel(lanes: int) -> tuple[Callable[..., Any], Any]:
    """``(run, one_copy)``: ``run(iters, threads, seed, x, y) -> checksum``, compiled on its
    first call, and the dispatcher of the loop one thread runs (to inspect its assembly).

    ``seed`` (``lanes`` elements, float32 or float64) initialises the accumulators of each
    of ``threads`` independent copies; each copy does ``iters`` iterations of ``lanes``
    FMAs. The checksum (sum of every accumulator) keeps the work from being optimised away.
    Not cached on disk: a closure's constant lane count is part of the code (compile time
    is about a second, and the caller measures it apart).
    """

    @njit(fastmath=True, nogil=True)
    def one_copy(iters, seed, x, y):  # type: ignore[no-untyped-def]
        acc = np.empty(lanes, seed.dtype)
        for j in range(lanes):
            acc[j] = seed[j]
        for _ in range(iters):
            for j in range(lanes):
                acc[j] = acc[j] * x + y
        total = acc[0] * 0
        for j in range(lanes):
            total += acc[j]
        return total

    @njit(fastmath=True, nogil=True, parallel=True)
    def run(iters, threads, seed, x, y):  # type: ignore[no-untyped-def]
        sums = np.zeros(threads, seed.dtype)
        for t in prange(threads):
            sums[t] = one_copy(iters, seed, x, y)
        return sums.sum()

    return run, one_copy


@njit(fastmath=True, nogil=True, cache=True)
def triad_chunk(
    a: npt.NDArray[np.floating], b: npt.NDArray[np.floating], c: npt.NDArray[np.floating],
    s: float,
) -> None:  # fmt: skip
    """STREAM triad ``a = b + s * c`` on one thread (whole, contiguous arrays)."""
    for i in range(a.shape[0]):
        a[i] = b[i] + s * c[i]


@njit(fastmath=True, nogil=True, parallel=True, cache=True)
def triad(
    a: npt.NDArray[np.floating],
    b: npt.NDArray[np.floating],
    c: npt.NDArray[np.floating],
    s: float,
    chunks: int,
) -> None:
    """STREAM triad ``a = b + s * c`` in place, split into ``chunks`` contiguous parts (one
    per thread; each part a slice, so its loop is the plain vectorised one of
    :func:`triad_chunk` and not one indexed through the whole array)."""
    n = a.shape[0]
    step = (n + chunks - 1) // chunks
    for k in prange(chunks):
        lo = min(n, k * step)
        hi = min(n, lo + step)
        triad_chunk(a[lo:hi], b[lo:hi], c[lo:hi], s)
