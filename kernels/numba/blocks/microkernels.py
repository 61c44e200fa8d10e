# mypy: allow-untyped-defs
"""Register-tiled micro-kernels of the ``regtile`` paths (generated: do not edit).

Written by ``scripts/gen_microkernels.py``; edit that script and rerun it.
``grad_tile_R(D, A, rows, r0, G, j0, k0, m)`` sets ``G[j0:j0+R, k0:k0+16]`` to
``Σ_s D[s, j0:j0+R]ᵀ · A[rows[r0+s], k0:k0+16]`` over the ``m`` rows of ``D``
(``m × n_out``) and the rows ``rows[r0:r0+m]`` of ``A`` (the training inputs, read in place
through the shuffled order, or a slot's activations with ``rows`` the identity): the
``R × 16`` sums stay in registers for the whole sample loop
(SLP-vectorised: :func:`kernels.numba.jit.tile_jit` says how).
``push_tile_R(D, W, P, s0, k0, n)`` sets ``P[s0:s0+R, k0:k0+16]`` to
``D[s0:s0+R, :n]·W[:n, k0:k0+16]`` (deltas pushed one layer down) the same way.
"""

from __future__ import annotations

from kernels.numba.jit import tile_jit

COLS = 16
TILE_ROWS = 6


@tile_jit
def grad_tile_1(D, A, rows, r0, G, j0, k0, m):
    """``G[j0:j0+1, k0:k0+16] = Σ_s D[s, j0:j0+1]ᵀ·A[rows[r0+s], k0:k0+16]``"""
    zero = A[0, 0] - A[0, 0]
    c0_0 = zero; c0_1 = zero; c0_2 = zero; c0_3 = zero; c0_4 = zero; c0_5 = zero; c0_6 = zero; c0_7 = zero; c0_8 = zero; c0_9 = zero; c0_10 = zero; c0_11 = zero; c0_12 = zero; c0_13 = zero; c0_14 = zero; c0_15 = zero
    for s in range(m):
        a = A[rows[r0 + s], k0 : k0 + 16]
        d = D[s, j0 : j0 + 1]
        x0 = a[0]; x1 = a[1]; x2 = a[2]; x3 = a[3]; x4 = a[4]; x5 = a[5]; x6 = a[6]; x7 = a[7]; x8 = a[8]; x9 = a[9]; x10 = a[10]; x11 = a[11]; x12 = a[12]; x13 = a[13]; x14 = a[14]; x15 = a[15]
        p = d[0]
        c0_0 += p * x0; c0_1 += p * x1; c0_2 += p * x2; c0_3 += p * x3; c0_4 += p * x4; c0_5 += p * x5; c0_6 += p * x6; c0_7 += p * x7; c0_8 += p * x8; c0_9 += p * x9; c0_10 += p * x10; c0_11 += p * x11; c0_12 += p * x12; c0_13 += p * x13; c0_14 += p * x14; c0_15 += p * x15
    g = G[j0 + 0, k0 : k0 + 16]
    g[0] = c0_0; g[1] = c0_1; g[2] = c0_2; g[3] = c0_3; g[4] = c0_4; g[5] = c0_5; g[6] = c0_6; g[7] = c0_7; g[8] = c0_8; g[9] = c0_9; g[10] = c0_10; g[11] = c0_11; g[12] = c0_12; g[13] = c0_13; g[14] = c0_14; g[15] = c0_15


