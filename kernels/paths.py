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

This module imports numpy only (no numba; llvmlite's binding, for the ISA class, only when
a default is asked for), so the harness can list paths cheaply. Which
paths each backend has is the registry's (:data:`kernels.REGISTRY`, ``BackendInfo.paths``);
``BACKEND_PATHS`` is read from it.
"""

from __future__ import annotations

import os

from kernels import REGISTRY, backend_info
from kernels.layout import flops_per_sample, flops_per_update, n_params
from kernels.path_names import (
    ALL_PATHS,
    AUTO,
    BLAS,
    BLAS_PATHS,
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
    "BLAS_PATHS",
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


GEMM_BLOCK = 128  # samples per block of the gemm-blocked path
DEFAULT_BLAS_FROM = 128  # AVX2 (Zen 2): mini-batch from which blas beat loops
DEFAULT_SPLIT_FROM = 32  # AVX2 (Zen 2): mini-batch from which numba-parallel splits

# Documented defaults per ISA class (the vector ISA of the code Numba generates, see
# isa_class), used when the tuning file has no choice for a shape. Per class and kind
# ("serial": one thread; "split": numba-parallel on two or more threads), bands of
# (from mini-batch, default path, close runners-up): the last band whose start is at most the
# mini-batch applies. The runners-up are the paths measured within CLOSE of the default on
# some dtype, or never measured on this class: where there are any, the harness times them
# against the default briefly at first use of a shape (bench.kernel_tuning). Bands start
# at the geometric midpoints (2, 32, 316) of the measured mini-batches 1, 10, 100, 1000.
# Regenerate: scripts/measure_isa_defaults.py (docs/autotune.md), on an idle machine.
CLOSE = 0.10  # a runner-up within 10 % of the default's samples/s is timed at first use
Band = tuple[int, str, tuple[str, ...]]
ISA_DEFAULTS: dict[str, dict[str, tuple[Band, ...]]] = {
    # AVX-512 — provenance: winners from the idle AMD EPYC 9xx4 Zen 4 peers table
    # (results/benchmarks/peers-by-core.md, 27-28 Nov 2026: fused-mb1 at 1, regtile at 10
    # (float64), 100 and 1000 on one core, gemm at 10 (float32), split-regtile at 100 and
    # 1000 on two threads) and issue 19's Zen 5 (regtile 1.5x loops at float64 mb 100).
    # Confirmed on an AMD EPYC Zen 5 (family 26 model 2, znver5, 2 vCPUs, 2 Dec 2026):
    # scripts/measure_isa_defaults.py (results/kernel-defaults/avx512.json) found these
    # defaults the fastest path in all 16 shapes (float32/64 x mini-batch 1/10/100/1000 x
    # numba on one thread / numba-parallel on two); the nearest runner-up was regtile at
    # float64 mb 10 (0.95x gemm) and blas at float64 mb 100 (0.93x regtile).
    # Mini-batch 10: one interleaved A/B on a pinned core of a 2-vCPU Zen 4 (1 Dec 2026,
    # 23:55 UTC, load ~3 from other work: noisy; best of 5 calls of 20,000 samples, [784, 30,
    # 10]): float32 gemm 573 k samples/s, regtile 466 k, loops 415 k; float64 gemm 299 k,
    # regtile 301 k, loops 251 k. gemm is the default there, with no runner-up: regtile is
    # within 1 % only in float64, and timing it would compile regtile (the slowest path to
    # compile, ~40 s cold) where gemm serves. Same run, regtile at 100 / 1000: float32 798 k /
    # 749 k (gemm 541 k / 553 k, blas 588 k at 1000), float64 428 k / 387 k (gemm 324 k / 330 k).
    # Mini-batch 10 since the register tiles became vector code (3 Dec 2026, same Zen 5,
    # `mlpbench kernels tune --repeats 5 --samples 20000`, every candidate interleaved):
    # regtile is the fastest on one thread and on two, with numpy's OpenBLAS on SkylakeX
    # kernels (float64 437 k vs gemm 421 k, float32 796 k vs 701 k; two threads 464 k vs
    # 413 k, 754 k vs 693 k) and on Haswell kernels (401 k vs 183 k, 743 k vs 268 k): the
    # default; gemm stays a runner-up (0.96x in float64 on one thread: within CLOSE).
    "avx512": {
        "serial": (
            (1, FUSED_MB1, ()),
            (2, REGTILE, (GEMM,)),
            (32, REGTILE, ()),
            (316, REGTILE, ()),
        ),
        "split": (
            (1, FUSED_MB1, ()),
            (2, REGTILE, (GEMM,)),
            (32, SPLIT_REGTILE, ()),
            (316, SPLIT_REGTILE, ()),
        ),
    },
    # AVX2 — provenance: the thresholds the kernels were first tuned with on an AMD EPYC
    # Zen 2 (loops below 128, blas from 128, split-loops from 32 on two threads), measured
    # before regtile and gemm existed, with the runners-up timed at first use. Checked on
    # the Zen 5 above compiling for Haswell (results/kernel-defaults/avx2.json): the paths
    # vary by dtype (float64 mb 10: loops 1.00, regtile 0.89; float32: regtile 1.00, loops
    # 0.77), so a brief tune is kept in every band; among each band's default and
    # runners-up it finds >= 0.98x of the fastest path in every shape once blas is a
    # runner-up on two threads below 32 (float64 mb 10: blas 1.00, loops 0.92).
    "avx2": {
        "serial": (
            (1, FUSED_MB1, ()),
            (2, LOOPS, (REGTILE, GEMM)),
            (DEFAULT_BLAS_FROM, BLAS, (REGTILE, GEMM)),
        ),
        "split": (
            (1, FUSED_MB1, ()),
            (2, LOOPS, (REGTILE, GEMM, BLAS)),
            (DEFAULT_SPLIT_FROM, SPLIT_LOOPS, (SPLIT_REGTILE, SPLIT_BLAS)),
        ),
    },
}
ISA_DEFAULTS["other"] = ISA_DEFAULTS["avx2"]  # unmeasured (e.g. AArch64): AVX2's table


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
    """The documented default path (no tuning) for this machine's ISA class.

    ``numpy`` and ``cuda`` have one path each; the Numba backends take the band of
    :data:`ISA_DEFAULTS` for :func:`isa_class` (``split`` for ``numba-parallel`` on two or
    more threads), falling back to ``loops`` where the band's path cannot run the shape.
    """
    return isa_default(backend, mini_batch, threads)[0]


def isa_default(backend: str, mini_batch: int, threads: int = 1) -> tuple[str, tuple[str, ...]]:
    """``(default path, close runners-up that can run this shape)`` of :data:`ISA_DEFAULTS`."""
    info = backend_info(backend)
    if len(info.paths) == 1:  # numpy, cuda: their one path
        return info.paths[0], ()
    kind = "split" if SPLIT_LOOPS in info.paths and threads >= 2 else "serial"
    ok = candidates(backend, mini_batch, threads)
    _, path, close = [b for b in ISA_DEFAULTS[isa_class()][kind] if b[0] <= mini_batch][-1]
    path = path if path in ok else LOOPS
    return path, tuple(p for p in close if p in ok and p != path)


def blas_free_rival(backend: str, mini_batch: int, threads: int, path: str) -> str | None:
    """The register-tiled path to time against the BLAS path ``path`` when the BLAS runs
    narrower kernels than the CPU (``split-regtile`` for ``split-blas``, else ``regtile``),
    or None when ``path`` does not call the BLAS or the rival cannot run this shape."""
    if path not in BLAS_PATHS:
        return None
    rival = SPLIT_REGTILE if path in SPLIT_PATHS else REGTILE
    return rival if rival in candidates(backend, mini_batch, threads) else None


def target_cpu() -> tuple[str, tuple[str, ...]]:
    """``(CPU name, enabled features)`` of the code Numba generates here: Numba's overrides
    ``NUMBA_CPU_NAME`` and ``NUMBA_CPU_FEATURES`` when set, else the host as LLVM sees it."""
    import llvmlite.binding as llvm

    name = os.environ.get("NUMBA_CPU_NAME") or llvm.get_host_cpu_name()
    text = os.environ.get("NUMBA_CPU_FEATURES") or llvm.get_host_cpu_features().flatten()
    return name, tuple(sorted(f[1:] for f in text.split(",") if f[:1] == "+"))


def isa_class() -> str:
    """``avx512``, ``avx2`` (with FMA) or ``other``: the vector ISA of :func:`target_cpu`."""
    features = target_cpu()[1]
    if "avx512f" in features:
        return "avx512"
    return "avx2" if "avx2" in features and "fma" in features else "other"


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
