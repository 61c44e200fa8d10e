# mypy: allow-untyped-defs
"""Shared ``@njit`` building blocks of the Numba backends.

Layout of one scratch *slot* (capacity ``cap`` samples), carved from the ``work`` array:

* ``a_0 … a_L``: activations, ``cap × n_l`` each (``a_0`` is the gathered input batch);
* ``d_1 … d_L``: deltas, ``cap × n_l`` each;
* ``z``: output pre-activations, ``cap × n_L``;
* ``g``: gradient sums in the flat parameter layout.

Kernels are written for any float dtype: every constant is derived from the ``one`` argument
(a scalar of the params' dtype), so float32 paths never promote to float64.

Weight decay trick (``mu == 0``): the weights are kept as ``s·W'`` with one global scalar
``s``; the decay ``W ← c·W`` (``c = 1 − η·λ/n``) becomes ``s ← c·s`` and the gradient step a
single FMA per weight. ``s`` is folded back into the weights before returning (and whenever
it gets small), so callers only ever see plain parameters.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.linalg.cython_blas  # noqa: F401  (load the BLAS numba calls, so threadpoolctl sees it)
from numba import njit

# No nnan/ninf: sigmoid/softplus rely on exp overflowing to inf.
FASTMATH: set[str] = {"reassoc", "contract", "nsz", "arcp"}
jit = njit(cache=True, nogil=True, fastmath=FASTMATH)
"""The decorator of every serial kernel."""

SIGMOID, TANH, RELU = 0, 1, 2
CROSS_ENTROPY, QUADRATIC, LOG_LIKELIHOOD = 0, 1, 2

RENORM_BELOW = 2.0**-10  # fold the weight scale back when it drops below this
USE_BLAS_FROM = 128  # batch (per thread chunk) from which the gradient GEMM uses np.dot (BLAS)


def slot_size(sizes: object, cap: int) -> int:
    """Elements of one scratch slot for ``cap`` samples (pure Python)."""
    s = [int(v) for v in sizes]  # type: ignore[attr-defined]
    if len(s) < 2:
        raise ValueError("sizes needs at least two layers")
    n_par = sum(s[i + 1] * s[i] + s[i + 1] for i in range(len(s) - 1))
    return cap * (s[0] + 2 * sum(s[1:]) + s[-1]) + n_par


def check_work(work: np.ndarray, need: int, what: str) -> None:
    """Raise ``ValueError`` when ``work`` is too small (never write out of bounds)."""
    if work.ndim != 1 or work.shape[0] < need:
        raise ValueError(
            f"work array too small for {what}: need at least {need} elements "
            f"(workspace_size), got {work.size}"
        )


# --------------------------------------------------------------------------- layout


@jit
def param_offsets(sizes):
    """``po[2l]``: weight offset of layer li+1, ``po[2l+1]``: its bias offset."""
    L = sizes.shape[0] - 1
    po = np.empty(2 * L + 1, np.int64)
    pos = 0
    for li in range(L):
        po[2 * li] = pos
        pos += sizes[li + 1] * sizes[li]
        po[2 * li + 1] = pos
        pos += sizes[li + 1]
    po[2 * L] = pos
    return po


@jit
def slot_offsets(sizes, cap):
    """Offsets in a slot: a_0..a_L at [0..L], d_l at [L+li], z at 2L+1, g at 2L+2, size 2L+3."""
    L = sizes.shape[0] - 1
    so = np.empty(2 * L + 4, np.int64)
    pos = 0
    for li in range(L + 1):
        so[li] = pos
        pos += cap * sizes[li]
    for li in range(1, L + 1):
        so[L + li] = pos
        pos += cap * sizes[li]
    so[2 * L + 1] = pos
    pos += cap * sizes[L]
    so[2 * L + 2] = pos
    for li in range(L):
        pos += sizes[li + 1] * sizes[li] + sizes[li + 1]
    so[2 * L + 3] = pos
    return so


# --------------------------------------------------------------------------- scalars


@jit
def sigmoid(z, one):
    if z >= 0:
        return one / (one + math.exp(-z))
    e = math.exp(z)
    return e / (one + e)


@jit
def act(z, hidden, one):
    if hidden == SIGMOID:
        return sigmoid(z, one)
    if hidden == TANH:
        return math.tanh(z)
    return z if z > 0 else one - one


@jit
def dact(a, hidden, one):
    if hidden == SIGMOID:
        return a * (one - a)
    if hidden == TANH:
        return one - a * a
    return one if a > 0 else one - one


# --------------------------------------------------------------------------- dense blocks


@jit
def fwd_loops(A, W, b, Z, sc, m, n_in, n_out):
    """``Z[s, j] = sc·(A[s]·W[j]) + b[j]``; 2 samples × 4 rows register blocking."""
    zero = sc - sc
    s = 0
    while s + 1 < m:
        a0 = A[s]
        a1 = A[s + 1]
        j = 0
        while j + 3 < n_out:
            w0 = W[j]
            w1 = W[j + 1]
            w2 = W[j + 2]
            w3 = W[j + 3]
            c00 = zero
            c01 = zero
            c02 = zero
            c03 = zero
            c10 = zero
            c11 = zero
            c12 = zero
            c13 = zero
            for k in range(n_in):
                x0 = a0[k]
                x1 = a1[k]
                c00 += w0[k] * x0
                c01 += w1[k] * x0
                c02 += w2[k] * x0
                c03 += w3[k] * x0
                c10 += w0[k] * x1
                c11 += w1[k] * x1
                c12 += w2[k] * x1
                c13 += w3[k] * x1
            Z[s, j] = sc * c00 + b[j]
            Z[s, j + 1] = sc * c01 + b[j + 1]
            Z[s, j + 2] = sc * c02 + b[j + 2]
            Z[s, j + 3] = sc * c03 + b[j + 3]
            Z[s + 1, j] = sc * c10 + b[j]
            Z[s + 1, j + 1] = sc * c11 + b[j + 1]
            Z[s + 1, j + 2] = sc * c12 + b[j + 2]
            Z[s + 1, j + 3] = sc * c13 + b[j + 3]
            j += 4
        while j < n_out:
            w0 = W[j]
            c00 = zero
            c10 = zero
            for k in range(n_in):
                c00 += w0[k] * a0[k]
                c10 += w0[k] * a1[k]
            Z[s, j] = sc * c00 + b[j]
            Z[s + 1, j] = sc * c10 + b[j]
            j += 1
        s += 2
    if s < m:
        a0 = A[s]
        dots4(W, a0, Z[s], n_in, n_out)
        for j in range(n_out):
            Z[s, j] = sc * Z[s, j] + b[j]


@jit
def dots4(W, x, out, n_in, n_out):
    """``out[j] = W[j]·x`` (raw dot products), 4 rows at a time."""
    zero = x[0] - x[0]
    j = 0
    while j + 3 < n_out:
        w0 = W[j]
        w1 = W[j + 1]
        w2 = W[j + 2]
        w3 = W[j + 3]
        c0 = zero
        c1 = zero
        c2 = zero
        c3 = zero
        for k in range(n_in):
            xk = x[k]
            c0 += w0[k] * xk
            c1 += w1[k] * xk
            c2 += w2[k] * xk
            c3 += w3[k] * xk
        out[j] = c0
        out[j + 1] = c1
        out[j + 2] = c2
        out[j + 3] = c3
        j += 4
    while j < n_out:
        w0 = W[j]
        c0 = zero
        for k in range(n_in):
            c0 += w0[k] * x[k]
        out[j] = c0
        j += 1


@jit
def _grad_pair(D, A, g0, g1, j, m, n_in):
    """``g0 = Σ_s D[s,j]·A[s]``, ``g1 = Σ_s D[s,j+1]·A[s]``: 2 rows × 4 samples per sweep."""
    s = 0
    first = True
    while s + 3 < m:
        p0 = D[s, j]
        p1 = D[s + 1, j]
        p2 = D[s + 2, j]
        p3 = D[s + 3, j]
        q0 = D[s, j + 1]
        q1 = D[s + 1, j + 1]
        q2 = D[s + 2, j + 1]
        q3 = D[s + 3, j + 1]
        a0 = A[s]
        a1 = A[s + 1]
        a2 = A[s + 2]
        a3 = A[s + 3]
        if first:
            for k in range(n_in):
                x0 = a0[k]
                x1 = a1[k]
                x2 = a2[k]
                x3 = a3[k]
                g0[k] = p0 * x0 + p1 * x1 + p2 * x2 + p3 * x3
                g1[k] = q0 * x0 + q1 * x1 + q2 * x2 + q3 * x3
        else:
            for k in range(n_in):
                x0 = a0[k]
                x1 = a1[k]
                x2 = a2[k]
                x3 = a3[k]
                g0[k] += p0 * x0 + p1 * x1 + p2 * x2 + p3 * x3
                g1[k] += q0 * x0 + q1 * x1 + q2 * x2 + q3 * x3
        first = False
        s += 4
    while s < m:
        p0 = D[s, j]
        q0 = D[s, j + 1]
        a0 = A[s]
        if first:
            for k in range(n_in):
                g0[k] = p0 * a0[k]
                g1[k] = q0 * a0[k]
        else:
            for k in range(n_in):
                g0[k] += p0 * a0[k]
                g1[k] += q0 * a0[k]
        first = False
        s += 1


@jit
def _grad_one(D, A, g0, j, m, n_in):
    s = 0
    first = True
    while s + 3 < m:
        p0 = D[s, j]
        p1 = D[s + 1, j]
        p2 = D[s + 2, j]
        p3 = D[s + 3, j]
        a0 = A[s]
        a1 = A[s + 1]
        a2 = A[s + 2]
        a3 = A[s + 3]
        if first:
            for k in range(n_in):
                g0[k] = p0 * a0[k] + p1 * a1[k] + p2 * a2[k] + p3 * a3[k]
        else:
            for k in range(n_in):
                g0[k] += p0 * a0[k] + p1 * a1[k] + p2 * a2[k] + p3 * a3[k]
        first = False
        s += 4
    while s < m:
        p0 = D[s, j]
        a0 = A[s]
        if first:
            for k in range(n_in):
                g0[k] = p0 * a0[k]
        else:
            for k in range(n_in):
                g0[k] += p0 * a0[k]
        first = False
        s += 1


@jit
def _apply_row(g, w, v, n, mode, alpha, eta, inv_m, lam, mu):
    """Weight-row update from its (L1-resident) gradient sums; mode 1 scale, 2 momentum."""
    if mode == 1:
        for k in range(n):
            w[k] += alpha * g[k]
    elif mode == 2:
        for k in range(n):
            vk = mu * v[k] - eta * (g[k] * inv_m + lam * w[k])
            v[k] = vk
            w[k] += vk


@jit
def grad_loops(D, A, G, W, V, m, n_in, n_out, mode, alpha, eta, inv_m, lam, mu):
    """``G = Dᵀ·A`` (sums over the m samples), row pairs × 4-sample blocks.

    With ``mode`` 1 or 2 each finished row pair is applied to the weights right away
    (see ``_apply_row``), while its gradient is still in L1.
    """
    j = 0
    while j + 1 < n_out:
        _grad_pair(D, A, G[j], G[j + 1], j, m, n_in)
        if mode != 0:
            _apply_row(G[j], W[j], V[j], n_in, mode, alpha, eta, inv_m, lam, mu)
            _apply_row(G[j + 1], W[j + 1], V[j + 1], n_in, mode, alpha, eta, inv_m, lam, mu)
        j += 2
    if j < n_out:
        _grad_one(D, A, G[j], j, m, n_in)
        if mode != 0:
            _apply_row(G[j], W[j], V[j], n_in, mode, alpha, eta, inv_m, lam, mu)


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


# --------------------------------------------------------------------------- batch passes


@jit
def gather(X, order, pos, use_order, Xb, mc, n0):
    for i in range(mc):
        r = order[pos + i] if use_order else pos + i
        xr = X[r]
        xb = Xb[i]
        for k in range(n0):
            xb[k] = xr[k]


@jit
def forward(params, work, base, so, po, sizes, mc, sc, hidden, one, blas_from):
    """Forward pass of the gathered rows of one slot; leaves output pre-activations in z."""
    L = sizes.shape[0] - 1
    for li in range(L):
        n_in = sizes[li]
        n_out = sizes[li + 1]
        o = base + so[li]
        A = work[o : o + mc * n_in].reshape((mc, n_in))
        W = params[po[2 * li] : po[2 * li] + n_out * n_in].reshape((n_out, n_in))
        b = params[po[2 * li + 1] : po[2 * li + 1] + n_out]
        o = base + (so[2 * L + 1] if li == L - 1 else so[li + 1])
        Z = work[o : o + mc * n_out].reshape((mc, n_out))
        fwd_loops(A, W, b, Z, sc, mc, n_in, n_out)  # beats np.dot at every batch size
        if li < L - 1:
            for s in range(mc):
                zr = Z[s]
                for j in range(n_out):
                    zr[j] = act(zr[j], hidden, one)


@jit
def output_row(z, a, d, label, n, output, one, want_delta):
    """Output activations into ``a`` (and delta into ``d``); returns the sample's cost."""
    zero = one - one
    cost = zero
    if output == LOG_LIKELIHOOD:
        mx = z[0]
        for j in range(1, n):
            if z[j] > mx:
                mx = z[j]
        tot = zero
        for j in range(n):
            e = math.exp(z[j] - mx)
            a[j] = e
            tot += e
        for j in range(n):
            a[j] = a[j] / tot
        cost = mx + math.log(tot) - z[label]
    else:
        for j in range(n):
            zj = z[j]
            aj = sigmoid(zj, one)
            a[j] = aj
            t = one if j == label else zero
            if output == CROSS_ENTROPY:
                sp = (zj if zj > 0 else zero) + math.log1p(math.exp(-abs(zj)))
                cost += sp - t * zj
            else:
                cost += (aj - t) * (aj - t)
        if output == QUADRATIC:
            cost = cost * (one / (one + one))
    if want_delta:
        for j in range(n):
            dj = a[j] - (one if j == label else zero)
            if output == QUADRATIC:
                dj = dj * a[j] * (one - a[j])
            d[j] = dj
    return cost


