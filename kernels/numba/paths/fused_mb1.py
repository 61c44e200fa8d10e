# mypy: allow-untyped-defs
"""The ``fused-mb1`` kernel path: SGD with one sample per update, hand-written loops.

One step (:func:`step`): finish the sample's layer-1 pre-activations (their raw dot
products ``R`` were made by the previous step), forward the upper layers
(:func:`~kernels.numba.blocks.dense.dots4`), the output row's cost and delta; push the
deltas down (:func:`~kernels.numba.blocks.vector.push_rows`) with the weights before the
update; update layers 2…L (:func:`update_upper`); last, the layer-1 update fused with the
*next* sample's layer-1 dot products (:func:`fused_update_scale`,
:func:`fused_update_momentum`): one sweep over the big weight matrix per sample. With
``mu == 0`` the L2 decay is the global weight scale of :mod:`kernels.numba.steps`, so the
update is one FMA per weight.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from kernels.call import Data
from kernels.numba.blocks.dense import dots4
from kernels.numba.blocks.scalar import act, output_row
from kernels.numba.blocks.vector import push_rows
from kernels.numba.jit import inline_jit, jit
from kernels.numba.slots import delta_below, forward_views, layer_views, make_lay
from kernels.numba.steps import loop_of


class Mb1(NamedTuple):
    """The layer-1 views the fused update works on (``R``: the raw dot products of the
    next sample with ``W1``) and ``end``, the order position after the last step."""

    data: Data
    W1: np.ndarray
    b1: np.ndarray
    V1: np.ndarray
    Vb1: np.ndarray
    R: np.ndarray
    end: int


HIDDEN: Any = None  # the activation and cost codes, bound per compiled copy of a driver
OUTPUT: Any = None  # (kernels.numba.specialise)


@jit
def prepare(net, data, lay, start, n_steps):
    """The :class:`Mb1` of a call, ``R`` holding the first sample's raw layer-1 products."""
    sizes, po, so = lay.sizes, lay.po, lay.so
    L = sizes.shape[0] - 1
    n0, n1 = sizes[0], sizes[1]
    W1 = net.params[po[0] : po[0] + n1 * n0].reshape((n1, n0))
    V1 = net.velocity[po[0] : po[0] + n1 * n0].reshape((n1, n0))
    r_off = so[1] if L > 1 else so[2 * L + 1]  # a_1, or z when there is no hidden layer
    R = net.work[r_off : r_off + n1]
    dots4(W1, data.X[data.order[start]], R, n0, n1)
    return Mb1(
        data, W1, net.params[po[1] : po[1] + n1], V1, net.velocity[po[1] : po[1] + n1], R,
        start + n_steps,
    )  # fmt: skip


@jit
def forward(cx, net, lay, s, hidden, one):
    """The sample's forward pass from the raw layer-1 products ``R`` on."""
    sizes = lay.sizes
    L = sizes.shape[0] - 1
    for j in range(sizes[1]):
        cx.R[j] = s * cx.R[j] + cx.b1[j]
        if L > 1:
            cx.R[j] = act(cx.R[j], hidden, one)
    for li in range(2, L + 1):
        v = forward_views(net, 0, lay, li, 1)
        zz = v.z
        dots4(v.W, v.A[0], zz, sizes[li - 1], sizes[li])
        for j in range(sizes[li]):
            zz[j] = s * zz[j] + v.b[j]
            if li < L:
                zz[j] = act(zz[j], hidden, one)


@jit
def update_upper(net, lay, hp, alpha, use_scale):
    """Update layers 2…L from the sample's deltas (scale: ``alpha``; else momentum)."""
    eta, lam, mu = hp.eta, hp.lam, hp.mu
    for li in range(lay.sizes.shape[0] - 1, 1, -1):
        v = layer_views(net, 0, lay, li, 1)
        bo = lay.po[2 * (li - 1) + 1]
        d = v.D[0]
        a_in = v.A[0]
        for j in range(lay.sizes[li]):
            dj = d[j]
            w = v.W[j]
            if use_scale:
                e = alpha * dj
                for k in range(lay.sizes[li - 1]):
                    w[k] += e * a_in[k]
                net.params[bo + j] -= eta * dj
            else:
                vv = v.V[j]
                for k in range(lay.sizes[li - 1]):
                    vk = mu * vv[k] - eta * (dj * a_in[k] + lam * w[k])
                    vv[k] = vk
                    w[k] += vk
                vb = mu * net.velocity[bo + j] - eta * dj
                net.velocity[bo + j] = vb
                net.params[bo + j] += vb


