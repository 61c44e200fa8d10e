# mypy: allow-untyped-defs
"""Single-threaded Numba backend (``numba``).

The implementation is the caller's ``path`` (:mod:`kernels.paths`), passed to one compiled
function as scalars (so one warm-up call compiles every path for the given dtypes):

* ``fused-mb1`` (mini-batch 1): hand-written loops; the layer-1 weight update is fused with the next
  sample's layer-1 dot products (one sweep over the big weight matrix per sample), and with
  ``mu == 0`` the L2 decay is a global scale so the update is one FMA per weight;
* forward pass: register-blocked loops (2 samples × 4 rows) at every batch size; ``loops``:
  weight gradients in row pairs × 4-sample blocks, each finished row applied to the
  weights at once while in L1; ``blas``: ``np.dot`` (BLAS) on contiguous views of ``work``
  for the delta and gradient GEMMs.

Signatures and semantics are those of :mod:`kernels.reference`.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from kernels.layout import n_params
from kernels.numba_backward import batch_grad
from kernels.numba_forward import eval_rows
from kernels.numba_gemm import train_gemm, train_gemm_blocked
from kernels.numba_layout import (
    RENORM_BELOW,
    USE_BLAS_FROM,
    check_eval_call,
    check_train_call,
    jit,
    param_offsets,
    slot_offsets,
    slot_size,
)
from kernels.numba_mb1 import train_mb1
from kernels.numba_update import fold_scale, renorm_if_small, scale_mode, update_range
from kernels.paths import (
    BLAS,
    FUSED_MB1,
    GEMM,
    GEMM_BLOCK,
    GEMM_BLOCKED,
    LOOPS,
    REGTILE,
    SERIAL_PATHS,
    default_path,
)

NEVER = 1 << 40  # a blas_from no batch reaches: register-blocked loops only
Array = npt.NDArray[np.floating]
IntArray = npt.NDArray[np.int64]


@jit
def _train(
    params,
    velocity,
    work,
    sizes,
    X,
    y,
    order,
    start,
    n_steps,
    m,
    eta,
    lam,
    mu,
    hidden,
    output,
    one,
    inv_m,
    blas_from,
    fuse_mb1,
    renorm_below,
):
    """Dispatch by path knobs; returns ``(summed cost, renormalisations of the scale)``."""
    if m == 1 and fuse_mb1:
        return train_mb1(
            params,
            velocity,
            work,
            sizes,
            X,
            y,
            order,
            start,
            n_steps,
            eta,
            lam,
            mu,
            hidden,
            output,
            one,
            renorm_below,
        )
    L = sizes.shape[0] - 1
    po = param_offsets(sizes)
    so = slot_offsets(sizes, m)
    og = so[2 * L + 2]
    ident = np.arange(m)  # batch_grad's identity rows (used by the split-regtile path only)
    c, use_scale = scale_mode(eta, lam, mu, one)
    s = one
    total = 0.0
    renorms = 0
    alpha_b = -(eta * inv_m)
    mode = 1 if use_scale else 2
    for k in range(n_steps):
        s_new = s * c if use_scale else one
        alpha_w = alpha_b / s_new
        total += batch_grad(
            params, velocity, work, 0, so, po, sizes, X, y, order, start + k * m, m, s, hidden,
            output, one, blas_from, False, ident, mode, alpha_w, eta, inv_m, lam, mu,
        )  # fmt: skip
        for li in range(L):  # weights were updated inside batch_grad
            update_range(
                params, velocity, work, og, 0, 1, po[2 * li + 1], po[2 * li + 2], False, alpha_b,
                eta, inv_m, lam, mu, use_scale,
            )  # fmt: skip
        s, folded = renorm_if_small(params, po, sizes, s_new, renorm_below, one)
        renorms += folded
    fold_scale(params, po, sizes, s, one)
    return total, renorms


@jit
def _evaluate(params, work, sizes, X, y, chunk, hidden, output, one, blas_from):
    po = param_offsets(sizes)
    so = slot_offsets(sizes, chunk)
    n = X.shape[0]
    correct = 0
    cost = 0.0
    for r0 in range(0, n, chunk):
        mc = min(chunk, n - r0)
        c, cs = eval_rows(
            params, work, 0, so, po, sizes, X, y, r0, mc, hidden, output, one, blas_from
        )
        correct += c
        cost += cs
    return correct, cost


def workspace_size(sizes: IntArray, mini_batch: int) -> int:
    """Scratch elements: one slot (inputs, activations, deltas, gradient) for the batch."""
    return slot_size(sizes, max(int(mini_batch), 1))


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

    ``path`` names the implementation (:data:`kernels.paths.SERIAL_PATHS`; ``None``: the
    documented default for this mini-batch size). ``fused-mb1`` runs mini-batch 1 only.
    ``renorm_below``: with ``mu == 0`` the weights are kept as ``s·W``; ``s`` is folded back
    whenever it drops below this (in ``(0, 1]``). ``info``, when given, receives
    ``"renorms"``: how many times that happened in this call. ``labels_checked``: every
    label of ``y`` is known to lie in range (a session checks them once, at upload).
    """
    m = int(mini_batch)
    n_steps = int(n_steps)
    if m < 1 or n_steps < 1:
        return 0.0
    check_train_call(
        params, velocity, work, sizes, X, y, order, start, n_steps, m, workspace_size(sizes, m),
        hidden, output, renorm_below, labels_checked,
    )  # fmt: skip
    dt = params.dtype.type
    args = (params, velocity, work, sizes, X, y, order, int(start), n_steps, m, dt(eta),
            dt(lmbda_n), dt(mu), int(hidden), int(output), dt(1), dt(1.0 / m),
            dt(renorm_below))  # fmt: skip
    blocked_need = slot_size(sizes, GEMM_BLOCK) + n_params(sizes)  # a block slot + accumulator
    tiles = path == REGTILE
    if path in (GEMM_BLOCKED, REGTILE) and m > GEMM_BLOCK and work.shape[0] >= blocked_need:
        total, renorms = train_gemm_blocked(*args, GEMM_BLOCK, tiles)
    elif path in (GEMM, GEMM_BLOCKED, REGTILE):
        total, renorms = train_gemm(*args, tiles)
    else:
        blas_from, fuse = path_knobs(path, m)
        total, renorms = _train(*args[:17], blas_from, fuse, args[17])
    if info is not None:
        info["renorms"] = int(renorms)
    return float(total) / (n_steps * m)


