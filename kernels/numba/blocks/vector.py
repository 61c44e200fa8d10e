# mypy: allow-untyped-defs
"""The output layer and the deltas pushed one layer down: whole blocks (vectorised) on the
``regtile`` paths, row by row on the others (``output_row``, :func:`push_rows`).

The other paths apply ``act``/``output_row`` one row of units at a time, calling the C
library's scalar ``exp``/``log1p``: rows of 10 or 30 units leave the vector units idle,
and on a fast core this part of a step costs as much as a third of the 784-wide layer's
products. On the ``regtile`` paths each loop runs over the whole ``m × n`` block, flat,
with the branch-free :func:`sigmoid_exp` / :func:`~kernels.numba.blocks.vecmath.log1p_unit`,
and the deltas are pushed down by the register tiles ``push_tile_R``; the hidden
activations are :func:`act_block`. Costs other than the sigmoid + cross-entropy use the row
loops of :mod:`kernels.numba.blocks.scalar`. :func:`push_rows` is the one push-down of every
other path, mini-batch 1 included.
"""

from __future__ import annotations

import numpy as np

from kernels.layout import CROSS_ENTROPY, SIGMOID
from kernels.numba.blocks.microkernels import COLS, push_tile_1, push_tile_4
from kernels.numba.blocks.scalar import act, dact, output_row
from kernels.numba.blocks.vecmath import exp_neg, log1p_unit
from kernels.numba.jit import jit, vec_jit


@vec_jit
def sigmoid_exp(z, one):
    """``(σ(z), e^-|z|)`` from one :func:`exp_neg`, branch-free (a select, not a jump):
    vectorisable in a loop; the cross-entropy cost reuses ``e^-|z|``."""
    e = exp_neg(-abs(z), one)
    r = one / (one + e)
    return (r if z >= one - one else e * r), e


@vec_jit
def act_block(z, n, hidden, one, vec):
    """``z[i] = act(z[i])`` for the first ``n`` elements of the flat block ``z``, in place.

    ``vec`` (the ``regtile`` paths): the sigmoid by :func:`sigmoid_exp`, vectorised;
    otherwise, and for the other activations, the scalar :func:`act`."""
    if vec and hidden == SIGMOID:
        for i in range(n):
            z[i] = sigmoid_exp(z[i], one)[0]
    else:
        for i in range(n):
            z[i] = act(z[i], hidden, one)


@vec_jit
def output_block(z, a, d, y, order, pos, m, n, output, one, vec):
    """Output activations ``a``, deltas ``d`` and the summed cost (float64) of ``m`` samples.

    ``z``, ``a``, ``d``: flat ``m × n`` blocks; the labels are ``y[order[pos + s]]``. With
    ``vec`` (the ``regtile`` paths) the sigmoid + cross-entropy output runs over the whole
    block (σ and the softplus of the cost from one ``exp`` per unit); otherwise, and for
    the other costs, row by row (:func:`output_row`).
    """
    cost = 0.0
    zero = one - one
    if output != CROSS_ENTROPY or not vec:
        for s in range(m):
            r = s * n
            cost += output_row(z[r : r + n], a[r : r + n], d[r : r + n], y[order[pos + s]], n,
                               output, one, True)  # fmt: skip
        return cost
    for i in range(m * n):
        zi = z[i]
        ai, e = sigmoid_exp(zi, one)
        a[i] = ai
        d[i] = ai
        cost += max(zi, zero) + log1p_unit(e, one)  # softplus(z) = max(z, 0) + log1p(e^-|z|)
    for s in range(m):
        j = s * n + y[order[pos + s]]
        cost -= z[j]
        d[j] -= one
    return cost


@vec_jit
def push_down(D, W, Dp, A, sc, hidden, one, m, n_in, n_out):
    """``Dp = sc·(D·W) ⊙ act'(A)``: deltas one layer down (``m × n_in``, set, not added).

    ``push_tile_4``/``push_tile_1`` over strips of ``COLS`` columns (the last strip
    overlaps its neighbour: each column is computed the same way in either); layers
    narrower than ``COLS`` use :func:`bwd_loops`.
    """
    if n_in < COLS:
        bwd_loops(D, W, Dp, m, n_in, n_out)
    else:
        k0 = 0
        while k0 < n_in:
            push_strip(D, W, Dp, m, min(k0, n_in - COLS), n_out)
            k0 += COLS
    dp = Dp.reshape(m * n_in)
    a = A.reshape(m * n_in)
    for i in range(m * n_in):
        dp[i] = sc * dp[i] * dact(a[i], hidden, one)


@jit
def push_strip(D, W, P, m, k, n):
    """``P[:m, k:k+COLS] = D[:m, :n]·W[:n, k:k+COLS]``: ``push_tile_4`` over 4 rows at a
    time, ``push_tile_1`` for the rest."""
    s = 0
    while s + 3 < m:
        push_tile_4(D, W, P, s, k, n)
        s += 4
    while s < m:
        push_tile_1(D, W, P, s, k, n)
        s += 1


@jit
def bwd_loops(D, W, Dp, m, n_in, n_out):
    """``Dp = D·W`` (deltas pushed one layer down, before the activation derivative)."""
    zero = D[0, 0] - D[0, 0]
    for s in range(m):
        dp = Dp[s]
        for k in range(n_in):
            dp[k] = zero
        for j in range(n_out):
            dj = D[s, j]
            w = W[j]
            for k in range(n_in):
                dp[k] += dj * w[k]


@jit
def push_rows(D, W, Dp, A, sc, hidden, one, m, n_in, n_out, blas):
    """``Dp = sc·(D·W) ⊙ act'(A)``: deltas one layer down (``m × n_in``), row by row.

    ``D·W`` by BLAS (``blas``) or :func:`bwd_loops`, then the activation derivative one
    sample row at a time. :func:`push_down` is the register-tiled version of the
    ``regtile`` paths (the same values to rounding, not bit for bit).
    """
    if blas:
        np.dot(D, W, Dp)
    else:
        bwd_loops(D, W, Dp, m, n_in, n_out)
    for s in range(m):
        dp = Dp[s]
        ar = A[s]
        for k in range(n_in):
            dp[k] = sc * dp[k] * dact(ar[k], hidden, one)