@tile_jit
def grad_tile_6(D, A, rows, r0, G, j0, k0, m):
    """``G[j0:j0+6, k0:k0+16] = Σ_s D[s, j0:j0+6]ᵀ·A[rows[r0+s], k0:k0+16]``"""
    zero = A[0, 0] - A[0, 0]
    c0_0 = zero; c0_1 = zero; c0_2 = zero; c0_3 = zero; c0_4 = zero; c0_5 = zero; c0_6 = zero; c0_7 = zero; c0_8 = zero; c0_9 = zero; c0_10 = zero; c0_11 = zero; c0_12 = zero; c0_13 = zero; c0_14 = zero; c0_15 = zero
    c1_0 = zero; c1_1 = zero; c1_2 = zero; c1_3 = zero; c1_4 = zero; c1_5 = zero; c1_6 = zero; c1_7 = zero; c1_8 = zero; c1_9 = zero; c1_10 = zero; c1_11 = zero; c1_12 = zero; c1_13 = zero; c1_14 = zero; c1_15 = zero
    c2_0 = zero; c2_1 = zero; c2_2 = zero; c2_3 = zero; c2_4 = zero; c2_5 = zero; c2_6 = zero; c2_7 = zero; c2_8 = zero; c2_9 = zero; c2_10 = zero; c2_11 = zero; c2_12 = zero; c2_13 = zero; c2_14 = zero; c2_15 = zero
    c3_0 = zero; c3_1 = zero; c3_2 = zero; c3_3 = zero; c3_4 = zero; c3_5 = zero; c3_6 = zero; c3_7 = zero; c3_8 = zero; c3_9 = zero; c3_10 = zero; c3_11 = zero; c3_12 = zero; c3_13 = zero; c3_14 = zero; c3_15 = zero
    c4_0 = zero; c4_1 = zero; c4_2 = zero; c4_3 = zero; c4_4 = zero; c4_5 = zero; c4_6 = zero; c4_7 = zero; c4_8 = zero; c4_9 = zero; c4_10 = zero; c4_11 = zero; c4_12 = zero; c4_13 = zero; c4_14 = zero; c4_15 = zero
    c5_0 = zero; c5_1 = zero; c5_2 = zero; c5_3 = zero; c5_4 = zero; c5_5 = zero; c5_6 = zero; c5_7 = zero; c5_8 = zero; c5_9 = zero; c5_10 = zero; c5_11 = zero; c5_12 = zero; c5_13 = zero; c5_14 = zero; c5_15 = zero
    for s in range(m):
        a = A[rows[r0 + s], k0 : k0 + 16]
        d = D[s, j0 : j0 + 6]
        x0 = a[0]; x1 = a[1]; x2 = a[2]; x3 = a[3]; x4 = a[4]; x5 = a[5]; x6 = a[6]; x7 = a[7]; x8 = a[8]; x9 = a[9]; x10 = a[10]; x11 = a[11]; x12 = a[12]; x13 = a[13]; x14 = a[14]; x15 = a[15]
        p = d[0]
        c0_0 += p * x0; c0_1 += p * x1; c0_2 += p * x2; c0_3 += p * x3; c0_4 += p * x4; c0_5 += p * x5; c0_6 += p * x6; c0_7 += p * x7; c0_8 += p * x8; c0_9 += p * x9; c0_10 += p * x10; c0_11 += p * x11; c0_12 += p * x12; c0_13 += p * x13; c0_14 += p * x14; c0_15 += p * x15
        p = d[1]
        c1_0 += p * x0; c1_1 += p * x1; c1_2 += p * x2; c1_3 += p * x3; c1_4 += p * x4; c1_5 += p * x5; c1_6 += p * x6; c1_7 += p * x7; c1_8 += p * x8; c1_9 += p * x9; c1_10 += p * x10; c1_11 += p * x11; c1_12 += p * x12; c1_13 += p * x13; c1_14 += p * x14; c1_15 += p * x15
        p = d[2]
        c2_0 += p * x0; c2_1 += p * x1; c2_2 += p * x2; c2_3 += p * x3; c2_4 += p * x4; c2_5 += p * x5; c2_6 += p * x6; c2_7 += p * x7; c2_8 += p * x8; c2_9 += p * x9; c2_10 += p * x10; c2_11 += p * x11; c2_12 += p * x12; c2_13 += p * x13; c2_14 += p * x14; c2_15 += p * x15
        p = d[3]
        c3_0 += p * x0; c3_1 += p * x1; c3_2 += p * x2; c3_3 += p * x3; c3_4 += p * x4; c3_5 += p * x5; c3_6 += p * x6; c3_7 += p * x7; c3_8 += p * x8; c3_9 += p * x9; c3_10 += p * x10; c3_11 += p * x11; c3_12 += p * x12; c3_13 += p * x13; c3_14 += p * x14; c3_15 += p * x15
        p = d[4]
        c4_0 += p * x0; c4_1 += p * x1; c4_2 += p * x2; c4_3 += p * x3; c4_4 += p * x4; c4_5 += p * x5; c4_6 += p * x6; c4_7 += p * x7; c4_8 += p * x8; c4_9 += p * x9; c4_10 += p * x10; c4_11 += p * x11; c4_12 += p * x12; c4_13 += p * x13; c4_14 += p * x14; c4_15 += p * x15
        p = d[5]
        c5_0 += p * x0; c5_1 += p * x1; c5_2 += p * x2; c5_3 += p * x3; c5_4 += p * x4; c5_5 += p * x5; c5_6 += p * x6; c5_7 += p * x7; c5_8 += p * x8; c5_9 += p * x9; c5_10 += p * x10; c5_11 += p * x11; c5_12 += p * x12; c5_13 += p * x13; c5_14 += p * x14; c5_15 += p * x15
    g = G[j0 + 0, k0 : k0 + 16]
    g[0] = c0_0; g[1] = c0_1; g[2] = c0_2; g[3] = c0_3; g[4] = c0_4; g[5] = c0_5; g[6] = c0_6; g[7] = c0_7; g[8] = c0_8; g[9] = c0_9; g[10] = c0_10; g[11] = c0_11; g[12] = c0_12; g[13] = c0_13; g[14] = c0_14; g[15] = c0_15
    g = G[j0 + 1, k0 : k0 + 16]
    g[0] = c1_0; g[1] = c1_1; g[2] = c1_2; g[3] = c1_3; g[4] = c1_4; g[5] = c1_5; g[6] = c1_6; g[7] = c1_7; g[8] = c1_8; g[9] = c1_9; g[10] = c1_10; g[11] = c1_11; g[12] = c1_12; g[13] = c1_13; g[14] = c1_14; g[15] = c1_15
    g = G[j0 + 2, k0 : k0 + 16]
    g[0] = c2_0; g[1] = c2_1; g[2] = c2_2; g[3] = c2_3; g[4] = c2_4; g[5] = c2_5; g[6] = c2_6; g[7] = c2_7; g[8] = c2_8; g[9] = c2_9; g[10] = c2_10; g[11] = c2_11; g[12] = c2_12; g[13] = c2_13; g[14] = c2_14; g[15] = c2_15
    g = G[j0 + 3, k0 : k0 + 16]
    g[0] = c3_0; g[1] = c3_1; g[2] = c3_2; g[3] = c3_3; g[4] = c3_4; g[5] = c3_5; g[6] = c3_6; g[7] = c3_7; g[8] = c3_8; g[9] = c3_9; g[10] = c3_10; g[11] = c3_11; g[12] = c3_12; g[13] = c3_13; g[14] = c3_14; g[15] = c3_15
    g = G[j0 + 4, k0 : k0 + 16]
    g[0] = c4_0; g[1] = c4_1; g[2] = c4_2; g[3] = c4_3; g[4] = c4_4; g[5] = c4_5; g[6] = c4_6; g[7] = c4_7; g[8] = c4_8; g[9] = c4_9; g[10] = c4_10; g[11] = c4_11; g[12] = c4_12; g[13] = c4_13; g[14] = c4_14; g[15] = c4_15
    g = G[j0 + 5, k0 : k0 + 16]
    g[0] = c5_0; g[1] = c5_1; g[2] = c5_2; g[3] = c5_3; g[4] = c5_4; g[5] = c5_5; g[6] = c5_6; g[7] = c5_7; g[8] = c5_8; g[9] = c5_9; g[10] = c5_10; g[11] = c5_11; g[12] = c5_12; g[13] = c5_13; g[14] = c5_14; g[15] = c5_15