@jit
def batch_grad(
    params,
    velocity,
    work,
    base,
    so,
    po,
    sizes,
    X,
    y,
    order,
    pos,
    mc,
    sc,
    hidden,
    output,
    one,
    blas_from,
    mode,
    alpha,
    eta,
    inv_m,
    lam,
    mu,
):
    """Forward + backward over ``mc`` samples ``order[pos:pos+mc]`` in the slot at ``base``.

    Leaves the summed gradient (not yet divided by the batch size) in the slot's g and
    returns the summed cost (float64). ``mode`` 1 (scale: ``w += alpha·g``) or 2 (momentum)
    also applies the weight updates as soon as each gradient row is complete (serial only;
    biases are left to the caller); ``mode`` 0 only accumulates.
    """
    L = sizes.shape[0] - 1
    n0 = sizes[0]
    nL = sizes[L]
    o = base + so[0]
    gather(X, order, pos, True, work[o : o + mc * n0].reshape((mc, n0)), mc, n0)
    forward(params, work, base, so, po, sizes, mc, sc, hidden, one, blas_from)
    oz = base + so[2 * L + 1]
    oa = base + so[L]
    od = base + so[2 * L]
    cost = 0.0
    for s in range(mc):
        r = s * nL
        cost += output_row(
            work[oz + r : oz + r + nL],
            work[oa + r : oa + r + nL],
            work[od + r : od + r + nL],
            y[order[pos + s]],
            nL,
            output,
            one,
            True,
        )
    og = base + so[2 * L + 2]
    for li in range(L, 0, -1):
        n_in = sizes[li - 1]
        n_out = sizes[li]
        o = base + so[L + li]
        D = work[o : o + mc * n_out].reshape((mc, n_out))
        o = base + so[li - 1]
        A = work[o : o + mc * n_in].reshape((mc, n_in))
        wo = po[2 * (li - 1)]
        bo = po[2 * (li - 1) + 1]
        G = work[og + wo : og + wo + n_out * n_in].reshape((n_out, n_in))
        gb = work[og + bo : og + bo + n_out]
        W = params[wo : wo + n_out * n_in].reshape((n_out, n_in))
        V = velocity[wo : wo + n_out * n_in].reshape((n_out, n_in))
        if li > 1:  # push the deltas down first: the weights may be updated below
            o = base + so[L + li - 1]
            Dp = work[o : o + mc * n_in].reshape((mc, n_in))
            if mc >= blas_from:
                np.dot(D, W, Dp)
            else:
                bwd_loops(D, W, Dp, mc, n_in, n_out)
            for s in range(mc):
                dp = Dp[s]
                ar = A[s]
                for k in range(n_in):
                    dp[k] = sc * dp[k] * dact(ar[k], hidden, one)
        if mc >= blas_from:
            np.dot(D.T, A, G)
            if mode != 0:
                for j in range(n_out):
                    _apply_row(G[j], W[j], V[j], n_in, mode, alpha, eta, inv_m, lam, mu)
        else:
            grad_loops(D, A, G, W, V, mc, n_in, n_out, mode, alpha, eta, inv_m, lam, mu)
        for j in range(n_out):
            gb[j] = D[0, j]
        for s in range(1, mc):
            dr = D[s]
            for j in range(n_out):
                gb[j] += dr[j]
    return cost


