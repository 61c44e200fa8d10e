# mypy: allow-untyped-defs
"""Forward ``@njit`` kernels of the Numba backends: activations, dense forward blocks, costs.

Scalar activations (``sigmoid``, ``act`` and the derivative ``dact``, taken at the
activation), the register-blocked dense products (``fwd_loops``, ``dots4``), the batch
gather and forward pass over one scratch slot, the output layer's activations, cost and
delta (``output_row``), and the evaluation of a block of rows (``eval_rows``).

Leaves out the backward pass and gradient sums (:mod:`kernels.numba_backward`), parameter
updates (:mod:`kernels.numba_update`, :mod:`kernels.numba_mb1`) and the slot layout
(:mod:`kernels.numba_layout`).
"""

from __future__ import annotations

import math

from kernels.layout import CROSS_ENTROPY, LOG_LIKELIHOOD, QUADRATIC, SIGMOID, TANH
from kernels.numba_layout import jit, vec_jit
from kernels.numba_prefetch import prefetch_l2
from kernels.numba_vecmath import exp_neg

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


# --------------------------------------------------------------------------- dense blocks


@jit
def fwd_loops(A, W, b, Z, sc, m, n_in, n_out):
    """``Z[s, j] = sc·(A[s]·W[j]) + b[j]``: 4 samples × 4 rows register tiles, then pairs.

    The 16 dot products of a tile are 16 vector accumulators over ``k`` (the loop
    vectoriser), so each ``W`` and ``A`` vector loaded feeds four FMAs.
    """
    s = 0
    while s + 3 < m:
        a0, a1, a2, a3 = A[s], A[s + 1], A[s + 2], A[s + 3]
        _fwd_quad(a0, a1, a2, a3, W, b, Z, sc, s, n_in, n_out, False, a0, a1, a2, a3)
        s += 4
    while s + 1 < m:
        _fwd_pair(A, W, b, Z, sc, s, n_in, n_out)
        s += 2
    if s < m:
        dots4(W, A[s], Z[s], n_in, n_out)
        for j in range(n_out):
            Z[s, j] = sc * Z[s, j] + b[j]


@jit
def fwd_rows(X, order, pos, W, b, Z, sc, m, n_in, n_out):
    """:func:`fwd_loops` of the inputs ``X[order[pos + s]]`` read in place (no gathered copy),
    the next four rows prefetched while four are multiplied (:mod:`kernels.numba_prefetch`)."""
    s = 0
    while s + 3 < m:
        r = pos + s
        a0 = X[order[r]]
        a1 = X[order[r + 1]]
        a2 = X[order[r + 2]]
        a3 = X[order[r + 3]]
        nx = r + 4 if r + 7 < order.shape[0] else r  # the next four rows (next block's too)
        _fwd_quad(a0, a1, a2, a3, W, b, Z, sc, s, n_in, n_out, True, X[order[nx]],
                  X[order[nx + 1]], X[order[nx + 2]], X[order[nx + 3]])  # fmt: skip
        s += 4
    while s < m:
        dots4(W, X[order[pos + s]], Z[s], n_in, n_out)
        for j in range(n_out):
            Z[s, j] = sc * Z[s, j] + b[j]
        s += 1