@tile_jit
def push_tile_1(D, W, P, s0, k0, n):
    """``P[s0:s0+1, k0:k0+16] = D[s0:s0+1, :n]·W[:n, k0:k0+16]``"""
    zero = W[0, 0] - W[0, 0]
    c0_0 = zero; c0_1 = zero; c0_2 = zero; c0_3 = zero; c0_4 = zero; c0_5 = zero; c0_6 = zero; c0_7 = zero; c0_8 = zero; c0_9 = zero; c0_10 = zero; c0_11 = zero; c0_12 = zero; c0_13 = zero; c0_14 = zero; c0_15 = zero
    for j in range(n):
        w = W[j, k0 : k0 + 16]
        x0 = w[0]; x1 = w[1]; x2 = w[2]; x3 = w[3]; x4 = w[4]; x5 = w[5]; x6 = w[6]; x7 = w[7]; x8 = w[8]; x9 = w[9]; x10 = w[10]; x11 = w[11]; x12 = w[12]; x13 = w[13]; x14 = w[14]; x15 = w[15]
        p = D[s0 + 0, j]
        c0_0 += p * x0; c0_1 += p * x1; c0_2 += p * x2; c0_3 += p * x3; c0_4 += p * x4; c0_5 += p * x5; c0_6 += p * x6; c0_7 += p * x7; c0_8 += p * x8; c0_9 += p * x9; c0_10 += p * x10; c0_11 += p * x11; c0_12 += p * x12; c0_13 += p * x13; c0_14 += p * x14; c0_15 += p * x15
    q = P[s0 + 0, k0 : k0 + 16]
    q[0] = c0_0; q[1] = c0_1; q[2] = c0_2; q[3] = c0_3; q[4] = c0_4; q[5] = c0_5; q[6] = c0_6; q[7] = c0_7; q[8] = c0_8; q[9] = c0_9; q[10] = c0_10; q[11] = c0_11; q[12] = c0_12; q[13] = c0_13; q[14] = c0_14; q[15] = c0_15