@jit
def update_range(
    params,
    velocity,
    work,
    g_first,
    g_stride,
    n_slots,
    lo,
    hi,
    weight,
    alpha,
    eta,
    inv_m,
    lam,
    mu,
    use_scale,
):
    """Update ``params[lo:hi]`` from the gradient sums of ``n_slots`` slots.

    Scale mode: ``p += alpha·g``. Momentum mode: ``v ← μv − η(g/m + λ·w)``, ``w ← w + v``.
    """
    if n_slots == 1:
        g = work[g_first + lo : g_first + hi]
        if use_scale:
            p = params[lo:hi]
            for i in range(hi - lo):
                p[i] += alpha * g[i]
        else:
            p = params[lo:hi]
            v = velocity[lo:hi]
            if weight:
                for i in range(hi - lo):
                    vi = mu * v[i] - eta * (g[i] * inv_m + lam * p[i])
                    v[i] = vi
                    p[i] += vi
            else:
                for i in range(hi - lo):
                    vi = mu * v[i] - eta * (g[i] * inv_m)
                    v[i] = vi
                    p[i] += vi
        return
    for i in range(lo, hi):
        gi = work[g_first + i]
        for t in range(1, n_slots):
            gi += work[g_first + t * g_stride + i]
        if use_scale:
            params[i] += alpha * gi
        elif weight:
            vi = mu * velocity[i] - eta * (gi * inv_m + lam * params[i])
            velocity[i] = vi
            params[i] += vi
        else:
            vi = mu * velocity[i] - eta * (gi * inv_m)
            velocity[i] = vi
            params[i] += vi


