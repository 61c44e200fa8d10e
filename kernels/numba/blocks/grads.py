# mypy: allow-untyped-defs
"""Weight-gradient building blocks of the Numba kernel paths (``G = Dᵀ·A`` and ``Σ D``).

``grad_loops``: register-blocked sums (row pairs × 4-sample blocks), each finished row
optionally applied to the weights while in L1 (``apply_row``); ``grad_tiles``: the
register-tiled micro-kernels of :mod:`kernels.numba.blocks.microkernels` over strips of
``COLS`` columns; ``bias_grad``: the bias gradient.

Leaves out the forward pass, the output layer and the deltas pushed down
(:mod:`kernels.numba.blocks.dense`, :mod:`kernels.numba.blocks.vector`) and the update of
whole parameter ranges (:mod:`kernels.numba.blocks.update`).
"""

from __future__ import annotations

from typing import Any

from numba.extending import overload

from kernels.numba.blocks.microkernels import (
    COLS,
    TILE_ROWS,
    WIDE_COLS,
    grad_tile_1,
    grad_tile_6,
    grad_tile_6x32,
)
from kernels.numba.jit import jit
from kernels.paths import isa_class


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
def apply_row(g, w, v, n, mode, alpha, hp):
    """Weight-row update from its (L1-resident) gradient sums; mode 1 scale, 2 momentum
    (``hp``: :class:`kernels.numba.slots.Hyper`)."""
    eta, inv_m, lam, mu = hp.eta, hp.inv_m, hp.lam, hp.mu
    if mode == 1:
        for k in range(n):
            w[k] += alpha * g[k]
    elif mode == 2:
        for k in range(n):
            vk = mu * v[k] - eta * (g[k] * inv_m + lam * w[k])
            v[k] = vk
            w[k] += vk


@jit
def grad_loops(D, A, G, W, V, m, n_in, n_out, mode, alpha, hp):
    """``G = Dᵀ·A`` (sums over the m samples), row pairs × 4-sample blocks.

    With ``mode`` 1 or 2 each finished row pair is applied to the weights right away
    (see :func:`apply_row`), while its gradient is still in L1.
    """
    j = 0
    while j + 1 < n_out:
        _grad_pair(D, A, G[j], G[j + 1], j, m, n_in)
        if mode != 0:
            apply_row(G[j], W[j], V[j], n_in, mode, alpha, hp)
            apply_row(G[j + 1], W[j + 1], V[j + 1], n_in, mode, alpha, hp)
        j += 2
    if j < n_out:
        _grad_one(D, A, G[j], j, m, n_in)
        if mode != 0:
            apply_row(G[j], W[j], V[j], n_in, mode, alpha, hp)


def wide_tiles(dtype: Any) -> bool:
    """Whether gradient strips of ``dtype`` (numpy or Numba) are :data:`WIDE_COLS` wide:
    float32 on a target with AVX-512 (:func:`kernels.paths.isa_class`). A 6-row tile over
    16 float32 columns holds only 6 zmm accumulators there, too few to hide the FMA
    latency; 6 × 32 holds 12 of the 32 registers. AVX2 has 16: 6 × 32 float32 sums would
    be 24 ymm, so it keeps 6 × 16 (12 ymm)."""
    return str(dtype) == "float32" and isa_class() == "avx512"


def _tile_for(dtype: Any) -> tuple[int, Any]:
    """The strip width and the 6-row micro-kernel of ``dtype`` on this target
    (:func:`wide_tiles`): the one choice behind :func:`strip_cols` and :func:`tile6`."""
    return (WIDE_COLS, grad_tile_6x32) if wide_tiles(dtype) else (COLS, grad_tile_6)


def strip_cols(A: Any) -> int:
    """Columns per gradient strip for ``A``'s dtype on this target (:func:`wide_tiles`),
    a compile-time constant in compiled code."""
    return int(_tile_for(A.dtype)[0])


def tile6(D: Any, A: Any, rows: Any, r0: int, G: Any, j0: int, k0: int, m: int) -> None:
    """The 6-row gradient micro-kernel over :func:`strip_cols` columns, chosen at compile
    time (``grad_tile_6x32`` or ``grad_tile_6``)."""
    _tile_for(A.dtype)[1](D, A, rows, r0, G, j0, k0, m)


