# mypy: allow-untyped-defs
"""Dense forward building blocks of the Numba kernel paths: register-blocked products.

``fwd_loops`` (4 samples × 4 rows register tiles, then pairs), ``fwd_rows`` (the same on
the training inputs read in place through the sample order, with software prefetch),
``dots4`` (one sample's raw dot products, 4 rows at a time), the batch ``gather`` and
``forward`` (the loops forward pass of one scratch slot); ``forward_tiles`` (the register
tiles' forward pass of the ``regtile`` paths and the evaluation) and ``first_on_wt``.

Leaves out activations and costs (:mod:`kernels.numba.blocks.scalar`,
:mod:`kernels.numba.blocks.vector`) and everything backward
(:mod:`kernels.numba.blocks.grads`).
"""

from __future__ import annotations

from typing import Any

from numba.extending import overload

from kernels.numba.blocks.microkernels import (
    COLS,
    TILE_ROWS,
    WIDE_COLS,
    fwd_tile_4x32,
    fwd_tile_6x32,
)
from kernels.numba.blocks.prefetch import prefetch_l2
from kernels.numba.blocks.vector import act_block, output_block, push_strip
from kernels.numba.jit import inline_jit, jit
from kernels.numba.slots import forward_views, output_views, padded, scratch
from kernels.paths import isa_class

COLS_MIN_BATCH = {4: 64, 8: 24}  # by element size: the smallest mini-batch whose first
# layer runs on Wᵀ (cols_first); break-even on Zen 5, one core, interleaved in one process:
# float32 0.80× at 16, 0.94× at 32, 0.97× at 48, 1.06–1.09× at 64; float64 0.88× at 12,
# 0.89–0.95× at 16, 1.02–1.09× at 24, 1.08–1.11× at 32