@inline_jit
def step(cx, net, lay, hp, pos, m, sc, hidden, output, total):
    """One sample: forward, output, deltas, update (layer 1 fused with the next sample)."""
    sizes, so = lay.sizes, lay.so
    L = sizes.shape[0] - 1
    one = hp.one
    s = sc.s
    idx = cx.data.order[pos]
    x = cx.data.X[idx]
    forward(cx, net, lay, s, hidden, one)
    nL = sizes[L]
    w = net.work
    z_out, a_out = w[so[2 * L + 1] : so[2 * L + 1] + nL], w[so[L] : so[L] + nL]
    d_out = w[so[2 * L] : so[2 * L] + nL]
    total += output_row(z_out, a_out, d_out, cx.data.y[idx], nL, output, one, True)
    for li in range(L, 1, -1):  # deltas of the hidden layers (weights before the update)
        v = layer_views(net, 0, lay, li, 1)
        Dp = delta_below(net, 0, lay, li, 1)
        push_rows(v.D, v.W, Dp, v.A, s, hidden, one, 1, sizes[li - 1], sizes[li], False)
    alpha = -hp.eta / sc.s_new
    update_upper(net, lay, hp, alpha, sc.use_scale)
    d1 = w[so[L + 1] : so[L + 1] + sizes[1]]
    xn = cx.data.X[cx.data.order[pos + 1]] if pos + 1 < cx.end else x
    if sc.use_scale:
        fused_update_scale(cx.W1, cx.b1, d1, x, xn, cx.R, alpha, hp.eta, sizes[0], sizes[1])
    else:
        fused_update_momentum(cx, d1, x, xn, hp, sizes[0], sizes[1])
    if sc.s_new < hp.renorm_below:  # the fused dot products R hold the scaled weights' too
        for j in range(sizes[1]):
            cx.R[j] *= sc.s_new
    return total


def train(net, data, sizes, hp, start, n_steps, m):
    """``n_steps`` updates of one sample each; ``(summed cost, renormalisations)``."""
    lay = make_lay(sizes, 1)
    cx = prepare(net, data, lay, start, n_steps)
    return LOOP(cx, net, lay, hp, start, n_steps, 1, HIDDEN, OUTPUT)


@jit
def fused_update_scale(W, b, d, x, xn, R, alpha, eta, n0, n1):
    """``W[j] += alpha·d[j]·x`` and ``R[j] = W[j]·xn`` in one sweep, 4 rows at a time."""
    zero = alpha - alpha
    j = 0
    while j + 3 < n1:
        w0 = W[j]
        w1 = W[j + 1]
        w2 = W[j + 2]
        w3 = W[j + 3]
        e0 = alpha * d[j]
        e1 = alpha * d[j + 1]
        e2 = alpha * d[j + 2]
        e3 = alpha * d[j + 3]
        c0 = zero
        c1 = zero
        c2 = zero
        c3 = zero
        for k in range(n0):
            xk = x[k]
            nk = xn[k]
            t0 = w0[k] + e0 * xk
            t1 = w1[k] + e1 * xk
            t2 = w2[k] + e2 * xk
            t3 = w3[k] + e3 * xk
            w0[k] = t0
            w1[k] = t1
            w2[k] = t2
            w3[k] = t3
            c0 += t0 * nk
            c1 += t1 * nk
            c2 += t2 * nk
            c3 += t3 * nk
        R[j] = c0
        R[j + 1] = c1
        R[j + 2] = c2
        R[j + 3] = c3
        j += 4
    while j < n1:
        w0 = W[j]
        e0 = alpha * d[j]
        c0 = zero
        for k in range(n0):
            t0 = w0[k] + e0 * x[k]
            w0[k] = t0
            c0 += t0 * xn[k]
        R[j] = c0
        j += 1
    for j in range(n1):
        b[j] -= eta * d[j]


@jit
def fused_update_momentum(cx, d, x, xn, hp, n0, n1):
    """Momentum/L2 update of layer 1 fused with the next raw dot products, row by row."""
    W, b, V, Vb, R = cx.W1, cx.b1, cx.V1, cx.Vb1, cx.R
    eta, lam, mu = hp.eta, hp.lam, hp.mu
    zero = eta - eta
    for j in range(n1):
        w = W[j]
        v = V[j]
        dj = d[j]
        c0 = zero
        for k in range(n0):
            vk = mu * v[k] - eta * (dj * x[k] + lam * w[k])
            v[k] = vk
            t = w[k] + vk
            w[k] = t
            c0 += t * xn[k]
        R[j] = c0
        vb = mu * Vb[j] - eta * dj
        Vb[j] = vb
        b[j] += vb


LOOP = loop_of(step)  # the step loop of this path