@jit
def _fwd_quad(a0, a1, a2, a3, W, b, Z, sc, s, n_in, n_out, ahead, p0, p1, p2, p3):
    """Rows ``s … s+3`` of ``Z`` from the inputs ``a0 … a3``: 4 × 4 tiles, then single rows.

    ``ahead``: prefetch the rows ``p0 … p3`` (the next four inputs), a share of their cache
    lines before each tile, so the requests are spread over the quad's work.
    """
    zero = sc - sc
    j = 0
    step = max(64 // a0.itemsize, 1)  # elements per 64-byte line
    tiles = max(n_out // 4, 1)
    chunk = ((n_in + step - 1) // step + tiles - 1) // tiles * step
    while j + 3 < n_out:
        lo = (j // 4) * chunk if ahead else n_in
        for k in range(lo, min(lo + chunk, n_in), step):
            prefetch_l2(p0, k)
            prefetch_l2(p1, k)
            prefetch_l2(p2, k)
            prefetch_l2(p3, k)
        w0 = W[j]
        w1 = W[j + 1]
        w2 = W[j + 2]
        w3 = W[j + 3]
        c00 = c01 = c02 = c03 = c10 = c11 = c12 = c13 = zero
        c20 = c21 = c22 = c23 = c30 = c31 = c32 = c33 = zero
        for k in range(n_in):
            v0 = w0[k]
            v1 = w1[k]
            v2 = w2[k]
            v3 = w3[k]
            x = a0[k]
            c00 += v0 * x
            c01 += v1 * x
            c02 += v2 * x
            c03 += v3 * x
            x = a1[k]
            c10 += v0 * x
            c11 += v1 * x
            c12 += v2 * x
            c13 += v3 * x
            x = a2[k]
            c20 += v0 * x
            c21 += v1 * x
            c22 += v2 * x
            c23 += v3 * x
            x = a3[k]
            c30 += v0 * x
            c31 += v1 * x
            c32 += v2 * x
            c33 += v3 * x
        _put4(Z[s], b, sc, j, c00, c01, c02, c03)
        _put4(Z[s + 1], b, sc, j, c10, c11, c12, c13)
        _put4(Z[s + 2], b, sc, j, c20, c21, c22, c23)
        _put4(Z[s + 3], b, sc, j, c30, c31, c32, c33)
        j += 4
    while j < n_out:
        w0 = W[j]
        c00 = c10 = c20 = c30 = zero
        for k in range(n_in):
            v0 = w0[k]
            c00 += v0 * a0[k]
            c10 += v0 * a1[k]
            c20 += v0 * a2[k]
            c30 += v0 * a3[k]
        Z[s, j] = sc * c00 + b[j]
        Z[s + 1, j] = sc * c10 + b[j]
        Z[s + 2, j] = sc * c20 + b[j]
        Z[s + 3, j] = sc * c30 + b[j]
        j += 1


@jit
def _put4(z, b, sc, j, c0, c1, c2, c3):
    z[j] = sc * c0 + b[j]
    z[j + 1] = sc * c1 + b[j + 1]
    z[j + 2] = sc * c2 + b[j + 2]
    z[j + 3] = sc * c3 + b[j + 3]


@jit
def _fwd_pair(A, W, b, Z, sc, s, n_in, n_out):
    """Rows ``s``, ``s+1`` of ``fwd_loops``: 2 samples × 4 rows, single rows at the end."""
    zero = sc - sc
    a0 = A[s]
    a1 = A[s + 1]
    j = 0
    while j + 3 < n_out:
        w0 = W[j]
        w1 = W[j + 1]
        w2 = W[j + 2]
        w3 = W[j + 3]
        c00 = c01 = c02 = c03 = c10 = c11 = c12 = c13 = zero
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
        _put4(Z[s], b, sc, j, c00, c01, c02, c03)
        _put4(Z[s + 1], b, sc, j, c10, c11, c12, c13)
        j += 4
    while j < n_out:
        w0 = W[j]
        c00 = c10 = zero
        for k in range(n_in):
            c00 += w0[k] * a0[k]
            c10 += w0[k] * a1[k]
        Z[s, j] = sc * c00 + b[j]
        Z[s + 1, j] = sc * c10 + b[j]
        j += 1


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
def forward(params, work, base, so, po, sizes, mc, sc, hidden, one, blas_from, vec):
    """Forward pass of the gathered rows of one slot; leaves output pre-activations in z.

    ``vec``: the vectorised hidden sigmoid of :func:`act_block` (the ``regtile`` paths)."""
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
            act_block(work[o : o + mc * n_out], mc * n_out, hidden, one, vec)


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
            e = math.exp(-abs(zj))  # one exp for σ(z) and the softplus of the cost
            aj = one / (one + e) if zj >= 0 else e / (one + e)
            a[j] = aj
            t = one if j == label else zero
            if output == CROSS_ENTROPY:
                cost += (zj if zj > 0 else zero) + math.log1p(e) - t * zj
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


# --------------------------------------------------------------------------- evaluation


@jit
def eval_rows(params, work, base, so, po, sizes, X, y, r0, mc, hidden, output, one, blas_from):
    """Forward ``mc`` rows from ``r0`` in the slot at ``base``; returns (correct, cost sum)."""
    L = sizes.shape[0] - 1
    n0 = sizes[0]
    nL = sizes[L]
    o = base + so[0]
    gather(X, y, r0, False, work[o : o + mc * n0].reshape((mc, n0)), mc, n0)
    forward(params, work, base, so, po, sizes, mc, one, hidden, one, blas_from, False)
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
