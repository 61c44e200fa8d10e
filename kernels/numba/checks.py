"""The argument checks the Numba backends make before any compiled code runs.

The compiled loops do no bounds checks: every dtype, shape, contiguity, index and code a
kernel relies on is checked here first, and a ``ValueError`` names the problem.
"""

from __future__ import annotations

import numpy as np

from kernels.call import Codes, Data, Net, Steps
from kernels.layout import COST_CODES, HIDDEN_CODES, n_params
from kernels.layout import check_index as _check_index
from kernels.numba.slots import RENORM_BELOW


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
    if hidden not in HIDDEN_CODES.values():
        raise ValueError(f"hidden must be an activation code {_codes(HIDDEN_CODES)}: {hidden}")
    if output not in COST_CODES.values():
        raise ValueError(f"output must be a cost code {_codes(COST_CODES)}, got {output}")


def _codes(codes: dict[str, int]) -> str:
    """``(0 sigmoid, 1 tanh, …)``: the codes of a table and their names, for a message."""
    return "(" + ", ".join(f"{c} {name}" for name, c in codes.items()) + ")"


def check_train_call(
    net: Net,
    sizes: np.ndarray,
    data: Data,
    steps: Steps,
    need: int,
    codes: Codes,
    renorm_below: float = RENORM_BELOW,
    labels_checked: bool = False,
) -> None:
    """Every check a backend's ``train_steps`` makes before entering compiled code.

    Dtypes and shapes the kernels rely on, C-contiguity, ``work`` holding at least ``need``
    elements, ``order`` long enough for ``steps`` and its used entries valid rows of ``X``,
    labels and codes (:func:`check_net`), and ``0 < renorm_below <= 1``; a ``ValueError``
    naming the problem otherwise. ``labels_checked``: the caller (a session, at upload) has
    already checked every label of ``y``, so the O(n) scan is not repeated inside each
    timed call. The groups are those of :mod:`kernels.call`.
    """
    start, n_steps, mini_batch = steps
    params, velocity, work = net
    X, y, order = data
    hidden, output = codes
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