@tile_jit
def push_tile_4(D, W, P, s0, k0, n):
    """``P[s0:s0+4, k0:k0+16] = D[s0:s0+4, :n]·W[:n, k0:k0+16]``"""
    zero = W[0, 0] - W[0, 0]
    c0_0 = zero; c0_1 = zero; c0_2 = zero; c0_3 = zero; c0_4 = zero; c0_5 = zero; c0_6 = zero; c0_7 = zero; c0_8 = zero; c0_9 = zero; c0_10 = zero; c0_11 = zero; c0_12 = zero; c0_13 = zero; c0_14 = zero; c0_15 = zero
    c1_0 = zero; c1_1 = zero; c1_2 = zero; c1_3 = zero; c1_4 = zero; c1_5 = zero; c1_6 = zero; c1_7 = zero; c1_8 = zero; c1_9 = zero; c1_10 = zero; c1_11 = zero; c1_12 = zero; c1_13 = zero; c1_14 = zero; c1_15 = zero
    c2_0 = zero; c2_1 = zero; c2_2 = zero; c2_3 = zero; c2_4 = zero; c2_5 = zero; c2_6 = zero; c2_7 = zero; c2_8 = zero; c2_9 = zero; c2_10 = zero; c2_11 = zero; c2_12 = zero; c2_13 = zero; c2_14 = zero; c2_15 = zero
    c3_0 = zero; c3_1 = zero; c3_2 = zero; c3_3 = zero; c3_4 = zero; c3_5 = zero; c3_6 = zero; c3_7 = zero; c3_8 = zero; c3_9 = zero; c3_10 = zero; c3_11 = zero; c3_12 = zero; c3_13 = zero; c3_14 = zero; c3_15 = zero
    for j in range(n):
        w = W[j, k0 : k0 + 16]
        x0 = w[0]; x1 = w[1]; x2 = w[2]; x3 = w[3]; x4 = w[4]; x5 = w[5]; x6 = w[6]; x7 = w[7]; x8 = w[8]; x9 = w[9]; x10 = w[10]; x11 = w[11]; x12 = w[12]; x13 = w[13]; x14 = w[14]; x15 = w[15]
        p = D[s0 + 0, j]
        c0_0 += p * x0; c0_1 += p * x1; c0_2 += p * x2; c0_3 += p * x3; c0_4 += p * x4; c0_5 += p * x5; c0_6 += p * x6; c0_7 += p * x7; c0_8 += p * x8; c0_9 += p * x9; c0_10 += p * x10; c0_11 += p * x11; c0_12 += p * x12; c0_13 += p * x13; c0_14 += p * x14; c0_15 += p * x15
        p = D[s0 + 1, j]
        c1_0 += p * x0; c1_1 += p * x1; c1_2 += p * x2; c1_3 += p * x3; c1_4 += p * x4; c1_5 += p * x5; c1_6 += p * x6; c1_7 += p * x7; c1_8 += p * x8; c1_9 += p * x9; c1_10 += p * x10; c1_11 += p * x11; c1_12 += p * x12; c1_13 += p * x13; c1_14 += p * x14; c1_15 += p * x15
        p = D[s0 + 2, j]
        c2_0 += p * x0; c2_1 += p * x1; c2_2 += p * x2; c2_3 += p * x3; c2_4 += p * x4; c2_5 += p * x5; c2_6 += p * x6; c2_7 += p * x7; c2_8 += p * x8; c2_9 += p * x9; c2_10 += p * x10; c2_11 += p * x11; c2_12 += p * x12; c2_13 += p * x13; c2_14 += p * x14; c2_15 += p * x15
        p = D[s0 + 3, j]
        c3_0 += p * x0; c3_1 += p * x1; c3_2 += p * x2; c3_3 += p * x3; c3_4 += p * x4; c3_5 += p * x5; c3_6 += p * x6; c3_7 += p * x7; c3_8 += p * x8; c3_9 += p * x9; c3_10 += p * x10; c3_11 += p * x11; c3_12 += p * x12; c3_13 += p * x13; c3_14 += p * x14; c3_15 += p * x15
    q = P[s0 + 0, k0 : k0 + 16]
    q[0] = c0_0; q[1] = c0_1; q[2] = c0_2; q[3] = c0_3; q[4] = c0_4; q[5] = c0_5; q[6] = c0_6; q[7] = c0_7; q[8] = c0_8; q[9] = c0_9; q[10] = c0_10; q[11] = c0_11; q[12] = c0_12; q[13] = c0_13; q[14] = c0_14; q[15] = c0_15
    q = P[s0 + 1, k0 : k0 + 16]
    q[0] = c1_0; q[1] = c1_1; q[2] = c1_2; q[3] = c1_3; q[4] = c1_4; q[5] = c1_5; q[6] = c1_6; q[7] = c1_7; q[8] = c1_8; q[9] = c1_9; q[10] = c1_10; q[11] = c1_11; q[12] = c1_12; q[13] = c1_13; q[14] = c1_14; q[15] = c1_15
    q = P[s0 + 2, k0 : k0 + 16]
    q[0] = c2_0; q[1] = c2_1; q[2] = c2_2; q[3] = c2_3; q[4] = c2_4; q[5] = c2_5; q[6] = c2_6; q[7] = c2_7; q[8] = c2_8; q[9] = c2_9; q[10] = c2_10; q[11] = c2_11; q[12] = c2_12; q[13] = c2_13; q[14] = c2_14; q[15] = c2_15
    q = P[s0 + 3, k0 : k0 + 16]
    q[0] = c3_0; q[1] = c3_1; q[2] = c3_2; q[3] = c3_3; q[4] = c3_4; q[5] = c3_5; q[6] = c3_6; q[7] = c3_7; q[8] = c3_8; q[9] = c3_9; q[10] = c3_10; q[11] = c3_11; q[12] = c3_12; q[13] = c3_13; q[14] = c3_14; q[15] = c3_15
