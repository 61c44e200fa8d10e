# mypy: allow-untyped-defs
"""The mini-batch-1 ``@njit`` path of the Numba backends (SGD with one sample per update).

``train_mb1`` runs the forward and backward pass of one sample at a time and fuses the
layer-1 weight update with the next sample's layer-1 dot products (``fused_update_scale``,
``fused_update_momentum``): one sweep over the big weight matrix per sample. With
``mu == 0`` it uses the weight decay trick of :mod:`kernels.numba_update`.

Leaves out batched training (:mod:`kernels.numba_backward`, :mod:`kernels.numba_update`) and
the dispatch by mini-batch size (:mod:`kernels.numba_serial`).
"""

from __future__ import annotations

from kernels.numba_forward import act, dact, dots4, output_row
from kernels.numba_layout import jit, param_offsets, slot_offsets
from kernels.numba_update import fold_scale, renorm_if_small, scale_mode


@jit
def train_mb1(
    params, velocity, work, sizes, X, y, order, start, n_steps, eta, lam, mu, hidden, output, one,
    renorm_below,
):  # fmt: skip
    """SGD with one sample per update; the layer-1 update is fused with the next forward.

    Returns ``(summed cost (float64), number of renormalisations of the weight scale)``.
    """
    L = sizes.shape[0] - 1
    po = param_offsets(sizes)
    so = slot_offsets(sizes, 1)
    n0 = sizes[0]
    n1 = sizes[1]
    zero = one - one
    c, use_scale = scale_mode(eta, lam, mu, one)
    s = one
    W1 = params[po[0] : po[0] + n1 * n0].reshape((n1, n0))
    b1 = params[po[1] : po[1] + n1]
    V1 = velocity[po[0] : po[0] + n1 * n0].reshape((n1, n0))
    Vb1 = velocity[po[1] : po[1] + n1]
    # raw layer-1 dot products land in a_1 (or z when there is no hidden layer)
    r_off = so[1] if L > 1 else so[2 * L + 1]
    R = work[r_off : r_off + n1]
    nL = sizes[L]
    z_out = work[so[2 * L + 1] : so[2 * L + 1] + nL]
    a_out = work[so[L] : so[L] + nL]
    d_out = work[so[2 * L] : so[2 * L] + nL]
    dots4(W1, X[order[start]], R, n0, n1)
    total = 0.0
    renorms = 0
    for i in range(n_steps):
        idx = order[start + i]
        x = X[idx]
        for j in range(n1):
            R[j] = s * R[j] + b1[j]
            if L > 1:
                R[j] = act(R[j], hidden, one)
        for li in range(1, L):
            n_in = sizes[li]
            n_out = sizes[li + 1]
            W = params[po[2 * li] : po[2 * li] + n_out * n_in].reshape((n_out, n_in))
            b = params[po[2 * li + 1] : po[2 * li + 1] + n_out]
            a_in = work[so[li] : so[li] + n_in]
            oz = so[2 * L + 1] if li == L - 1 else so[li + 1]
            zz = work[oz : oz + n_out]
            dots4(W, a_in, zz, n_in, n_out)
            for j in range(n_out):
                zz[j] = s * zz[j] + b[j]
                if li < L - 1:
                    zz[j] = act(zz[j], hidden, one)
        total += output_row(z_out, a_out, d_out, y[idx], nL, output, one, True)
        # deltas of the hidden layers (with the weights before the update)
        for li in range(L, 1, -1):
            n_in = sizes[li - 1]
            n_out = sizes[li]
            W = params[po[2 * (li - 1)] : po[2 * (li - 1)] + n_out * n_in].reshape((n_out, n_in))
            d = work[so[L + li] : so[L + li] + n_out]
            dp = work[so[L + li - 1] : so[L + li - 1] + n_in]
            a_in = work[so[li - 1] : so[li - 1] + n_in]
            for k in range(n_in):
                dp[k] = zero
            for j in range(n_out):
                dj = d[j]
                w = W[j]
                for k in range(n_in):
                    dp[k] += dj * w[k]
            for k in range(n_in):
                dp[k] = s * dp[k] * dact(a_in[k], hidden, one)
        s_new = s * c if use_scale else one
        alpha = -eta / s_new
        # update layers 2..L (small)
        for li in range(L, 1, -1):
            n_in = sizes[li - 1]
            n_out = sizes[li]
            wo = po[2 * (li - 1)]
            bo = po[2 * (li - 1) + 1]
            d = work[so[L + li] : so[L + li] + n_out]
            a_in = work[so[li - 1] : so[li - 1] + n_in]
            for j in range(n_out):
                dj = d[j]
                w = params[wo + j * n_in : wo + (j + 1) * n_in]
                if use_scale:
                    e = alpha * dj
                    for k in range(n_in):
                        w[k] += e * a_in[k]
                    params[bo + j] -= eta * dj
                else:
                    v = velocity[wo + j * n_in : wo + (j + 1) * n_in]
                    for k in range(n_in):
                        vk = mu * v[k] - eta * (dj * a_in[k] + lam * w[k])
                        v[k] = vk
                        w[k] += vk
                    vb = mu * velocity[bo + j] - eta * dj
                    velocity[bo + j] = vb
                    params[bo + j] += vb
        # layer 1: update fused with the next sample's raw dot products
        d1 = work[so[L + 1] : so[L + 1] + n1]
        xn = X[order[start + i + 1]] if i + 1 < n_steps else x
        if use_scale:
            fused_update_scale(W1, b1, d1, x, xn, R, alpha, eta, n0, n1)
        else:
            fused_update_momentum(W1, b1, V1, Vb1, d1, x, xn, R, eta, lam, mu, n0, n1)
        if s_new < renorm_below:  # the fused dot products R hold the scaled weights' too
            for j in range(n1):
                R[j] *= s_new
        s, folded = renorm_if_small(params, po, sizes, s_new, renorm_below, one)
        renorms += folded
    fold_scale(params, po, sizes, s, one)
    return total, renorms


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
def fused_update_momentum(W, b, V, Vb, d, x, xn, R, eta, lam, mu, n0, n1):
    """Momentum/L2 update of layer 1 fused with the next raw dot products, row by row."""
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
