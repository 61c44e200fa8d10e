# mypy: allow-untyped-defs
"""Multi-threaded Numba backend (``numba-parallel``).

The thread count is the caller's ``numba.set_num_threads``. Each mini-batch is split into
one contiguous chunk of samples per thread; every thread runs forward and backward passes
over its chunk into its own scratch slot (activations, deltas and a private gradient
accumulator carved from ``work``), then a second parallel loop over slices of the flat
parameter array sums the per-thread gradients and applies the update. ``evaluate`` splits
the rows. Whether a mini-batch is split, and whether the threads use BLAS, is the caller's
``path`` (:mod:`kernels.paths`); the non-split paths (and one thread) run the serial kernels,
mini-batch 1 included (the fused kernel).

Results equal the serial backend up to float rounding (the per-thread sums are added in a
different order). Signatures and semantics are those of :mod:`kernels.reference`.
"""

from __future__ import annotations

import numba
import numpy as np
import numpy.typing as npt
from numba import prange

from kernels import numba_serial
from kernels.numba_backward import batch_grad
from kernels.numba_forward import eval_rows
from kernels.numba_layout import (
    RENORM_BELOW,
    check_eval_call,
    check_train_call,
    param_offsets,
    pjit,
    slot_offsets,
    slot_size,
)
from kernels.numba_update import fold_scale, renorm_if_small, scale_mode, update_range
from kernels.paths import (
    DEFAULT_SPLIT_FROM,
    SPLIT_BLAS,
    SPLIT_LOOPS,
    SPLIT_PATHS,
    SPLIT_REGTILE,
    default_path,
)

Array = npt.NDArray[np.floating]
IntArray = npt.NDArray[np.int64]

# Evaluation: per-thread chunks use the register-blocked loops (a huge value means: never).
PAR_BLAS_FROM = 1 << 40
# The documented default (``path=None``) splits mini-batches from this size on.
PAR_FROM = DEFAULT_SPLIT_FROM


@pjit
def _train(
    params, velocity, work, sizes, X, y, order, start, n_steps, m, eta, lam, mu, hidden, output,
    one, inv_m, blas_from, tiles, par_from, n_threads, serial_blas_from, fuse_mb1, renorm_below,
):  # fmt: skip
    """Split each mini-batch over the threads; returns ``(summed cost, renormalisations)``."""
    T = min(n_threads, m)
    if m < par_from or T < 2:  # nothing worth splitting: the serial kernels
        return numba_serial._train(
            params, velocity, work, sizes, X, y, order, start, n_steps, m, eta, lam, mu,
            hidden, output, one, inv_m, serial_blas_from, fuse_mb1, renorm_below,
        )  # fmt: skip
    L = sizes.shape[0] - 1
    po = param_offsets(sizes)
    n_par = po[2 * L]
    chunk = (m + T - 1) // T
    T = (m + chunk - 1) // chunk
    so = slot_offsets(sizes, chunk)
    slot = so[2 * L + 3]
    og = so[2 * L + 2]
    ident = np.arange(chunk)  # the identity rows of a slot (split-regtile), made once
    span = (n_par + T - 1) // T
    costs = np.zeros(T)
    c, use_scale = scale_mode(eta, lam, mu, one)
    s = one
    total = 0.0
    renorms = 0
    alpha_b = -(eta * inv_m)
    for k in range(n_steps):
        pos = start + k * m
        for t in prange(T):
            lo = t * chunk
            mc = min(chunk, m - lo)
            costs[t] = batch_grad(
                params, velocity, work, t * slot, so, po, sizes, X, y, order, pos + lo, mc, s,
                hidden, output, one, blas_from, tiles, ident, 0, one, eta, inv_m, lam, mu,
            )  # fmt: skip
        for t in range(T):
            total += costs[t]
        s_new = s * c if use_scale else one
        alpha_w = alpha_b / s_new
        for t in prange(T):
            lo = t * span
            hi = min(n_par, lo + span)
            for li in range(L):
                for part in range(2):
                    a = max(lo, po[2 * li + part])
                    b = min(hi, po[2 * li + part + 1])
                    if a < b:
                        update_range(
                            params, velocity, work, og, slot, T, a, b, part == 0,
                            alpha_w if part == 0 else alpha_b, eta, inv_m, lam, mu, use_scale,
                        )  # fmt: skip
        s, folded = renorm_if_small(params, po, sizes, s_new, renorm_below, one)
        renorms += folded
    fold_scale(params, po, sizes, s, one)
    return total, renorms


