"""Single-threaded Numba backend (``numba``): the entry points and the choice of path.

``train_steps`` checks its arguments (grouped as :mod:`kernels.call` defines) and calls
the ``train`` driver of the caller's ``path`` (:mod:`kernels.paths`), one module each in
:mod:`kernels.numba.paths`. Each driver is its own compiled function, specialised for the
activation and cost codes (:mod:`kernels.numba.specialise`): a trial compiles only the path, the
activation and the cost it runs. Signatures and semantics are those of
:mod:`kernels.reference`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from kernels.call import Codes, Data, Net, Rule, Steps, named
from kernels.layout import n_params
from kernels.numba.checks import check_eval_call, check_train_call
from kernels.numba.evaluate import evaluate_serial
from kernels.numba.jit import jit
from kernels.numba.paths import blas, fused_mb1, gemm, gemm_blocked, loops, regtile
from kernels.numba.slots import RENORM_BELOW, Hyper, slot_size
from kernels.numba.specialise import specialised
from kernels.paths import (
    BLAS,
    FUSED_MB1,
    GEMM,
    GEMM_BLOCK,
    GEMM_BLOCKED,
    LOOPS,
    REGTILE,
    default_path,
)

Array = npt.NDArray[np.floating]
IntArray = npt.NDArray[np.int64]

# The driver of each path: train(net, data, sizes, hp, start, n_steps, m), a template that
# kernels.numba.specialise compiles once per activation and cost code.
DRIVERS: dict[str, Callable[..., Any]] = {
    FUSED_MB1: fused_mb1.train,
    LOOPS: loops.train,
    BLAS: blas.train,
    REGTILE: regtile.train,
    GEMM: gemm.train,
    GEMM_BLOCKED: gemm.train,  # a mini-batch of one block or less: no blocks to make
}
BLOCKED: dict[str, Callable[..., Any]] = {
    REGTILE: regtile.train_blocked,
    GEMM_BLOCKED: gemm_blocked.train,
}


def workspace_size(sizes: IntArray, mini_batch: int) -> int:
    """Scratch elements: one slot (inputs, activations, deltas, gradient) for the batch."""
    return slot_size(sizes, max(int(mini_batch), 1))


def hyper(params: Array, eta: float, lmbda_n: float, mu: float, m: int, renorm: float) -> Hyper:
    """The :class:`~kernels.numba.slots.Hyper` of a call, in the parameters' dtype."""
    dt = params.dtype.type
    return Hyper(dt(eta), dt(lmbda_n), dt(mu), dt(1), dt(1.0 / m), dt(renorm))


def driver(
    path: str, m: int, work: Array, sizes: IntArray
) -> tuple[Callable[..., Any], tuple[int, ...]]:
    """``(driver, extra arguments)`` of ``path`` for ``m`` samples: the blocked driver (and
    its block) when ``m`` exceeds ``GEMM_BLOCK`` and ``work`` holds a block's slot and the
    accumulator; otherwise the path's own."""
    blocked_need = slot_size(sizes, GEMM_BLOCK) + n_params(sizes)
    if path in BLOCKED and m > GEMM_BLOCK and work.shape[0] >= blocked_need:
        return BLOCKED[path], (GEMM_BLOCK,)
    return DRIVERS[path], ()


def check_serial_path(name: str, m: int) -> None:
    """``ValueError`` unless ``name`` is a serial path that can run ``m`` samples (a ragged
    last mini-batch of any size included)."""
    if name not in DRIVERS:
        raise ValueError(f"unknown kernel path {name!r}; choose one of {', '.join(DRIVERS)}")
    if name == FUSED_MB1 and m != 1:
        raise ValueError(f"kernel path {FUSED_MB1!r} runs mini-batch 1 only, not {m}")


def train_steps(
    net: Net,
    sizes: IntArray,
    data: Data,
    steps: Steps,
    rule: Rule,
    codes: Codes,
    path: str | None = None,
    *,
    renorm_below: float = RENORM_BELOW,
    info: dict[str, int] | None = None,
    labels_checked: bool = False,
) -> float:
    """Run ``steps`` (SGD updates of a mini-batch each) by ``rule``; return their mean cost.

    The groups are those of :mod:`kernels.call`. ``path`` names the implementation
    (:data:`kernels.paths.SERIAL_PATHS`; ``None``: the documented default for this
    mini-batch size). ``fused-mb1`` runs mini-batch 1 only. ``renorm_below``: with ``mu ==
    0`` the weights are kept as ``s·W``; ``s`` is folded back whenever it drops below this
    (in ``(0, 1]``). ``info``, when given, receives ``"renorms"``: how many times that
    happened in this call. ``labels_checked``: every label of ``y`` is known to lie in
    range (a session checks them once, at upload).
    """
    net, data, steps, codes = named(net, data, steps, codes)
    _, n_steps, m = steps
    if m < 1 or n_steps < 1:
        return 0.0
    name = default_path("numba", m) if path is None else path
    check_serial_path(name, m)
    need = workspace_size(sizes, m)
    check_train_call(net, sizes, data, steps, need, codes, renorm_below, labels_checked)
    template, extra = driver(name, m, net.work, sizes)
    train = specialised(template, jit, codes.hidden, codes.output)
    hp = hyper(net.params, *rule, m, renorm_below)
    return run_driver(train, net, data, sizes, hp, steps, info, *extra)


def run_driver(
    train: Callable[..., Any], net: Net, data: Data, sizes: IntArray, hp: Hyper, steps: Steps,
    info: dict[str, int] | None, *extra: int,
) -> float:  # fmt: skip
    """Run the compiled driver ``train`` over checked arguments (in its own order, ``extra``
    last: a block, a thread count); return the mean cost per sample of ``steps`` and put
    the number of renormalisations in ``info``."""
    start, n_steps, m = steps
    total, renorms = train(net, data, sizes, hp, start, n_steps, m, *extra)
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
    check_eval_call(
        params, work, sizes, X, y, workspace_size(sizes, chunk), chunk, int(hidden), int(output)
    )
    if X.shape[0] == 0:
        return 0, 0.0
    one = params.dtype.type(1)
    kernel = specialised(evaluate_serial, jit, int(hidden), int(output))
    correct, cost = kernel(params, work, sizes, X, y, chunk, one)
    return int(correct), float(cost)
