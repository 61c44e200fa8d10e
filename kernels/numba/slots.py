# mypy: allow-untyped-defs
"""Shared constants and scratch layout of the Numba backends.

Holds the kernel decorators ``jit``/``pjit`` (the one place for the ``FASTMATH`` flags and
the source-keyed cache of :mod:`kernels.numba_cache`), the argument checks made before any
compiled code runs, the activation and cost codes, the defaults of the tuning thresholds
(``RENORM_BELOW``, ``USE_BLAS_FROM``: the kernels take them as arguments, never as frozen
globals), the flat parameter offsets and the layout of one scratch *slot* (capacity ``cap``
samples), carved from the ``work`` array:

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

from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.linalg.cython_blas  # noqa: F401  (load the BLAS numba calls, so threadpoolctl sees it)
from numba import njit
from numba.core import config as numba_config
from numba.core.compiler_lock import global_compiler_lock
from numba.core.dispatcher import Dispatcher

# The activation and cost codes are kernels.layout's, defined there once.
from kernels.layout import (
    CROSS_ENTROPY,
    LOG_LIKELIHOOD,
    QUADRATIC,
    RELU,
    SIGMOID,
    TANH,
    n_params,
)
from kernels.layout import check_index as _check_index
from kernels.numba_cache import cached

# Only flags whose effect does not depend on where a function is compiled. A kernel calls
# other @njit functions; Numba links a copy of each callee into the caller and optimises it
# again there, while in the process that compiled them a call that is not inlined jumps to
# the callee's own (separately optimised) code, and in a process that loads the caller from
# the on-disk cache to the caller's copy. With "nsz" next to "reassoc" LLVM re-associates
# the copy differently, so freshly compiled and cached kernels gave different bits (mini-batch
# 1). "reassoc" (vectorised reductions), "contract" (FMA) and "arcp" (reciprocals) keep the
# speed (scripts/fastmath_cost.py); "nsz" made no measurable difference. No nnan/ninf:
# sigmoid/softplus rely on exp overflowing to inf.
FASTMATH: set[str] = {"reassoc", "contract", "arcp"}
TILE_FASTMATH: set[str] = {"contract"}  # the micro-kernels: see tile_jit


def with_slp(dispatcher: Any) -> Any:
    """Compile ``dispatcher`` with LLVM's SLP vectoriser on; returns it.

    Numba turns the SLP vectoriser off by default (numba#8852: miscompilations seen with
    older LLVMs); the register-tiled micro-kernels of :mod:`kernels.numba_microkernels` need
    it (their sums are named scalars that only SLP packs into vector registers: 10× faster).
    Every mlpbench kernel is compiled this way, never only some, so a helper that several
    kernels call is optimised the same whichever compiles it first (cold and cached runs
    give the same bits, issue 7). The switch is Numba's own ``config.SLP_VECTORIZE``, set
    only while one of these dispatchers compiles, under Numba's compiler lock, and restored
    after: a user's other Numba code in the process compiles as configured. The property
    tests compare every kernel path with the numpy reference.
    """
    if not isinstance(dispatcher, Dispatcher):  # NUMBA_DISABLE_JIT: a plain function
        return dispatcher
    compile_plain = dispatcher.compile

    def compile_with_slp(sig: Any) -> Any:
        with global_compiler_lock:
            before = getattr(numba_config, "SLP_VECTORIZE", 0)
            setattr(numba_config, "SLP_VECTORIZE", 1)  # noqa: B010 (not in numba's stubs)
            try:
                return compile_plain(sig)
            finally:
                setattr(numba_config, "SLP_VECTORIZE", before)  # noqa: B010

    dispatcher.compile = compile_with_slp  # type: ignore[method-assign]
    return dispatcher


def jit(fn: Callable[..., Any]) -> Any:
    """The decorator of every serial kernel: ``njit`` with :data:`FASTMATH`, cached, SLP on.

    The on-disk cache is keyed by the kernel sources and versions (:mod:`kernels.numba_cache`);
    :func:`with_slp` says why the SLP vectoriser is on.
    """
    return cached(with_slp(njit(nogil=True, fastmath=FASTMATH)(fn)))


def tile_jit(fn: Callable[..., Any]) -> Any:
    """The decorator of the register-tiled micro-kernels: as :func:`jit`, but FMA contraction
    only (:data:`TILE_FASTMATH`).

    Without ``reassoc`` the loop vectoriser cannot turn the sample loop of a tile into
    gathers and horizontal sums; the SLP vectoriser then packs the tile's independent sums
    into vector registers (re-association is not needed: each lane is one sum, in order).
    The flags travel with the instructions, so they hold where the tile is inlined too.
    """
    return cached(with_slp(njit(nogil=True, fastmath=TILE_FASTMATH)(fn)))


def vec_jit(fn: Callable[..., Any]) -> Any:
    """The decorator of the whole-block kernels (:mod:`kernels.numba_vector`,
    :func:`kernels.numba_forward.act_block`): as :func:`jit`, with NumPy's error model.

    Under Python's error model (Numba's default) every float division first tests its
    divisor and may raise ``ZeroDivisionError``: a branch that stops the loop vectoriser
    (the sigmoid ran at 3.8 ns an element instead of 0.5). Only for kernels whose divisors
    cannot be zero (``1 + e``, ``2 + e`` with ``e ≥ 0``).
    """
    return cached(with_slp(njit(nogil=True, fastmath=FASTMATH, error_model="numpy")(fn)))


def vecmath_jit(fn: Callable[..., Any]) -> Any:
    """The decorator of :mod:`kernels.numba_vecmath`: as :func:`vec_jit`, with FMA contraction
    only (:data:`TILE_FASTMATH`): re-association would undo the two-part range reduction."""
    return cached(with_slp(njit(nogil=True, fastmath=TILE_FASTMATH, error_model="numpy")(fn)))


def pjit(fn: Callable[..., Any]) -> Any:
    """The decorator of the ``parallel=True`` kernels (``prange``); otherwise as :func:`jit`."""
    return cached(with_slp(njit(nogil=True, fastmath=FASTMATH, parallel=True)(fn)))


RENORM_BELOW = 2.0**-10  # default: fold the weight scale back when it drops below this
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


def check_net(
    sizes: np.ndarray,
    X: np.ndarray,
    y: np.ndarray,
    hidden: int,
    output: int,
    labels: bool = True,
) -> None:
    """Checks shared by ``train_steps`` and ``evaluate`` before compiled code runs.

    ``sizes`` a 1-d int64 array of >= 2 positive sizes; ``X`` ``(n, sizes[0])``; ``y`` ``(n,)``
    int64 labels in ``[0, sizes[-1])``; ``hidden``/``output`` valid codes. ``ValueError``
    naming the problem otherwise (the compiled loops do no bounds checks).
    """
    if sizes.ndim != 1 or sizes.dtype != np.int64 or sizes.shape[0] < 2 or sizes.min() < 1:
        raise ValueError("sizes must be a 1-d int64 array of at least two positive layer sizes")
    if X.ndim != 2 or X.shape[1] != int(sizes[0]) or y.shape != (X.shape[0],):
        raise ValueError("X must be (n, sizes[0]) and y (n,)")
    if labels:  # O(n): a session checks its labels once, at upload
        _check_index("y", y, int(sizes[-1]), "labels: one per output unit")
    elif y.dtype != np.int64:
        raise ValueError(f"y must be a 1-d int64 array, got {y.dtype} with shape {y.shape}")
    if hidden not in (SIGMOID, TANH, RELU):
        raise ValueError(f"hidden must be an activation code (0, 1 or 2), got {hidden}")
    if output not in (CROSS_ENTROPY, QUADRATIC, LOG_LIKELIHOOD):
        raise ValueError(f"output must be a cost code (0, 1 or 2), got {output}")


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
    hidden: int = SIGMOID,
    output: int = CROSS_ENTROPY,
    renorm_below: float = RENORM_BELOW,
    labels_checked: bool = False,
) -> None:
    """Every check a backend's ``train_steps`` makes before entering compiled code.

    Dtypes and shapes the kernels rely on, C-contiguity, ``work`` holding at least ``need``
    elements, ``order`` long enough for ``n_steps`` batches from ``start`` and its used
    entries valid rows of ``X``, labels and codes (:func:`check_net`), and
    ``0 < renorm_below <= 1``; a ``ValueError`` naming the problem otherwise.
    ``labels_checked``: the caller (a session, at upload) has already checked every label
    of ``y``, so the O(n) scan is not repeated inside each timed call.
    """
    dt = params.dtype
    if dt not in (np.float32, np.float64):
        raise ValueError(f"params must be float32 or float64, got {dt}")
    for name, arr in (("velocity", velocity), ("work", work), ("X", X)):
        if arr.dtype != dt:
            raise ValueError(f"{name} dtype {arr.dtype} differs from params dtype {dt}")
    check_net(sizes, X, y, hidden, output, labels=not labels_checked)
    n_par = n_params(sizes)
    if params.shape != (n_par,) or velocity.shape != (n_par,):
        raise ValueError(f"params and velocity must have shape ({n_par},)")
    if not (
        X.flags.c_contiguous
        and params.flags.c_contiguous
        and velocity.flags.c_contiguous
        and work.flags.c_contiguous
    ):
        raise ValueError("params, velocity, work and X must be C-contiguous")
    check_work(work, need, f"train_steps(mini_batch={mini_batch})")
    if order.ndim != 1 or start < 0 or start + n_steps * mini_batch > order.shape[0]:
        raise ValueError("order too short for start + n_steps*mini_batch")
    used = order[start : start + n_steps * mini_batch]
    _check_index("order", used, X.shape[0], "row indices of X")
    if not 0.0 < renorm_below <= 1.0:
        raise ValueError(f"renorm_below must lie in (0, 1], got {renorm_below}")


def check_eval_call(
    params: np.ndarray,
    work: np.ndarray,
    sizes: np.ndarray,
    X: np.ndarray,
    y: np.ndarray,
    need: int,
    chunk: int,
    hidden: int,
    output: int,
) -> None:
    """Every check a backend's ``evaluate`` makes before entering compiled code."""
    dt = params.dtype
    if dt not in (np.float32, np.float64):
        raise ValueError(f"params must be float32 or float64, got {dt}")
    for name, arr in (("work", work), ("X", X)):
        if arr.dtype != dt:
            raise ValueError(f"{name} dtype {arr.dtype} differs from params dtype {dt}")
    check_net(sizes, X, y, hidden, output)
    if params.shape != (n_params(sizes),):
        raise ValueError(f"params must have shape ({n_params(sizes)},)")
    if not (X.flags.c_contiguous and params.flags.c_contiguous and work.flags.c_contiguous):
        raise ValueError("params, work and X must be C-contiguous")
    check_work(work, need, f"evaluate(chunk={chunk})")


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