@pjit
def _evaluate(params, work, sizes, X, y, chunk, hidden, output, one, blas_from, n_threads):
    L = sizes.shape[0] - 1
    po = param_offsets(sizes)
    so = slot_offsets(sizes, chunk)
    slot = so[2 * L + 3]
    n = X.shape[0]
    n_chunks = (n + chunk - 1) // chunk
    T = min(n_threads, n_chunks)
    corrects = np.zeros(T, np.int64)
    costs = np.zeros(T)
    for t in prange(T):
        for ci in range(t, n_chunks, T):
            r0 = ci * chunk
            mc = min(chunk, n - r0)
            cr, cs = eval_rows(
                params, work, t * slot, so, po, sizes, X, y, r0, mc, hidden, output, one,
                blas_from,
            )  # fmt: skip
            corrects[t] += cr
            costs[t] += cs
    return corrects.sum(), costs.sum()


def max_threads() -> int:
    """Upper bound of ``numba.get_num_threads()``: the slots workspace_size provides for."""
    return max(1, int(getattr(numba.config, "NUMBA_NUM_THREADS", 1)))


def _n_threads() -> int:
    """Threads the caller asked for (``numba.set_num_threads``), capped by the slots."""
    return max(1, min(int(numba.get_num_threads()), max_threads()))


def workspace_size(sizes: IntArray, mini_batch: int) -> int:
    """One scratch slot per possible thread (``NUMBA_NUM_THREADS``), each for the full batch."""
    return max_threads() * slot_size(sizes, max(int(mini_batch), 1))


def _default(m: int, threads: int) -> str:
    """The documented default path (:func:`kernels.paths.default_path`), split from ``PAR_FROM``."""
    if threads >= 2 and m >= PAR_FROM:
        return SPLIT_LOOPS
    return default_path("numba", m)


def train_steps(
    params: Array,
    velocity: Array,
    work: Array,
    sizes: IntArray,
    X: Array,
    y: IntArray,
    order: IntArray,
    start: int,
    n_steps: int,
    mini_batch: int,
    eta: float,
    lmbda_n: float,
    mu: float,
    hidden: int,
    output: int,
    path: str | None = None,
    *,
    renorm_below: float = RENORM_BELOW,
    info: dict[str, int] | None = None,
    labels_checked: bool = False,
) -> float:
    """Run ``n_steps`` SGD updates of ``mini_batch`` samples each; return their mean cost.

    ``path`` names the implementation (:data:`kernels.paths.PARALLEL_PATHS`; ``None``: the
    documented default for this mini-batch size and thread count). The serial paths run on
    the calling thread; ``split-*`` split every mini-batch of 2 or more over the threads.
    ``renorm_below``, ``info`` and ``labels_checked`` as in
    :func:`kernels.numba_serial.train_steps`.
    """
    m = int(mini_batch)
    n_steps = int(n_steps)
    if m < 1 or n_steps < 1:
        return 0.0
    check_train_call(
        params, velocity, work, sizes, X, y, order, start, n_steps, m, workspace_size(sizes, m),
        hidden, output, renorm_below, labels_checked,
    )  # fmt: skip
    threads = _n_threads()
    name = path or _default(m, threads)
    if name not in SPLIT_PATHS:  # a serial path, on the calling thread
        return numba_serial.train_steps(
            params, velocity, work, sizes, X, y, order, start, n_steps, m, eta, lmbda_n, mu,
            hidden, output, name, renorm_below=renorm_below, info=info, labels_checked=True,
        )  # fmt: skip
    blas_from = 1 if name == SPLIT_BLAS else PAR_BLAS_FROM
    tiles = name == SPLIT_REGTILE
    serial_blas_from, fuse = numba_serial.path_knobs(None, m)  # one thread or mini-batch 1
    dt = params.dtype.type
    total, renorms = _train(
        params, velocity, work, sizes, X, y, order, int(start), n_steps, m, dt(eta),
        dt(lmbda_n), dt(mu), int(hidden), int(output), dt(1), dt(1.0 / m), blas_from, tiles, 2,
        threads, serial_blas_from, fuse, dt(renorm_below),
    )  # fmt: skip
    if info is not None:
        info["renorms"] = int(renorms)
    return float(total) / (n_steps * m)


def evaluate(
    params: Array,
    work: Array,
    sizes: IntArray,
    X: Array,
    y: IntArray,
    chunk: int,
    hidden: int,
    output: int,
) -> tuple[int, float]:
    """``(number classified correctly, summed per-sample cost)`` over ``X``, ``y``."""
    chunk = max(1, min(int(chunk), X.shape[0]))
    need = workspace_size(sizes, chunk)
    check_eval_call(params, work, sizes, X, y, need, chunk, int(hidden), int(output))
    if X.shape[0] == 0:
        return 0, 0.0
    correct, cost = _evaluate(
        params, work, sizes, X, y, chunk, int(hidden), int(output), params.dtype.type(1),
        PAR_BLAS_FROM, _n_threads(),
    )  # fmt: skip
    return int(correct), float(cost)
