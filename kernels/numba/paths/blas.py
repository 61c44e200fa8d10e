# mypy: allow-untyped-defs
"""The ``blas`` kernel path: register-blocked forward, BLAS GEMMs for the backward pass.

One mini-batch (:func:`chunk` in :func:`~kernels.numba.step_forms.row_step`): gather the
samples into the slot, forward by :func:`~kernels.numba.blocks.dense.fwd_loops`, the output
layer row by row; then layer by layer downwards: the deltas pushed one layer down by
``np.dot`` (BLAS, :func:`~kernels.numba.blocks.vector.push_rows`), the weight gradients
``G = Dᵀ·A`` by ``np.dot`` on contiguous views of the slot, each weight row then applied
(:func:`~kernels.numba.blocks.grads.apply_row`), the bias gradient; last, the bias update.
``split-blas`` (:mod:`kernels.numba.paths.split`) runs :func:`chunk` on every thread.
"""

from __future__ import annotations

import numpy as np

from kernels.numba.blocks.dense import slot_forward
from kernels.numba.blocks.grads import apply_row, bias_grad
from kernels.numba.blocks.vector import push_rows
from kernels.numba.jit import jit
from kernels.numba.slots import delta_below, layer_views
from kernels.numba.step_forms import row_step_of
from kernels.numba.steps import driver_of, loop_of


@jit
def chunk(net, base, lay, data, pos, mc, sc, hidden, output, hp, mode, alpha):
    """Forward + backward of ``order[pos:pos+mc]`` in the slot at ``base``; returns the
    summed cost (float64) and leaves the summed gradient in the slot's g.

    ``mode`` 1 (scale: ``w += alpha·g``) or 2 (momentum) also applies the weight rows once
    a layer's gradient is complete; 0 only sums (the split paths)."""
    one = hp.one
    cost = slot_forward(net, base, lay, data, pos, mc, sc, hidden, output, one, False)
    for li in range(lay.sizes.shape[0] - 1, 0, -1):
        n_in, n_out = lay.sizes[li - 1], lay.sizes[li]
        v = layer_views(net, base, lay, li, mc)
        if li > 1:  # push the deltas down first: the weights are updated below
            Dp = delta_below(net, base, lay, li, mc)
            push_rows(v.D, v.W, Dp, v.A, sc, hidden, one, mc, n_in, n_out, True)
        np.dot(v.D.T, v.A, v.G)
        if mode != 0:
            for j in range(n_out):
                apply_row(v.G[j], v.W[j], v.V[j], n_in, mode, alpha, hp)
        bias_grad(v.D, v.gb, mc, n_out)
    return cost


LOOP = loop_of(row_step_of(chunk, "blas"))  # the step loop of this path
train = driver_of(LOOP, __name__)  # the driver: a slot for the mini-batch, then LOOP
