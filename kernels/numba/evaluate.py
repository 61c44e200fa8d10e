# mypy: allow-untyped-defs
"""Evaluation kernels of the Numba backends: classify and cost blocks of rows.

``eval_rows`` runs the loops forward pass (:func:`kernels.numba.blocks.dense.forward`) and
the output row of ``mc`` rows in one slot; :func:`evaluate_serial` walks the rows in
chunks, :func:`evaluate_parallel` hands the chunks to the threads (``prange``); both are
templates compiled per activation and cost (:mod:`kernels.numba.specialise`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import prange

from kernels.call import Net
from kernels.numba.blocks.dense import forward, gather
from kernels.numba.blocks.scalar import output_row
from kernels.numba.jit import jit
from kernels.numba.slots import Lay, forward_views, make_lay, param_offsets, slot_offsets


@jit
def eval_rows(net, base, lay, X, y, r0, mc, hidden, output, one):
    """Forward ``mc`` rows from ``r0`` in the slot at ``base``; returns (correct, cost sum)."""
    sizes, so = lay.sizes, lay.so
    L = sizes.shape[0] - 1
    nL = sizes[L]
    gather(X, y, r0, False, forward_views(net, base, lay, 1, mc).A, mc, sizes[0])
    forward(net, base, lay, mc, one, hidden, one, False)
    oz = base + so[2 * L + 1]
    oa = base + so[L]
    cost = 0.0
    correct = 0
    work = net.work
    for s in range(mc):
        r = s * nL
        a = work[oa + r : oa + r + nL]
        label = y[r0 + s]
        cost += output_row(work[oz + r : oz + r + nL], a, a, label, nL, output, one, False)
        best = 0
        for j in range(1, nL):
            if a[j] > a[best]:
                best = j
        if best == label:
            correct += 1
    return correct, cost


HIDDEN: Any = None  # the activation and cost codes, bound per compiled copy
OUTPUT: Any = None  # (kernels.numba.specialise)


def evaluate_serial(params, work, sizes, X, y, chunk, one):
    """``(correct, summed cost)`` over the rows of ``X`` in chunks of ``chunk``."""
    net = Net(params, params, work)
    lay = make_lay(sizes, chunk)

    n = X.shape[0]
    correct = 0
    cost = 0.0
    for r0 in range(0, n, chunk):
        c, cs = eval_rows(net, 0, lay, X, y, r0, min(chunk, n - r0), HIDDEN, OUTPUT, one)
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
    for t in prange(T):
        for ci in range(t, n_chunks, T):
            r0 = ci * chunk
            cr, cs = eval_rows(
                net, t * slot, lay, X, y, r0, min(chunk, n - r0), HIDDEN, OUTPUT, one
            )
            corrects[t] += cr
            costs[t] += cs
    return corrects.sum(), costs.sum()
