# mypy: allow-untyped-defs
"""The ``gemm`` kernel path: every dense product of a mini-batch through BLAS (``np.dot``).

One mini-batch (:func:`batch` in :func:`~kernels.numba.step_forms.summed_step`): gather the
samples into the slot; forward ``Z = A·Wᵀ`` by BLAS, the scale and biases added row by row,
the hidden activations over the whole block; the output layer; then layer by layer
downwards: the deltas ``D_prev = D·W`` by BLAS
(:func:`~kernels.numba.blocks.vector.push_rows`), the weight gradients ``G = Dᵀ·A`` by
BLAS, the bias gradient; last, the summed gradient applied to every layer
(:func:`~kernels.numba.blocks.update.apply_sums`). A candidate for machines whose BLAS
beats the register-blocked loops; which one wins is measured, not assumed
(:mod:`bench.kernel_tuning`). ``gemm-blocked`` (:mod:`kernels.numba.paths.gemm_blocked`)
runs :func:`batch` over blocks of samples.
"""

from __future__ import annotations

import numpy as np

from kernels.numba.blocks.dense import gather
from kernels.numba.blocks.grads import bias_grad
from kernels.numba.blocks.vector import act_block, output_block, push_rows
from kernels.numba.jit import inline_jit
from kernels.numba.slots import delta_below, forward_views, layer_views, output_views
from kernels.numba.step_forms import summed_step_of
from kernels.numba.steps import driver_of, loop_of


@inline_jit
def batch(data, net, lay, pos, mc, sc, hidden, output, one):
    """Forward + backward of ``order[pos:pos+mc]`` with BLAS products; returns the cost sum.

    Leaves the summed gradient in the slot's g (weights ``Dᵀ·A``, biases ``Σ D``); the
    weights in ``params`` are ``sc`` times the true ones."""
    sizes = lay.sizes
    L = sizes.shape[0] - 1
    gather(data.X, data.order, pos, True, forward_views(net, 0, lay, 1, mc).A, mc, sizes[0])
    for li in range(1, L + 1):
        v = forward_views(net, 0, lay, li, mc)
        np.dot(v.A, v.W.T, v.Z)
        for s in range(mc):
            zr = v.Z[s]
            for j in range(sizes[li]):
                zr[j] = sc * zr[j] + v.b[j]
        if li < L:
            act_block(v.z, mc * sizes[li], hidden, one, False)
    z, a, d = output_views(net.work, 0, lay)
    cost = output_block(z, a, d, data.y, data.order, pos, mc, sizes[L], output, one, False)
    for li in range(L, 0, -1):
        n_in, n_out = sizes[li - 1], sizes[li]
        v = layer_views(net, 0, lay, li, mc)
        if li > 1:
            Dp = delta_below(net, 0, lay, li, mc)
            push_rows(v.D, v.W, Dp, v.A, sc, hidden, one, mc, n_in, n_out, True)
        np.dot(v.D.T, v.A, v.G)
        bias_grad(v.D, v.gb, mc, n_out)
    return cost


LOOP = loop_of(summed_step_of(batch, "gemm"))  # the step loop of this path
train = driver_of(LOOP, __name__)  # the driver: a slot for the mini-batch, then LOOP
