# mypy: allow-untyped-defs
"""The ``loops`` kernel path: register-blocked loops for every product, no BLAS.

One mini-batch (:func:`chunk` in :func:`~kernels.numba.step_forms.row_step`): gather the
samples into the slot, forward by :func:`~kernels.numba.blocks.dense.fwd_loops` (4 samples
× 4 rows register tiles), the output layer row by row; then layer by layer downwards: push
the deltas one layer down (:func:`~kernels.numba.blocks.vector.push_rows`, loops), the
weight gradients in row pairs × 4-sample blocks
(:func:`~kernels.numba.blocks.grads.grad_loops`), each finished row applied to the weights
at once while in L1, the bias gradient; last, the bias update. ``split-loops``
(:mod:`kernels.numba.paths.split`) runs :func:`chunk` on every thread.
"""

from __future__ import annotations

from kernels.numba.blocks.dense import slot_forward
from kernels.numba.blocks.grads import bias_grad, grad_loops
from kernels.numba.blocks.vector import push_rows
from kernels.numba.jit import jit
from kernels.numba.slots import delta_below, layer_views
from kernels.numba.step_forms import row_step_of
from kernels.numba.steps import driver_of, loop_of


@jit
def chunk(net, base, lay, data, pos, mc, sc, hidden, output, hp, mode, alpha):
    """Forward + backward of ``order[pos:pos+mc]`` in the slot at ``base``; returns the
    summed cost (float64) and leaves the summed gradient in the slot's g.

    ``mode`` 1 (scale: ``w += alpha·g``) or 2 (momentum) also applies each weight row as
    soon as its gradient is complete; 0 only sums (the split paths)."""
    one = hp.one
    cost = slot_forward(net, base, lay, data, pos, mc, sc, hidden, output, one, False)
    for li in range(lay.sizes.shape[0] - 1, 0, -1):
        n_in, n_out = lay.sizes[li - 1], lay.sizes[li]
        v = layer_views(net, base, lay, li, mc)
        if li > 1:  # push the deltas down first: the weights are updated below
            Dp = delta_below(net, base, lay, li, mc)
            push_rows(v.D, v.W, Dp, v.A, sc, hidden, one, mc, n_in, n_out, False)
        grad_loops(v.D, v.A, v.G, v.W, v.V, mc, n_in, n_out, mode, alpha, hp)
        bias_grad(v.D, v.gb, mc, n_out)
    return cost


LOOP = loop_of(row_step_of(chunk, "loops"))  # the step loop of this path
train = driver_of(LOOP, __name__)  # the driver: a slot for the mini-batch, then LOOP
