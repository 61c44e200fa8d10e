# mypy: allow-untyped-defs
"""The ``regtile`` kernel path: register-tiled loops for every product, inputs read in place.

One mini-batch (:func:`batch` in :func:`~kernels.numba.step_forms.summed_step`): no
gathered copy of the inputs; the first layer's forward by
:func:`~kernels.numba.blocks.dense.fwd_rows_cols` (on AVX-512, 6 × 32 register tiles on
the transposed weights and the rows ``X[order[pos + s]]``; elsewhere
:func:`~kernels.numba.blocks.dense.fwd_rows`' 4 × 4 dot-product tiles, the next rows
prefetched), the others by :func:`~kernels.numba.blocks.dense.fwd_cols` (outer products
on ``Wᵀ``); hidden activations and the sigmoid + cross-entropy output over whole blocks,
vectorised (:mod:`kernels.numba.blocks.vector`); then layer by layer downwards: the deltas
pushed down by the register tiles (:func:`~kernels.numba.blocks.vector.push_down`), the
weight gradients by the register-tiled micro-kernels
(:func:`~kernels.numba.blocks.grads.grad_tiles`, layer 1 on the inputs in place), the bias
gradient; last, the summed gradient applied to every layer.
Mini-batches above :data:`kernels.paths.GEMM_BLOCK` run in blocks of it
(:func:`train_blocked`).
"""

from __future__ import annotations

from kernels.numba.blocks.dense import cols_first, first_on_wt, forward_tiles
from kernels.numba.blocks.grads import bias_grad, grad_tiles
from kernels.numba.blocks.vector import output_block, push_down
from kernels.numba.jit import inline_jit
from kernels.numba.paths.gemm_blocked import blocked_of
from kernels.numba.slots import delta_below, layer_views, output_views
from kernels.numba.step_forms import blocked_step_of, summed_step_of
from kernels.numba.steps import driver_of, loop_of


@inline_jit
def batch_on(data, net, lay, pos, mc, sc, hidden, output, one, cols, base, src):
    """Forward + backward of ``order[pos:pos+mc]`` by register tiles in the slot at
    ``work[base:]``; returns the cost sum.

    ``src``: ``(X, rows, r0)``, the inputs as rows ``X[rows[r0 + s]]`` (the training
    inputs in place through the order, or a gathered copy with the identity rows).
    ``cols``: the first layer's ``Wᵀ`` is ready in the slot's scratch
    (:func:`transpose_first`). Leaves the summed gradient in the slot's g (weights
    ``Dᵀ·A``, biases ``Σ D``); the weights in ``params`` are ``sc`` times the true ones."""
    sizes = lay.sizes
    L = sizes.shape[0] - 1
    forward_tiles(net, base, lay, mc, sc, hidden, one, cols, src)
    X, rows, r0 = src
    z, a, d = output_views(net.work, base, lay)
    cost = output_block(z, a, d, data.y, data.order, pos, mc, sizes[L], output, one, True)
    for li in range(L, 0, -1):
        n_in, n_out = sizes[li - 1], sizes[li]
        v = layer_views(net, base, lay, li, mc)
        if li > 1:
            Dp = delta_below(net, base, lay, li, mc)
            push_down(v.D, v.W, Dp, v.A, sc, hidden, one, mc, n_in, n_out)
            grad_tiles(v.D, v.A, lay.ident, 0, v.G, mc, n_in, n_out)
        else:
            grad_tiles(v.D, X, rows, r0, v.G, mc, n_in, n_out)
        bias_grad(v.D, v.gb, mc, n_out)
    return cost


@inline_jit
def transpose_first(data, net, lay, m, base):
    """Whether a mini-batch of ``m`` samples runs its first layer on ``Wᵀ``
    (:func:`~kernels.numba.blocks.dense.cols_first`); if so, ``Wᵀ`` is written to the
    scratch of the slot at ``work[base:]``, once for all the mini-batch's blocks (the
    weights change only after them)."""
    return first_on_wt(data.X, net, lay, m, base)


@inline_jit
def batch(data, net, lay, pos, mc, sc, hidden, output, one):
    """:func:`batch_on` of a whole mini-batch, ``Wᵀ`` made first where it serves."""
    cols = transpose_first(data, net, lay, mc, 0)
    return batch_on(
        data, net, lay, pos, mc, sc, hidden, output, one, cols, 0, (data.X, data.order, pos)
    )


@inline_jit
def block(data, net, lay, pos, mc, sc, hidden, output, one):
    """:func:`batch_on` of one block of a mini-batch (:func:`blocked`)."""
    cols = cols_first(data.X, lay.ident.shape[0])
    return batch_on(
        data, net, lay, pos, mc, sc, hidden, output, one, cols, 0, (data.X, data.order, pos)
    )


BLOCKS = blocked_of(block, "regtile")


@inline_jit
def blocked(data, net, lay, pos, m, sc, hidden, output, one, total):
    """A mini-batch above the block: ``Wᵀ`` made once (decided on the block's capacity,
    as :func:`block` does), then its blocks."""
    transpose_first(data, net, lay, lay.ident.shape[0], 0)
    return BLOCKS(data, net, lay, pos, m, sc, hidden, output, one, total)


LOOP = loop_of(summed_step_of(batch, "regtile"))  # the step loops, whole and in blocks
LOOP_BLOCKED = loop_of(blocked_step_of(blocked, "regtile"))
train = driver_of(LOOP, __name__)  # a slot for the mini-batch, or for a block
train_blocked = driver_of(LOOP_BLOCKED, __name__, blocked=True)
