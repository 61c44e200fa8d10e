# mypy: allow-untyped-defs
"""The ``split-loops``, ``split-blas`` and ``split-regtile`` kernel paths (``numba-parallel``).

One mini-batch (:func:`split_step`): split into one contiguous chunk of samples per thread
(at least one sample each); every thread runs the forward and backward pass of its chunk
into its own scratch slot, gradient sums included (``prange``): ``split-loops`` the
:func:`kernels.numba.paths.loops.chunk`, ``split-blas`` the
:func:`kernels.numba.paths.blas.chunk`, ``split-regtile`` :func:`tiles_chunk` (``regtile``'s
mini-batch on the thread's chunk: inputs in place, forward products on ``Wᵀ``,
vectorised block activations and output, the deltas pushed down and the weight gradients
by the register tiles). Then a second parallel loop over slices of the
flat parameter array sums the per-thread gradients and applies the update. Results equal
the serial paths up to float rounding (the per-thread sums are added in another order).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
from numba import prange

from kernels.call import Data
from kernels.numba.blocks.dense import gather
from kernels.numba.blocks.update import update_range
from kernels.numba.jit import bind, jit, pjit
from kernels.numba.paths import blas, loops, regtile
from kernels.numba.slots import forward_views, make_lay
from kernels.numba.steps import loop_of
from kernels.paths import GEMM_BLOCK

chunk: Any = None  # the path's chunk function, bound in each copy made by split_of


class Split(NamedTuple):
    """The data (``X``, ``y``, ``order``: flat, as a ``prange`` body cannot take a nested
    named tuple) and how a mini-batch is split: ``T`` chunks of ``chunk`` samples, ``slot``
    elements of ``work`` per thread, ``span`` parameters per thread in the update,
    ``costs`` per thread."""

    X: np.ndarray
    y: np.ndarray
    order: np.ndarray
    costs: np.ndarray
    T: int
    chunk: int
    slot: int
    span: int


HIDDEN: Any = None  # the activation and cost codes, bound per compiled copy of a driver
OUTPUT: Any = None  # (kernels.numba.specialise)


@jit
def tiles_chunk(net, base, lay, data, pos, mc, sc, hidden, output, hp, mode, alpha):
    """Forward + backward of ``order[pos:pos+mc]`` in the slot at ``base`` as ``regtile``
    runs a mini-batch (:func:`kernels.numba.paths.regtile.batch_on`: forward products on
    ``Wᵀ`` where the chunk reaches the break-even size, each thread with its own copy);
    ``mode``, ``alpha``: unused, the split paths only sum. Returns the cost sum.

    A chunk of up to :data:`~kernels.paths.GEMM_BLOCK` samples reads its inputs in place;
    a larger one gathers them into the slot first, as the gradient reads them again after
    they left L2 (Zen 5, two threads, against the gathered forward before: in place
    1.05–1.09× at mini-batch 100 but 0.86–0.90× in float64 at 1000; gathered 0.95–0.98×
    at 100 and 1.07–1.11× at 1000)."""
    cols = regtile.transpose_first(data, net, lay, mc, base)
    one = hp.one
    if mc <= GEMM_BLOCK:
        src = (data.X, data.order, pos)
        return regtile.batch_on(data, net, lay, pos, mc, sc, hidden, output, one, cols, base, src)
    a0 = forward_views(net, base, lay, 1, mc).A
    gather(data.X, data.order, pos, True, a0, mc, lay.sizes[0])
    src = (a0, lay.ident, 0)
    return regtile.batch_on(data, net, lay, pos, mc, sc, hidden, output, one, cols, base, src)


def split_step(sp, net, lay, hp, pos, m, sc, hidden, output, total):
    """One mini-batch: ``chunk`` (bound by :func:`split_of`) on every thread's samples,
    then the summed update."""
    one = hp.one
    data = Data(sp.X, sp.y, sp.order)
    costs = sp.costs  # a local array: a prange body's writes to a tuple's field are lost
    for t in prange(sp.T):
        lo = t * sp.chunk
        mc = min(sp.chunk, m - lo)
        costs[t] = chunk(
            net, t * sp.slot, lay, data, pos + lo, mc, sc.s, hidden, output, hp, 0, one
        )
    for t in range(sp.T):
        total += costs[t]
    alpha_b = -(hp.eta * hp.inv_m)
    alpha_w = alpha_b / sc.s_new
    L = lay.sizes.shape[0] - 1
    n_par = lay.po[2 * L]
    og = lay.so[2 * L + 2]
    for t in prange(sp.T):
        lo = t * sp.span
        hi = min(n_par, lo + sp.span)
        for li in range(L):
            for part in range(2):
                a = max(lo, lay.po[2 * li + part])
                b = min(hi, lay.po[2 * li + part + 1])
                if a < b:
                    alpha = alpha_w if part == 0 else alpha_b
                    update_range(net, og, sp.slot, sp.T, a, b, part == 0, alpha, hp, sc.use_scale)
    return total


def split_of(path_chunk: Any, name: str) -> Any:
    """The compiled :func:`split_step` of one chunk function (``prange``: :func:`pjit`)."""
    return bind(split_step, pjit, f"split_step_{name}", chunk=path_chunk)


STEP_LOOPS = split_of(loops.chunk, "loops")  # split-loops: the loops chunk on every thread
STEP_BLAS = split_of(blas.chunk, "blas")  # split-blas: the BLAS chunk
STEP_REGTILE = split_of(tiles_chunk, "regtile")  # split-regtile: the register-tiled chunk
LOOPS = loop_of(STEP_LOOPS)
BLAS = loop_of(STEP_BLAS)
REGTILE = loop_of(STEP_REGTILE)


@jit
def plan(data, sizes, m, n_threads):
    """``(Split, Lay)``: ``m`` samples over at most ``n_threads`` threads (≥ 2 chunks)."""
    T = min(n_threads, m)
    chunk = (m + T - 1) // T
    T = (m + chunk - 1) // chunk
    lay = make_lay(sizes, chunk)
    L = sizes.shape[0] - 1
    span = (lay.po[2 * L] + T - 1) // T
    split = Split(data.X, data.y, data.order, np.zeros(T), T, chunk, lay.so[2 * L + 3], span)
    return split, lay


def train_loops(net, data, sizes, hp, start, n_steps, m, n_threads):
    """``split-loops``: ``n_steps`` updates; ``(summed cost, renormalisations)``."""
    sp, lay = plan(data, sizes, m, n_threads)
    return LOOPS(sp, net, lay, hp, start, n_steps, m, HIDDEN, OUTPUT)


def train_blas(net, data, sizes, hp, start, n_steps, m, n_threads):
    """``split-blas``: ``n_steps`` updates; ``(summed cost, renormalisations)``."""
    sp, lay = plan(data, sizes, m, n_threads)
    return BLAS(sp, net, lay, hp, start, n_steps, m, HIDDEN, OUTPUT)


def train_regtile(net, data, sizes, hp, start, n_steps, m, n_threads):
    """``split-regtile``: ``n_steps`` updates; ``(summed cost, renormalisations)``."""
    sp, lay = plan(data, sizes, m, n_threads)
    return REGTILE(sp, net, lay, hp, start, n_steps, m, HIDDEN, OUTPUT)
