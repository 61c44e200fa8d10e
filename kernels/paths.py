"""Candidate kernel paths of the backends, their documented defaults and executed FLOPs.

A *path* is one real implementation of ``train_steps`` for a given mini-batch size; the
backends take its name as an explicit argument (``train_steps(..., path=NAME)``) and never
choose by themselves. The harness (:mod:`bench.kernel_tuning`) picks a path per shape by
timing the candidates on this machine, or falls back to :func:`default_path`.

Paths of ``numba`` (serial):

* ``fused-mb1`` (mini-batch 1 only): per-sample loops; the layer-1 weight update is fused
  with the next sample's layer-1 dot products, and with μ = 0 the L2 decay is one scalar;
* ``loops``: register-blocked loops for every product (forward, deltas, weight gradients),
  each finished gradient row applied to the weights while in L1;
* ``blas``: register-blocked forward, BLAS GEMM (``np.dot``) for the deltas and the
  weight gradients;
* ``regtile``: 4 × 4 register-tiled forward loops reading the inputs in place, and the
  weight gradients by the register-tiled micro-kernels of :mod:`kernels.numba.blocks.microkernels`
  (6 rows × 16 columns of ``G`` in vector registers over the whole mini-batch); mini-batches
  above ``GEMM_BLOCK`` in blocks of it;
* ``gemm``: BLAS for every product, forward included (:mod:`kernels.numba.paths.gemm`);
* ``gemm-blocked`` (mini-batch ≥ ``2·GEMM_BLOCK``): ``gemm`` over blocks of ``GEMM_BLOCK``
  samples, so inputs and activations stay in L2 (big mini-batches).

Paths of ``numba-parallel``: the serial ones (run on one thread, no fork/join) and
``split-loops`` / ``split-blas`` / ``split-regtile``: each mini-batch split into one chunk
per thread (at least one sample each), the chunk's gradients by loops, BLAS or the register
tiles, per-thread gradients summed in a parallel update loop. ``numpy`` has the single path
``numpy``.

This module imports numpy only (no numba), so the harness can list paths cheaply. Which
paths each backend has is the registry's (:data:`kernels.REGISTRY`, ``BackendInfo.paths``);
``BACKEND_PATHS`` is read from it.
"""

from __future__ import annotations

from kernels import REGISTRY, backend_info
from kernels.layout import flops_per_sample, flops_per_update, n_params
from kernels.path_names import (
    ALL_PATHS,
    AUTO,
    BLAS,
    FUSED_MB1,
    GEMM,
    GEMM_BLOCKED,
    LOOPS,
    NUMPY,
    PARALLEL_PATHS,
    REGTILE,
    SERIAL_PATHS,
    SPLIT_BLAS,
    SPLIT_LOOPS,
    SPLIT_PATHS,
    SPLIT_REGTILE,
    TILED,
)

__all__ = [  # the path names are defined in kernels.path_names and exported from here
    "ALL_PATHS",
    "AUTO",
    "BACKEND_PATHS",
    "BLAS",
    "DEFAULT_BLAS_FROM",
    "DEFAULT_SPLIT_FROM",
    "FUSED_MB1",
    "GEMM",
    "GEMM_BLOCK",
    "GEMM_BLOCKED",
    "LOOPS",
    "NUMPY",
    "PARALLEL_PATHS",
    "REGTILE",
    "SERIAL_PATHS",
    "SPLIT_BLAS",
    "SPLIT_LOOPS",
    "SPLIT_PATHS",
    "SPLIT_REGTILE",
    "TILED",
    "blas_threads",
    "candidates",
    "check_path",
    "default_path",
    "executed_flops_per_update",
    "model_flops_per_update",
]

BACKEND_PATHS: dict[str, tuple[str, ...]] = {n: i.paths for n, i in REGISTRY.items()}


# Documented defaults (used when no tuning file has a choice): the thresholds the kernels
# were first tuned with on an AVX2 machine (AMD EPYC Zen 2).
DEFAULT_BLAS_FROM = 128  # mini-batch (per thread chunk) from which the gradient GEMMs use BLAS
DEFAULT_SPLIT_FROM = 32  # mini-batch from which numba-parallel splits the batch over threads
GEMM_BLOCK = 128  # samples per block of the gemm-blocked path


