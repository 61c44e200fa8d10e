# mypy: allow-untyped-defs
"""Evaluation kernels of the Numba backends: classify and cost blocks of rows.

``eval_rows`` runs the register tiles' forward pass of the ``regtile`` paths
(:func:`kernels.numba.blocks.dense.forward_tiles`, the rows read in place) and their output
layer (:func:`kernels.numba.blocks.vector.output_block`) on ``mc`` rows in one slot;
:func:`evaluate_serial` walks the rows in chunks, :func:`evaluate_parallel` hands the
chunks to the threads (``prange``); both are templates compiled per activation and cost
(:mod:`kernels.numba.specialise`).

Why the ``regtile`` forward: it is the fastest forward of every mini-batch size measured,
and where a process compiles ``regtile`` too (the default sweep's main process) the
evaluation reuses its compiled building blocks instead of compiling a forward and an output
layer of its own (:mod:`bench.prewarm` keeps the two together). ``eval_rows`` is inlined
into the two drivers, not compiled on its own: a block of its own would have its whole tree
of blocks optimised once more.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import prange

from kernels.call import Net
from kernels.numba.blocks.dense import first_on_wt, forward_tiles
from kernels.numba.blocks.vector import output_block
from kernels.numba.jit import inline_jit
from kernels.numba.slots import Lay, make_lay, output_views, param_offsets, slot_offsets


@inline_jit
def eval_rows(net, base, lay, X, y, rows, r0, mc, hidden, output, one, cols):
    """Forward the ``mc`` rows ``X[rows[r0 + s]]`` in the slot at ``base`` (``cols``: its
    ``Wᵀ`` is ready, :func:`~kernels.numba.blocks.dense.first_on_wt`) and their output
    layer as the ``regtile`` step computes it (:func:`output_block`); returns
    (correct, cost sum)."""
    L = lay.sizes.shape[0] - 1
    nL = lay.sizes[L]
    forward_tiles(net, base, lay, mc, one, hidden, one, cols, (X, rows, r0))
    z, a, d = output_views(net.work, base, lay)
    cost = output_block(z, a, d, y, rows, r0, mc, nL, output, one, True)
    correct = 0
    for s in range(mc):
        r = s * nL
        best = 0
        for j in range(1, nL):
            if a[r + j] > a[r + best]:
                best = j
        if best == y[rows[r0 + s]]:
            correct += 1
    return correct, cost


HIDDEN: Any = None  # the activation and cost codes, bound per compiled copy
OUTPUT: Any = None  # (kernels.numba.specialise)


def evaluate_serial(params, work, sizes, X, y, chunk, one):
    """``(correct, summed cost)`` over the rows of ``X`` in chunks of ``chunk``."""
    net = Net(params, params, work)
    lay = make_lay(sizes, chunk)

    n = X.shape[0]
    rows = np.arange(n)
    cols = first_on_wt(X, net, lay, chunk, 0)
    correct = 0
    cost = 0.0
    for r0 in range(0, n, chunk):
        c, cs = eval_rows(
            net, 0, lay, X, y, rows, r0, min(chunk, n - r0), HIDDEN, OUTPUT, one, cols
        )
        correct += c
        cost += cs
    return correct, cost


def evaluate_parallel(params, work, sizes, X, y, chunk, one, n_threads):
    """:func:`evaluate_serial` with the chunks spread over ``n_threads`` threads."""
    net = Net(params, params, work)
    # built here, not by make_lay: a prange body finds a named tuple's class only when the
    # tuple is an argument or made by calling the class (Numba's parfor lowering)
    lay = Lay(sizes, param_offsets(sizes), slot_offsets(sizes, chunk), np.arange(chunk))

    L = sizes.shape[0] - 1
    slot = lay.so[2 * L + 3]
    n = X.shape[0]
    n_chunks = (n + chunk - 1) // chunk
    T = min(n_threads, n_chunks)
    corrects = np.zeros(T, np.int64)
    costs = np.zeros(T)
    rows = np.arange(n)
    for t in prange(T):
        cols = first_on_wt(X, net, lay, chunk, t * slot)
        for ci in range(t, n_chunks, T):
            r0 = ci * chunk
            cr, cs = eval_rows(
                net,
                t * slot,
                lay,
                X,
                y,
                rows,
                r0,
                min(chunk, n - r0),
                HIDDEN,
                OUTPUT,
                one,
                cols,
            )
            corrects[t] += cr
            costs[t] += cs
    return corrects.sum(), costs.sum()
