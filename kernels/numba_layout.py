# mypy: allow-untyped-defs
"""Shared constants and scratch layout of the Numba backends.

Holds the kernel decorator ``jit`` (and its ``FASTMATH`` flags), the activation and cost
codes, the tuning thresholds (``RENORM_BELOW``, ``USE_BLAS_FROM``), the flat parameter
offsets and the layout of one scratch *slot* (capacity ``cap`` samples), carved from the
``work`` array:

* ``a_0 … a_L``: activations, ``cap × n_l`` each (``a_0`` is the gathered input batch);
* ``d_1 … d_L``: deltas, ``cap × n_l`` each;
* ``z``: output pre-activations, ``cap × n_L``;
* ``g``: gradient sums in the flat parameter layout.

Kernels are written for any float dtype: every constant is derived from the ``one`` argument
(a scalar of the params' dtype), so float32 paths never promote to float64.

Importing this module loads the BLAS that Numba's ``np.dot`` calls (so threadpoolctl sees
it); every Numba kernel module imports it. No numerics here: the passes live in
:mod:`kernels.numba_forward`, :mod:`kernels.numba_backward`, :mod:`kernels.numba_update` and
:mod:`kernels.numba_mb1`; the backends' entry points in :mod:`kernels.numba_serial` and
:mod:`kernels.numba_parallel`.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg.cython_blas  # noqa: F401  (load the BLAS numba calls, so threadpoolctl sees it)
from numba import njit

from kernels.layout import n_params

# No nnan/ninf: sigmoid/softplus rely on exp overflowing to inf.
FASTMATH: set[str] = {"reassoc", "contract", "nsz", "arcp"}
jit = njit(cache=True, nogil=True, fastmath=FASTMATH)
"""The decorator of every serial kernel."""

SIGMOID, TANH, RELU = 0, 1, 2
CROSS_ENTROPY, QUADRATIC, LOG_LIKELIHOOD = 0, 1, 2

RENORM_BELOW = 2.0**-10  # fold the weight scale back when it drops below this
USE_BLAS_FROM = 128  # batch (per thread chunk) from which the gradient GEMM uses np.dot (BLAS)


def slot_size(sizes: object, cap: int) -> int:
    """Elements of one scratch slot for ``cap`` samples (pure Python)."""
    s = [int(v) for v in sizes]  # type: ignore[attr-defined]
    if len(s) < 2:
        raise ValueError("sizes needs at least two layers")
    return cap * (s[0] + 2 * sum(s[1:]) + s[-1]) + n_params(s)


def check_work(work: np.ndarray, need: int, what: str) -> None:
    """Raise ``ValueError`` when ``work`` is too small (never write out of bounds)."""
    if work.ndim != 1 or work.shape[0] < need:
        raise ValueError(
            f"work array too small for {what}: need at least {need} elements "
            f"(workspace_size), got {work.size}"
        )


def check_train_call(
    params: np.ndarray,
    velocity: np.ndarray,
    work: np.ndarray,
    sizes: np.ndarray,
    X: np.ndarray,
    y: np.ndarray,
    order: np.ndarray,
    start: int,
    n_steps: int,
    mini_batch: int,
    need: int,
) -> None:
    """Every check a backend's ``train_steps`` makes before entering compiled code.

    Dtypes and shapes the kernels rely on, C-contiguity, ``work`` holding at least ``need``
    elements, and ``order`` long enough for ``n_steps`` batches from ``start``; a
    ``ValueError`` naming the problem otherwise.
    """
    dt = params.dtype
    if dt not in (np.float32, np.float64):
        raise ValueError(f"params must be float32 or float64, got {dt}")
    for name, arr in (("velocity", velocity), ("work", work), ("X", X)):
        if arr.dtype != dt:
            raise ValueError(f"{name} dtype {arr.dtype} differs from params dtype {dt}")
    n_par = n_params(sizes)
    if params.shape != (n_par,) or velocity.shape != (n_par,):
        raise ValueError(f"params and velocity must have shape ({n_par},)")
    if X.ndim != 2 or X.shape[1] != int(sizes[0]) or y.shape != (X.shape[0],):
        raise ValueError("X must be (n, sizes[0]) and y (n,)")
    if not (X.flags.c_contiguous and params.flags.c_contiguous and work.flags.c_contiguous):
        raise ValueError("params, work and X must be C-contiguous")
    check_work(work, need, f"train_steps(mini_batch={mini_batch})")
    if start < 0 or start + n_steps * mini_batch > order.shape[0]:
        raise ValueError("order too short for start + n_steps*mini_batch")


# --------------------------------------------------------------------------- layout


@jit
def param_offsets(sizes):
    """``po[2l]``: weight offset of layer li+1, ``po[2l+1]``: its bias offset."""
    L = sizes.shape[0] - 1
    po = np.empty(2 * L + 1, np.int64)
    pos = 0
    for li in range(L):
        po[2 * li] = pos
        pos += sizes[li + 1] * sizes[li]
        po[2 * li + 1] = pos
        pos += sizes[li + 1]
    po[2 * L] = pos
    return po


@jit
def slot_offsets(sizes, cap):
    """Offsets in a slot: a_0..a_L at [0..L], d_l at [L+li], z at 2L+1, g at 2L+2, size 2L+3."""
    L = sizes.shape[0] - 1
    so = np.empty(2 * L + 4, np.int64)
    pos = 0
    for li in range(L + 1):
        so[li] = pos
        pos += cap * sizes[li]
    for li in range(1, L + 1):
        so[L + li] = pos
        pos += cap * sizes[li]
    so[2 * L + 1] = pos
    pos += cap * sizes[L]
    so[2 * L + 2] = pos
    for li in range(L):
        pos += sizes[li + 1] * sizes[li] + sizes[li + 1]
    so[2 * L + 3] = pos
    return so
