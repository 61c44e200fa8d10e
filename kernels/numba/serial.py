"""Single-threaded Numba backend (``numba``): the entry points and the choice of path.

``train_steps`` (:mod:`kernels.numba.entry`) checks its arguments and calls the ``train``
driver of the caller's ``path`` (:mod:`kernels.paths`), one module each in
:mod:`kernels.numba.paths`. Each driver is its own compiled function, specialised for the
activation and cost codes (:mod:`kernels.numba.specialise`): a trial compiles only the path, the
activation and the cost it runs. Signatures and semantics are those of
:mod:`kernels.reference`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kernels.call import Array, IntArray
from kernels.layout import n_params
from kernels.numba.entry import Driver, evaluate_of, train_steps_of
from kernels.numba.evaluate import evaluate_serial
from kernels.numba.jit import jit
from kernels.numba.paths import blas, fused_mb1, gemm, gemm_blocked, loops, regtile
from kernels.numba.slots import slot_size
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


def driver(path: str, m: int, work: Array, sizes: IntArray) -> Driver:
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


def choose(path: str | None, m: int, work: Array, sizes: IntArray) -> Driver:
    """The driver of a call (:data:`kernels.numba.entry.Choose`): ``path``, or the
    documented default for ``m`` samples when ``None``; ``ValueError`` for a path this
    backend cannot run with ``m`` samples."""
    name = default_path("numba", m) if path is None else path
    check_serial_path(name, m)
    return driver(name, m, work, sizes)


train_steps = train_steps_of(
    choose,
    workspace_size,
    """Run ``steps`` (SGD updates of a mini-batch each) by ``rule``; return their mean cost.

    The groups are those of :mod:`kernels.call`. ``path`` names the implementation
    (:data:`kernels.paths.SERIAL_PATHS`; ``None``: the documented default for this
    mini-batch size). ``fused-mb1`` runs mini-batch 1 only. ``renorm_below``: with ``mu ==
    0`` the weights are kept as ``s·W``; ``s`` is folded back whenever it drops below this
    (in ``(0, 1]``). ``info``, when given, receives ``"renorms"``: how many times that
    happened in this call. ``labels_checked``: every label of ``y`` is known to lie in
    range (a session checks them once, at upload).
    """,
)


evaluate = evaluate_of(evaluate_serial, jit, workspace_size, lambda: ())