@jit
def rescale_weights(params, po, sizes, s):
    """Fold the scale back: weights ← s·weights (biases are never scaled)."""
    L = sizes.shape[0] - 1
    for li in range(L):
        lo = po[2 * li]
        hi = po[2 * li + 1]
        for i in range(lo, hi):
            params[i] *= s


# --------------------------------------------------------------------------- mini-batch 1


@jit
def train_mb1(
    params, velocity, work, sizes, X, y, order, start, n_steps, eta, lam, mu, hidden, output, one
):
    """SGD with one sample per update; the layer-1 update is fused with the next forward.

    Returns the summed cost (float64).
    """
    L = sizes.shape[0] - 1
    po = param_offsets(sizes)
    so = slot_offsets(sizes, 1)
    n0 = sizes[0]
    n1 = sizes[1]
    zero = one - one
    c = one - eta * lam
    use_scale = mu == zero and c > one / (one + one)
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
        s = s_new
        if s < RENORM_BELOW:
            rescale_weights(params, po, sizes, s)
            for j in range(n1):
                R[j] *= s
            s = one
    if s != one:
        rescale_weights(params, po, sizes, s)
    return total


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


# --------------------------------------------------------------------------- evaluation


@jit
def eval_rows(params, work, base, so, po, sizes, X, y, r0, mc, hidden, output, one, blas_from):
    """Forward ``mc`` rows from ``r0`` in the slot at ``base``; returns (correct, cost sum)."""
    L = sizes.shape[0] - 1
    n0 = sizes[0]
    nL = sizes[L]
    o = base + so[0]
    gather(X, y, r0, False, work[o : o + mc * n0].reshape((mc, n0)), mc, n0)
    forward(params, work, base, so, po, sizes, mc, one, hidden, one, blas_from)
    oz = base + so[2 * L + 1]
    oa = base + so[L]
    cost = 0.0
    correct = 0
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
