# mypy: allow-untyped-defs
"""The ``regtile`` kernel path: register-tiled loops for every product, inputs read in place.

One mini-batch (:func:`batch` in :func:`~kernels.numba.step_forms.summed_step`): no
gathered copy of the inputs; the first layer's forward by
:func:`~kernels.numba.blocks.dense.fwd_rows` (4 × 4 register tiles on the rows
``X[order[pos + s]]``, the next rows prefetched), the others by
:func:`~kernels.numba.blocks.dense.fwd_loops`; hidden activations and the sigmoid +
cross-entropy output over whole blocks, vectorised (:mod:`kernels.numba.blocks.vector`);
then layer by layer downwards: the deltas pushed down by the register tiles
(:func:`~kernels.numba.blocks.vector.push_down`), the weight gradients by the
register-tiled micro-kernels (:func:`~kernels.numba.blocks.grads.grad_tiles`, layer 1 on
the inputs in place), the bias gradient; last, the summed gradient applied to every layer.
Mini-batches above :data:`kernels.paths.GEMM_BLOCK` run in blocks of it
(:func:`train_blocked`).
"""

from __future__ import annotations

from kernels.numba.blocks.dense import fwd_loops, fwd_rows
from kernels.numba.blocks.grads import bias_grad, grad_tiles
from kernels.numba.blocks.vector import act_block, output_block, push_down
from kernels.numba.jit import inline_jit
from kernels.numba.paths.gemm_blocked import blocked_of
from kernels.numba.slots import delta_below, forward_views, layer_views, output_views
from kernels.numba.step_forms import blocked_step_of, summed_step_of
from kernels.numba.steps import driver_of, loop_of


@inline_jit
def batch(data, net, lay, pos, mc, sc, hidden, output, one):
    """Forward + backward of ``order[pos:pos+mc]`` by register tiles; returns the cost sum.

    Leaves the summed gradient in the slot's g (weights ``Dᵀ·A``, biases ``Σ D``); the
    weights in ``params`` are ``sc`` times the true ones."""
    sizes = lay.sizes
    L = sizes.shape[0] - 1
    for li in range(1, L + 1):
        v = forward_views(net, 0, lay, li, mc)
        if li == 1:
            fwd_rows(data.X, data.order, pos, v.W, v.b, v.Z, sc, mc, sizes[0], sizes[1])
        else:
            fwd_loops(v.A, v.W, v.b, v.Z, sc, mc, sizes[li - 1], sizes[li])
        if li < L:
            act_block(v.z, mc * sizes[li], hidden, one, True)
    z, a, d = output_views(net.work, 0, lay)
    cost = output_block(z, a, d, data.y, data.order, pos, mc, sizes[L], output, one, True)
    for li in range(L, 0, -1):
        n_in, n_out = sizes[li - 1], sizes[li]
        v = layer_views(net, 0, lay, li, mc)
        if li > 1:
            Dp = delta_below(net, 0, lay, li, mc)
            push_down(v.D, v.W, Dp, v.A, sc, hidden, one, mc, n_in, n_out)
            grad_tiles(v.D, v.A, lay.ident, 0, v.G, mc, n_in, n_out)
        else:
            grad_tiles(v.D, data.X, data.order, pos, v.G, mc, n_in, n_out)
        bias_grad(v.D, v.gb, mc, n_out)
    return cost


BLOCKED = blocked_of(batch, "regtile")


LOOP = loop_of(summed_step_of(batch, "regtile"))  # the step loops, whole and in blocks
LOOP_BLOCKED = loop_of(blocked_step_of(BLOCKED, "regtile"))
train = driver_of(LOOP, __name__)  # the drivers: a slot for the mini-batch, or for a block
train_blocked = driver_of(LOOP_BLOCKED, __name__, blocked=True)
