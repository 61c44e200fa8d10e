# mypy: allow-untyped-defs
"""The ``gemm-blocked`` kernel path: ``gemm`` over blocks of samples (big mini-batches).

Each mini-batch is processed ``block`` samples at a time (the slot's capacity,
:data:`kernels.paths.GEMM_BLOCK`), so the gathered inputs and activations stay in L2: one
block's forward and backward pass (:func:`kernels.numba.paths.gemm.batch`), its gradient
sums added into an accumulator of ``n_params`` elements placed after the slot
(:func:`blocked_batch`); once every block is done, the accumulated gradient is applied to
every layer. ``regtile`` (:mod:`kernels.numba.paths.regtile`) runs its own batch through
:func:`blocked_batch` for mini-batches above the block.
"""

from __future__ import annotations

from typing import Any

from kernels.numba.jit import bind, jit
from kernels.numba.paths import gemm
from kernels.numba.step_forms import blocked_step_of
from kernels.numba.steps import driver_of, loop_of

batch: Any = None  # the path's batch function, bound in each copy made by blocked_of


def blocked_of(path_batch: Any, name: str) -> Any:
    """The compiled :func:`blocked_batch` of one path's batch function."""
    return bind(blocked_batch, jit, f"blocked_batch_{name}", batch=path_batch)


def blocked_batch(data, net, lay, pos, m, sc, hidden, output, one, total):
    """``batch`` (a path's batch function, bound by :func:`blocked_of`) over blocks of
    ``order[pos:pos+m]``, the gradient sums accumulated after the slot; returns ``total``
    plus the blocks' costs (added block by block)."""
    block = lay.ident.shape[0]
    L = lay.sizes.shape[0] - 1
    og = lay.so[2 * L + 2]
    acc = lay.so[2 * L + 3]
    n_par = lay.po[2 * L]
    g = net.work[og : og + n_par]
    a = net.work[acc : acc + n_par]
    for c0 in range(0, m, block):
        mc = min(block, m - c0)
        total += batch(data, net, lay, pos + c0, mc, sc, hidden, output, one)
        if c0 == 0:
            for i in range(n_par):
                a[i] = g[i]
        else:
            for i in range(n_par):
                a[i] += g[i]
    return total


BLOCKED_GEMM = blocked_of(gemm.batch, "gemm")

LOOP = loop_of(blocked_step_of(BLOCKED_GEMM, "gemm"))  # the step loop of this path
train = driver_of(LOOP, __name__, blocked=True)  # a block's slot, then LOOP