@jit
def fwd_loops(A, W, b, Z, sc, m, n_in, n_out):
    """``Z[s, j] = sc·(A[s]·W[j]) + b[j]``: 4 samples × 4 rows register tiles, then pairs.

    The 16 dot products of a tile are 16 vector accumulators over ``k`` (the loop
    vectoriser), so each ``W`` and ``A`` vector loaded feeds four FMAs.
    """
    s = 0
    while s + 3 < m:
        a0, a1, a2, a3 = A[s], A[s + 1], A[s + 2], A[s + 3]
        _fwd_quad((a0, a1, a2, a3), (a0, a1, a2, a3), False, W, b, Z, sc, s, n_in, n_out)
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
    the next four rows prefetched while four are multiplied
    (:mod:`kernels.numba.blocks.prefetch`)."""
    s = 0
    while s + 3 < m:
        r = pos + s
        a0 = X[order[r]]
        a1 = X[order[r + 1]]
        a2 = X[order[r + 2]]
        a3 = X[order[r + 3]]
        nx = r + 4 if r + 7 < order.shape[0] else r  # the next four rows (next block's too)
        nxt = (X[order[nx]], X[order[nx + 1]], X[order[nx + 2]], X[order[nx + 3]])
        _fwd_quad((a0, a1, a2, a3), nxt, True, W, b, Z, sc, s, n_in, n_out)
        s += 4
    while s < m:
        dots4(W, X[order[pos + s]], Z[s], n_in, n_out)
        for j in range(n_out):
            Z[s, j] = sc * Z[s, j] + b[j]
        s += 1


@jit
def _fwd_quad(rows, nxt, ahead, W, b, Z, sc, s, n_in, n_out):
    """Rows ``s … s+3`` of ``Z`` from the four input rows ``rows``: 4 × 4 tiles, then single
    rows.

    ``ahead``: prefetch the four rows ``nxt`` (the next inputs), a share of their cache
    lines before each tile, so the requests are spread over the quad's work.
    """
    a0, a1, a2, a3 = rows
    p0, p1, p2, p3 = nxt
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


@jit
def transpose_into(W, WT, n_in, n_out):
    """``WT[:, :n_out] = Wᵀ``, the columns after ``n_out`` zero (``WT``: ``n_in × cols``)."""
    zero = W[0, 0] - W[0, 0]
    for k in range(n_in):  # row by row of Wᵀ: its stores are contiguous (3× the other way)
        wt = WT[k]
        for j in range(n_out):
            wt[j] = W[j, k]
        for j in range(n_out, WT.shape[1]):
            wt[j] = zero


@jit
def fwd_cols(A, W, b, Z, sc, m, n_in, n_out, T):
    """``Z[s, j] = sc·(A[s]·W[j]) + b[j]`` by outer products on ``Wᵀ`` (made in the scratch
    ``T``): the register tiles of the deltas pushed down (:func:`push_strip`),
    4 samples × ``COLS`` outputs summed over ``k`` in registers, no horizontal sums.

    For the narrow inputs of the upper layers: there the dot products of
    :func:`fwd_loops` run mostly in their scalar remainder ([30 → 10], mini-batch 100,
    Zen 5: 8.0 µs there, 2.1 µs here).
    """
    cols = padded(n_out)
    WT = T[: n_in * cols].reshape((n_in, cols))
    transpose_into(W, WT, n_in, n_out)
    P = T[n_in * cols : (n_in + m) * cols].reshape((m, cols))
    for j in range(0, n_out, COLS):  # strips of COLS: the padding past them is not summed
        push_strip(A, WT, P, m, j, n_in)
    _bias_out(P, b, Z, sc, m, n_out)


def cols_first(X: Any, m: int) -> bool:
    """Whether a first-layer forward of ``m`` samples of ``X``'s dtype runs on the
    transposed weights (:func:`fwd_rows_cols`): on an AVX-512 target
    (:func:`kernels.paths.isa_class`), whose 32 vector registers hold the tiles' 12
    accumulators and their operands (AVX2 keeps :func:`fwd_rows`), and from ``COLS_MIN_BATCH``
    samples (by dtype), where the transpose of ``W`` each step (5 µs for [784 → 30] on
    Zen 5) costs less than the tiles save. Compile-time constants in compiled code but
    ``m``."""
    return isa_class() == "avx512" and m >= COLS_MIN_BATCH[X.dtype.itemsize]


@overload(cols_first)
def _cols_first_typed(X, m):
    least = COLS_MIN_BATCH[X.dtype.bitwidth // 8]
    if isa_class() == "avx512":
        return lambda X, m: m >= least
    return lambda X, m: False


def _fwd_tile_for(dtype: Any) -> tuple[int, Any]:
    """The rows (samples) and the forward tile of 32 outputs of ``dtype`` (numpy or
    Numba): 6 × 32 for float32 (12 zmm sums), 4 × 32 for float64 (16 zmm). Measured on
    Zen 5, one core, [784 → 30], float64: 6 × 32 106 GF/s, 4 × 32 102, 6 × 16 80 (two
    strips: twice the broadcasts), 3 × 32 90; 4 × 32 compiles in 1.6–2.4 s against
    2.1–3.2 s for 6 × 32."""
    return (6, fwd_tile_6x32) if str(dtype) == "float32" else (4, fwd_tile_4x32)


def fwd_rows_of(X: Any) -> int:
    """Samples per tile of :func:`fwd_rows_cols` for ``X``'s dtype (:func:`_fwd_tile_for`;
    a compile-time constant in compiled code)."""
    return int(_fwd_tile_for(X.dtype)[0])


def fwd_tile(A: Any, rows: Any, r0: int, WT: Any, P: Any, s0: int, j0: int, n: int) -> None:
    """The forward tile of ``A``'s dtype (:func:`_fwd_tile_for`), chosen at compile time."""
    _fwd_tile_for(A.dtype)[1](A, rows, r0, WT, P, s0, j0, n)


@overload(fwd_rows_of)
def _fwd_rows_typed(X):
    rows = _fwd_tile_for(X.dtype)[0]
    return lambda X: rows


@overload(fwd_tile)
def _fwd_tile_typed(A, rows, r0, WT, P, s0, j0, n):
    tile = _fwd_tile_for(A.dtype)[1]
    return lambda A, rows, r0, WT, P, s0, j0, n: tile(A, rows, r0, WT, P, s0, j0, n)


@jit
def fwd_rows_cols(X, order, pos, WT, T, b, Z, sc, m, n_in, n_out):
    """:func:`fwd_rows` by outer products on ``WT`` (``Wᵀ`` padded to ``T_COLS`` columns,
    made by the caller once per mini-batch): the tiles of :func:`fwd_tile` over
    :func:`fwd_rows_of` input rows ``X[order[pos + s]]`` × 32 outputs, the last tile
    overlapping its neighbour (a row is summed the same way in either); the products in the
    scratch ``T``. ``m`` is at least one tile (:data:`TILE_ROWS`). Layer 1 of
    [784, 30, 10], mini-batch 96, Zen 5, one core: float32 31 µs by :func:`fwd_rows`' dot
    products, 21 µs by the tiles; float64 72 and 44 µs."""
    cols = WT.shape[1]
    P = T[: m * cols].reshape((m, cols))
    rows = fwd_rows_of(X)
    for j in range(0, n_out, WIDE_COLS):
        s = 0
        while s < m:
            s0 = min(s, m - rows)
            fwd_tile(X, order, pos, WT, P, s0, j, n_in)
            s += rows
    _bias_out(P, b, Z, sc, m, n_out)