def candidates(backend: str, mini_batch: int, threads: int = 1) -> tuple[str, ...]:
    """Paths of ``backend`` that can run ``mini_batch`` samples per update on ``threads``.

    ``fused-mb1`` only at mini-batch 1, ``gemm-blocked`` from ``2·GEMM_BLOCK``; the
    ``split-*`` paths only with two or more threads and a mini-batch of at least 2.
    """
    out = []
    for p in backend_info(backend).paths:
        if p == FUSED_MB1 and mini_batch != 1:
            continue
        if p == GEMM_BLOCKED and mini_batch < 2 * GEMM_BLOCK:
            continue
        if p in SPLIT_PATHS and (threads < 2 or mini_batch < 2):
            continue
        out.append(p)
    return tuple(out)


def default_path(backend: str, mini_batch: int, threads: int = 1) -> str:
    """The documented default path (no tuning): the Zen 2 thresholds above.

    A backend with one path runs it; otherwise ``fused-mb1`` at mini-batch 1, ``loops``
    below ``DEFAULT_BLAS_FROM`` samples, ``blas`` from there on; a backend with the split
    paths (``numba-parallel``) on two or more threads runs ``split-loops`` from
    ``DEFAULT_SPLIT_FROM`` samples.
    """
    info = backend_info(backend)
    if len(info.paths) == 1:  # numpy, cuda: their one path
        return info.paths[0]
    if mini_batch == 1:
        return FUSED_MB1
    if SPLIT_LOOPS in info.paths and threads >= 2 and mini_batch >= DEFAULT_SPLIT_FROM:
        return SPLIT_LOOPS
    return BLAS if mini_batch >= DEFAULT_BLAS_FROM else LOOPS


def blas_threads(path: str, threads: int) -> int:
    """BLAS threads to allow while ``path`` runs on ``threads`` threads.

    1 for the ``split-*`` paths: their BLAS calls run inside Numba's worker threads, one per
    worker, and a BLAS pool in each would put threads² busy threads on the cores (on a
    2-vCPU Zen 4, ``split-blas`` at mini-batch 100 trained 6 k samples/s with two BLAS
    threads, 111 k with one). ``threads`` for every other path.
    """
    return 1 if path in SPLIT_PATHS else threads


def check_path(backend: str, path: str, mini_batch: int, threads: int = 1) -> None:
    """Raise ``ValueError`` naming the candidates when ``path`` cannot run this shape."""
    ok = candidates(backend, mini_batch, threads)
    if path not in ok:
        raise ValueError(
            f"kernel path {path!r} cannot run backend {backend!r} at mini-batch {mini_batch} "
            f"on {threads} thread(s); choose one of {', '.join(ok)}"
        )


def executed_flops_per_update(
    sizes: tuple[int, ...] | list[int], mini_batch: int, path: str, mu: float, lmbda: float
) -> int:
    """Floating-point operations one update of ``mini_batch`` samples executes on ``path``.

    The model count (:func:`executed_flops` with ``path="numpy"``) is
    ``m·flops_per_sample + flops_per_update``. What differs:

    * ``fused-mb1`` with μ = 0: the weight gradient *is* the update FMA (counted once, in
      the per-sample figure), L2 is one scalar, only the biases are updated apart
      (``2·(P − W)``);
    * every Numba path with μ = 0 and λ > 0: L2 is the global scale, so the ``W`` decay
      FLOPs of the update are not executed (``2·P``);
    * λ = 0 and μ = 0: no decay at all (``2·P``) on every path.

    Momentum (μ > 0) executes the model count (the update touches every weight).
    """
    s = [int(v) for v in sizes]
    per_sample = mini_batch * flops_per_sample(s)
    p = n_params(s)
    w = sum(s[i] * s[i + 1] for i in range(len(s) - 1))
    if mu > 0 or path == TILED:  # the cuda kernels always apply μ and λ to every weight
        return per_sample + flops_per_update(s)
    if path == FUSED_MB1:
        return per_sample + 2 * (p - w)
    if path == NUMPY and lmbda > 0:
        return per_sample + flops_per_update(s)
    return per_sample + 2 * p


def model_flops_per_update(sizes: tuple[int, ...] | list[int], mini_batch: int) -> int:
    """The README's model FLOPs of one update: ``m·flops_per_sample + flops_per_update``."""
    return mini_batch * flops_per_sample(sizes) + flops_per_update(sizes)