def path_knobs(path: str | None, m: int) -> tuple[int, bool]:
    """``(blas_from, fuse_mb1)`` scalars of a path of :func:`_train` (``None``: the default).

    ``regtile``, ``gemm`` and ``gemm-blocked`` have trainers of their own
    (:mod:`kernels.numba_gemm`) and are not knobs of ``_train``.
    """
    name = default_path("numba", m) if path is None else path
    if name not in (FUSED_MB1, LOOPS, BLAS):
        raise ValueError(f"unknown kernel path {name!r}; choose one of {', '.join(SERIAL_PATHS)}")
    if name == FUSED_MB1 and m != 1:
        raise ValueError(f"kernel path {FUSED_MB1!r} runs mini-batch 1 only, not {m}")
    if name == LOOPS:
        return NEVER, False
    if name == BLAS:
        return 1, False
    return NEVER, True


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
    check_eval_call(
        params, work, sizes, X, y, workspace_size(sizes, chunk), chunk, int(hidden), int(output)
    )
    if X.shape[0] == 0:
        return 0, 0.0
    correct, cost = _evaluate(
        params,
        work,
        sizes,
        X,
        y,
        chunk,
        int(hidden),
        int(output),
        params.dtype.type(1),
        USE_BLAS_FROM,
    )
    return int(correct), float(cost)