@jit
def _bias_out(P, b, Z, sc, m, n_out):
    """``Z[s, j] = sc·P[s, j] + b[j]`` for the first ``n_out`` columns of ``P``."""
    for s in range(m):
        p = P[s]
        z = Z[s]
        for j in range(n_out):
            z[j] = sc * p[j] + b[j]


@jit
def gather(X, order, pos, use_order, Xb, mc, n0):
    """``Xb[i] = X[order[pos + i]]`` (``use_order``) or ``X[pos + i]`` for ``i < mc``."""
    for i in range(mc):
        r = order[pos + i] if use_order else pos + i
        xr = X[r]
        xb = Xb[i]
        for k in range(n0):
            xb[k] = xr[k]


@jit
def forward(net, base, lay, mc, sc, hidden, one, vec):
    """Forward pass of the gathered rows of one slot; leaves output pre-activations in z.

    ``net``, ``lay``: :mod:`kernels.numba.slots`; ``vec``: the vectorised hidden sigmoid
    of :func:`act_block` (the ``regtile`` paths)."""
    sizes = lay.sizes
    L = sizes.shape[0] - 1
    for li in range(1, L + 1):
        v = forward_views(net, base, lay, li, mc)
        fwd_loops(v.A, v.W, v.b, v.Z, sc, mc, sizes[li - 1], sizes[li])  # beats np.dot
        if li < L:
            act_block(v.z, mc * sizes[li], hidden, one, vec)


@jit
def slot_forward(net, base, lay, data, pos, mc, sc, hidden, output, one, vec):
    """Gather ``order[pos:pos+mc]`` into the slot at ``base``, run :func:`forward` and the
    output layer; returns the summed cost (float64), the output deltas left in the slot."""
    L = lay.sizes.shape[0] - 1
    n0 = lay.sizes[0]
    a0 = forward_views(net, base, lay, 1, mc).A
    gather(data.X, data.order, pos, True, a0, mc, n0)
    forward(net, base, lay, mc, sc, hidden, one, vec)
    z, a, d = output_views(net.work, base, lay)
    return output_block(z, a, d, data.y, data.order, pos, mc, lay.sizes[L], output, one, vec)


@inline_jit
def first_on_wt(X, net, lay, m, base):
    """Whether a forward of up to ``m`` rows of ``X`` runs its first layer on ``Wᵀ``
    (:func:`cols_first`); if so, ``Wᵀ`` is written to the scratch of the slot at
    ``work[base:]``, once for all the calls of :func:`forward_tiles` until the weights
    change."""
    cols = cols_first(X, m)
    if cols:
        v = forward_views(net, base, lay, 1, 0)
        transpose_into(v.W, scratch(net, base, lay)[0], lay.sizes[0], lay.sizes[1])
    return cols


@inline_jit
def forward_tiles(net, base, lay, mc, sc, hidden, one, cols, src):
    """Forward pass of ``mc`` rows by register tiles in the slot at ``work[base:]``; leaves
    the output pre-activations in z. ``src``: ``(X, rows, r0)``, the inputs as rows
    ``X[rows[r0 + s]]``, read in place. The first layer by :func:`fwd_rows_cols` where
    ``cols`` (``Wᵀ`` ready in the slot's scratch: :func:`first_on_wt`) and at least one
    tile of rows, else :func:`fwd_rows`; the others by :func:`fwd_cols`; the hidden
    activations vectorised (:func:`act_block`)."""
    sizes = lay.sizes
    L = sizes.shape[0] - 1
    WT, T = scratch(net, base, lay)
    X, rows, r0 = src
    for li in range(1, L + 1):
        v = forward_views(net, base, lay, li, mc)
        if li > 1:
            fwd_cols(v.A, v.W, v.b, v.Z, sc, mc, sizes[li - 1], sizes[li], T)
        elif cols and mc >= TILE_ROWS:
            fwd_rows_cols(X, rows, r0, WT, T, v.b, v.Z, sc, mc, sizes[0], sizes[1])
        else:
            fwd_rows(X, rows, r0, v.W, v.b, v.Z, sc, mc, sizes[0], sizes[1])
        if li < L:
            act_block(v.z, mc * sizes[li], hidden, one, True)