@overload(strip_cols)
def _strip_cols_typed(A):
    cols = _tile_for(A.dtype)[0]
    return lambda A: cols


@overload(tile6)
def _tile6_typed(D, A, rows, r0, G, j0, k0, m):
    tile = _tile_for(A.dtype)[1]
    return lambda D, A, rows, r0, G, j0, k0, m: tile(D, A, rows, r0, G, j0, k0, m)


@jit
def grad_tiles(D, A, rows, r0, G, m, n_in, n_out):
    """``G = Dᵀ·A`` with the register-tiled micro-kernels (``regtile`` path).

    Row ``s`` of the ``m × n_in`` operand is ``A[rows[r0 + s]]`` (the training inputs in
    place, or a slot's activations with ``rows`` the identity). Strips of
    :func:`strip_cols` columns (:data:`COLS` where the layer is narrower than that), each
    cut into tiles of ``TILE_ROWS`` rows (the last one overlapping its neighbour) summed
    over all ``m`` samples in registers and stored once; a strip of ``A`` (``m × cols``)
    stays in cache for all its row tiles. When every row starts at the same offset within
    a 64-byte line the strips start at a line boundary (no load splits two lines); the
    ragged first and last strips overlap their neighbours instead of running scalar loops
    (``G`` is set, not added to). Every column is the same sum over the samples, in the
    same order, in any strip and either tile width: the same bits. Layers narrower than
    ``COLS`` use plain loops (11× slower than a tile at 30 columns: only for those).
    """
    if n_in < COLS:
        _grad_cols(D, A, rows, r0, G, m, n_out, 0, n_in)
        return
    cols = strip_cols(A) if n_in >= strip_cols(A) else COLS
    it = A.itemsize
    head = 0  # columns before the first 64-byte line boundary, when every row shares it
    if (n_in * it) % 64 == 0 and A.ctypes.data % it == 0:
        head = ((64 - A.ctypes.data % 64) % 64) // it
    if head > 0:
        _grad_strip(D, A, rows, r0, G, m, n_out, 0, cols)
    k0 = head
    while k0 + cols <= n_in:
        _grad_strip(D, A, rows, r0, G, m, n_out, k0, cols)
        k0 += cols
    if k0 < n_in:
        _grad_strip(D, A, rows, r0, G, m, n_out, n_in - cols, cols)


@jit
def _grad_strip(D, A, rows, r0, G, m, n_out, k0, cols):
    """Columns ``k0 … k0+cols-1`` of :func:`grad_tiles` (``cols``: :func:`strip_cols`, or
    ``COLS`` in a layer narrower than that): tiles of ``TILE_ROWS`` rows; the ragged last
    rows by one more tile that overlaps the one before it (a row is summed the same way in
    either, so the rows computed twice get the same bits), or, in a layer of fewer rows
    than one tile, one row of ``COLS`` columns at a time."""
    if n_out < TILE_ROWS:
        for c in range(0, cols, COLS):
            for j in range(n_out):
                grad_tile_1(D, A, rows, r0, G, j, k0 + c, m)
        return
    j = 0
    while j < n_out:
        j0 = min(j, n_out - TILE_ROWS)
        if cols == COLS:
            grad_tile_6(D, A, rows, r0, G, j0, k0, m)
        else:
            tile6(D, A, rows, r0, G, j0, k0, m)
        j += TILE_ROWS


@jit
def _grad_cols(D, A, rows, r0, G, m, n_out, k_lo, k_hi):
    """Columns ``k_lo … k_hi-1`` of :func:`grad_tiles` with plain loops (narrow layers)."""
    zero = A[0, 0] - A[0, 0]
    for j in range(n_out):
        g = G[j]
        for k in range(k_lo, k_hi):
            g[k] = zero
        for s in range(m):
            p = D[s, j]
            a = A[rows[r0 + s]]
            for k in range(k_lo, k_hi):
                g[k] += p * a[k]


@jit
def bias_grad(D, gb, m, n_out):
    """``gb = Σ_s D[s]``: a layer's bias gradient, the deltas of its ``m`` samples summed."""
    for j in range(n_out):
        gb[j] = D[0, j]
    for s in range(1, m):
        dr = D[s]
        for j in range(n_out):
            gb[j] += dr[j]
