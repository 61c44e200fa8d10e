# mypy: allow-untyped-defs
"""Register-tiled micro-kernels of the ``regtile`` paths (generated: do not edit).

Written by ``scripts/gen_microkernels.py``; edit that script and rerun it.
``grad_tile_R(D, A, rows, r0, G, j0, k0, m)`` sets ``G[j0:j0+R, k0:k0+16]`` to
``Σ_s D[s, j0:j0+R]ᵀ · A[rows[r0+s], k0:k0+16]`` over the ``m`` rows of ``D``
(``m × n_out``) and the rows ``rows[r0:r0+m]`` of ``A`` (the training inputs, read in place
through the shuffled order, or a slot's activations with ``rows`` the identity): the
``R × 16`` sums stay in registers for the whole sample loop
(SLP-vectorised: :func:`kernels.numba.jit.tile_jit` says how). ``grad_tile_6x32`` is
the same over ``32`` columns, for float32 (:func:`kernels.numba.blocks.grads.grad_tiles`).
``push_tile_R(D, W, P, s0, k0, n)`` sets ``P[s0:s0+R, k0:k0+16]`` to
``D[s0:s0+R, :n]·W[:n, k0:k0+16]`` (deltas pushed one layer down) the same way, and
``fwd_tile_Rx32(A, rows, r0, WT, P, s0, j0, n)`` sets ``P[s0:s0+R, j0:j0+32]`` to
``A[rows[r0+s0:r0+s0+R], :n]·WT[:n, j0:j0+32]`` (a first-layer forward on the
transposed weights, AVX-512: :func:`kernels.numba.blocks.dense.fwd_rows_cols`).
"""

from __future__ import annotations

from kernels.numba.jit import tile_jit

COLS = 16
WIDE_COLS = 32
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
def grad_tile_6x32(D, A, rows, r0, G, j0, k0, m):
    """``G[j0:j0+6, k0:k0+32] = Σ_s D[s, j0:j0+6]ᵀ·A[rows[r0+s], k0:k0+32]``"""
    zero = A[0, 0] - A[0, 0]
    c0_0 = zero; c0_1 = zero; c0_2 = zero; c0_3 = zero; c0_4 = zero; c0_5 = zero; c0_6 = zero; c0_7 = zero; c0_8 = zero; c0_9 = zero; c0_10 = zero; c0_11 = zero; c0_12 = zero; c0_13 = zero; c0_14 = zero; c0_15 = zero; c0_16 = zero; c0_17 = zero; c0_18 = zero; c0_19 = zero; c0_20 = zero; c0_21 = zero; c0_22 = zero; c0_23 = zero; c0_24 = zero; c0_25 = zero; c0_26 = zero; c0_27 = zero; c0_28 = zero; c0_29 = zero; c0_30 = zero; c0_31 = zero
    c1_0 = zero; c1_1 = zero; c1_2 = zero; c1_3 = zero; c1_4 = zero; c1_5 = zero; c1_6 = zero; c1_7 = zero; c1_8 = zero; c1_9 = zero; c1_10 = zero; c1_11 = zero; c1_12 = zero; c1_13 = zero; c1_14 = zero; c1_15 = zero; c1_16 = zero; c1_17 = zero; c1_18 = zero; c1_19 = zero; c1_20 = zero; c1_21 = zero; c1_22 = zero; c1_23 = zero; c1_24 = zero; c1_25 = zero; c1_26 = zero; c1_27 = zero; c1_28 = zero; c1_29 = zero; c1_30 = zero; c1_31 = zero
    c2_0 = zero; c2_1 = zero; c2_2 = zero; c2_3 = zero; c2_4 = zero; c2_5 = zero; c2_6 = zero; c2_7 = zero; c2_8 = zero; c2_9 = zero; c2_10 = zero; c2_11 = zero; c2_12 = zero; c2_13 = zero; c2_14 = zero; c2_15 = zero; c2_16 = zero; c2_17 = zero; c2_18 = zero; c2_19 = zero; c2_20 = zero; c2_21 = zero; c2_22 = zero; c2_23 = zero; c2_24 = zero; c2_25 = zero; c2_26 = zero; c2_27 = zero; c2_28 = zero; c2_29 = zero; c2_30 = zero; c2_31 = zero
    c3_0 = zero; c3_1 = zero; c3_2 = zero; c3_3 = zero; c3_4 = zero; c3_5 = zero; c3_6 = zero; c3_7 = zero; c3_8 = zero; c3_9 = zero; c3_10 = zero; c3_11 = zero; c3_12 = zero; c3_13 = zero; c3_14 = zero; c3_15 = zero; c3_16 = zero; c3_17 = zero; c3_18 = zero; c3_19 = zero; c3_20 = zero; c3_21 = zero; c3_22 = zero; c3_23 = zero; c3_24 = zero; c3_25 = zero; c3_26 = zero; c3_27 = zero; c3_28 = zero; c3_29 = zero; c3_30 = zero; c3_31 = zero
    c4_0 = zero; c4_1 = zero; c4_2 = zero; c4_3 = zero; c4_4 = zero; c4_5 = zero; c4_6 = zero; c4_7 = zero; c4_8 = zero; c4_9 = zero; c4_10 = zero; c4_11 = zero; c4_12 = zero; c4_13 = zero; c4_14 = zero; c4_15 = zero; c4_16 = zero; c4_17 = zero; c4_18 = zero; c4_19 = zero; c4_20 = zero; c4_21 = zero; c4_22 = zero; c4_23 = zero; c4_24 = zero; c4_25 = zero; c4_26 = zero; c4_27 = zero; c4_28 = zero; c4_29 = zero; c4_30 = zero; c4_31 = zero
    c5_0 = zero; c5_1 = zero; c5_2 = zero; c5_3 = zero; c5_4 = zero; c5_5 = zero; c5_6 = zero; c5_7 = zero; c5_8 = zero; c5_9 = zero; c5_10 = zero; c5_11 = zero; c5_12 = zero; c5_13 = zero; c5_14 = zero; c5_15 = zero; c5_16 = zero; c5_17 = zero; c5_18 = zero; c5_19 = zero; c5_20 = zero; c5_21 = zero; c5_22 = zero; c5_23 = zero; c5_24 = zero; c5_25 = zero; c5_26 = zero; c5_27 = zero; c5_28 = zero; c5_29 = zero; c5_30 = zero; c5_31 = zero
    for s in range(m):
        a = A[rows[r0 + s], k0 : k0 + 32]
        d = D[s, j0 : j0 + 6]
        x0 = a[0]; x1 = a[1]; x2 = a[2]; x3 = a[3]; x4 = a[4]; x5 = a[5]; x6 = a[6]; x7 = a[7]; x8 = a[8]; x9 = a[9]; x10 = a[10]; x11 = a[11]; x12 = a[12]; x13 = a[13]; x14 = a[14]; x15 = a[15]; x16 = a[16]; x17 = a[17]; x18 = a[18]; x19 = a[19]; x20 = a[20]; x21 = a[21]; x22 = a[22]; x23 = a[23]; x24 = a[24]; x25 = a[25]; x26 = a[26]; x27 = a[27]; x28 = a[28]; x29 = a[29]; x30 = a[30]; x31 = a[31]
        p = d[0]
        c0_0 += p * x0; c0_1 += p * x1; c0_2 += p * x2; c0_3 += p * x3; c0_4 += p * x4; c0_5 += p * x5; c0_6 += p * x6; c0_7 += p * x7; c0_8 += p * x8; c0_9 += p * x9; c0_10 += p * x10; c0_11 += p * x11; c0_12 += p * x12; c0_13 += p * x13; c0_14 += p * x14; c0_15 += p * x15; c0_16 += p * x16; c0_17 += p * x17; c0_18 += p * x18; c0_19 += p * x19; c0_20 += p * x20; c0_21 += p * x21; c0_22 += p * x22; c0_23 += p * x23; c0_24 += p * x24; c0_25 += p * x25; c0_26 += p * x26; c0_27 += p * x27; c0_28 += p * x28; c0_29 += p * x29; c0_30 += p * x30; c0_31 += p * x31
        p = d[1]
        c1_0 += p * x0; c1_1 += p * x1; c1_2 += p * x2; c1_3 += p * x3; c1_4 += p * x4; c1_5 += p * x5; c1_6 += p * x6; c1_7 += p * x7; c1_8 += p * x8; c1_9 += p * x9; c1_10 += p * x10; c1_11 += p * x11; c1_12 += p * x12; c1_13 += p * x13; c1_14 += p * x14; c1_15 += p * x15; c1_16 += p * x16; c1_17 += p * x17; c1_18 += p * x18; c1_19 += p * x19; c1_20 += p * x20; c1_21 += p * x21; c1_22 += p * x22; c1_23 += p * x23; c1_24 += p * x24; c1_25 += p * x25; c1_26 += p * x26; c1_27 += p * x27; c1_28 += p * x28; c1_29 += p * x29; c1_30 += p * x30; c1_31 += p * x31
        p = d[2]
        c2_0 += p * x0; c2_1 += p * x1; c2_2 += p * x2; c2_3 += p * x3; c2_4 += p * x4; c2_5 += p * x5; c2_6 += p * x6; c2_7 += p * x7; c2_8 += p * x8; c2_9 += p * x9; c2_10 += p * x10; c2_11 += p * x11; c2_12 += p * x12; c2_13 += p * x13; c2_14 += p * x14; c2_15 += p * x15; c2_16 += p * x16; c2_17 += p * x17; c2_18 += p * x18; c2_19 += p * x19; c2_20 += p * x20; c2_21 += p * x21; c2_22 += p * x22; c2_23 += p * x23; c2_24 += p * x24; c2_25 += p * x25; c2_26 += p * x26; c2_27 += p * x27; c2_28 += p * x28; c2_29 += p * x29; c2_30 += p * x30; c2_31 += p * x31
        p = d[3]
        c3_0 += p * x0; c3_1 += p * x1; c3_2 += p * x2; c3_3 += p * x3; c3_4 += p * x4; c3_5 += p * x5; c3_6 += p * x6; c3_7 += p * x7; c3_8 += p * x8; c3_9 += p * x9; c3_10 += p * x10; c3_11 += p * x11; c3_12 += p * x12; c3_13 += p * x13; c3_14 += p * x14; c3_15 += p * x15; c3_16 += p * x16; c3_17 += p * x17; c3_18 += p * x18; c3_19 += p * x19; c3_20 += p * x20; c3_21 += p * x21; c3_22 += p * x22; c3_23 += p * x23; c3_24 += p * x24; c3_25 += p * x25; c3_26 += p * x26; c3_27 += p * x27; c3_28 += p * x28; c3_29 += p * x29; c3_30 += p * x30; c3_31 += p * x31
        p = d[4]
        c4_0 += p * x0; c4_1 += p * x1; c4_2 += p * x2; c4_3 += p * x3; c4_4 += p * x4; c4_5 += p * x5; c4_6 += p * x6; c4_7 += p * x7; c4_8 += p * x8; c4_9 += p * x9; c4_10 += p * x10; c4_11 += p * x11; c4_12 += p * x12; c4_13 += p * x13; c4_14 += p * x14; c4_15 += p * x15; c4_16 += p * x16; c4_17 += p * x17; c4_18 += p * x18; c4_19 += p * x19; c4_20 += p * x20; c4_21 += p * x21; c4_22 += p * x22; c4_23 += p * x23; c4_24 += p * x24; c4_25 += p * x25; c4_26 += p * x26; c4_27 += p * x27; c4_28 += p * x28; c4_29 += p * x29; c4_30 += p * x30; c4_31 += p * x31
        p = d[5]
        c5_0 += p * x0; c5_1 += p * x1; c5_2 += p * x2; c5_3 += p * x3; c5_4 += p * x4; c5_5 += p * x5; c5_6 += p * x6; c5_7 += p * x7; c5_8 += p * x8; c5_9 += p * x9; c5_10 += p * x10; c5_11 += p * x11; c5_12 += p * x12; c5_13 += p * x13; c5_14 += p * x14; c5_15 += p * x15; c5_16 += p * x16; c5_17 += p * x17; c5_18 += p * x18; c5_19 += p * x19; c5_20 += p * x20; c5_21 += p * x21; c5_22 += p * x22; c5_23 += p * x23; c5_24 += p * x24; c5_25 += p * x25; c5_26 += p * x26; c5_27 += p * x27; c5_28 += p * x28; c5_29 += p * x29; c5_30 += p * x30; c5_31 += p * x31
    g = G[j0 + 0, k0 : k0 + 32]
    g[0] = c0_0; g[1] = c0_1; g[2] = c0_2; g[3] = c0_3; g[4] = c0_4; g[5] = c0_5; g[6] = c0_6; g[7] = c0_7; g[8] = c0_8; g[9] = c0_9; g[10] = c0_10; g[11] = c0_11; g[12] = c0_12; g[13] = c0_13; g[14] = c0_14; g[15] = c0_15; g[16] = c0_16; g[17] = c0_17; g[18] = c0_18; g[19] = c0_19; g[20] = c0_20; g[21] = c0_21; g[22] = c0_22; g[23] = c0_23; g[24] = c0_24; g[25] = c0_25; g[26] = c0_26; g[27] = c0_27; g[28] = c0_28; g[29] = c0_29; g[30] = c0_30; g[31] = c0_31
    g = G[j0 + 1, k0 : k0 + 32]
    g[0] = c1_0; g[1] = c1_1; g[2] = c1_2; g[3] = c1_3; g[4] = c1_4; g[5] = c1_5; g[6] = c1_6; g[7] = c1_7; g[8] = c1_8; g[9] = c1_9; g[10] = c1_10; g[11] = c1_11; g[12] = c1_12; g[13] = c1_13; g[14] = c1_14; g[15] = c1_15; g[16] = c1_16; g[17] = c1_17; g[18] = c1_18; g[19] = c1_19; g[20] = c1_20; g[21] = c1_21; g[22] = c1_22; g[23] = c1_23; g[24] = c1_24; g[25] = c1_25; g[26] = c1_26; g[27] = c1_27; g[28] = c1_28; g[29] = c1_29; g[30] = c1_30; g[31] = c1_31
    g = G[j0 + 2, k0 : k0 + 32]
    g[0] = c2_0; g[1] = c2_1; g[2] = c2_2; g[3] = c2_3; g[4] = c2_4; g[5] = c2_5; g[6] = c2_6; g[7] = c2_7; g[8] = c2_8; g[9] = c2_9; g[10] = c2_10; g[11] = c2_11; g[12] = c2_12; g[13] = c2_13; g[14] = c2_14; g[15] = c2_15; g[16] = c2_16; g[17] = c2_17; g[18] = c2_18; g[19] = c2_19; g[20] = c2_20; g[21] = c2_21; g[22] = c2_22; g[23] = c2_23; g[24] = c2_24; g[25] = c2_25; g[26] = c2_26; g[27] = c2_27; g[28] = c2_28; g[29] = c2_29; g[30] = c2_30; g[31] = c2_31
    g = G[j0 + 3, k0 : k0 + 32]
    g[0] = c3_0; g[1] = c3_1; g[2] = c3_2; g[3] = c3_3; g[4] = c3_4; g[5] = c3_5; g[6] = c3_6; g[7] = c3_7; g[8] = c3_8; g[9] = c3_9; g[10] = c3_10; g[11] = c3_11; g[12] = c3_12; g[13] = c3_13; g[14] = c3_14; g[15] = c3_15; g[16] = c3_16; g[17] = c3_17; g[18] = c3_18; g[19] = c3_19; g[20] = c3_20; g[21] = c3_21; g[22] = c3_22; g[23] = c3_23; g[24] = c3_24; g[25] = c3_25; g[26] = c3_26; g[27] = c3_27; g[28] = c3_28; g[29] = c3_29; g[30] = c3_30; g[31] = c3_31
    g = G[j0 + 4, k0 : k0 + 32]
    g[0] = c4_0; g[1] = c4_1; g[2] = c4_2; g[3] = c4_3; g[4] = c4_4; g[5] = c4_5; g[6] = c4_6; g[7] = c4_7; g[8] = c4_8; g[9] = c4_9; g[10] = c4_10; g[11] = c4_11; g[12] = c4_12; g[13] = c4_13; g[14] = c4_14; g[15] = c4_15; g[16] = c4_16; g[17] = c4_17; g[18] = c4_18; g[19] = c4_19; g[20] = c4_20; g[21] = c4_21; g[22] = c4_22; g[23] = c4_23; g[24] = c4_24; g[25] = c4_25; g[26] = c4_26; g[27] = c4_27; g[28] = c4_28; g[29] = c4_29; g[30] = c4_30; g[31] = c4_31
    g = G[j0 + 5, k0 : k0 + 32]
    g[0] = c5_0; g[1] = c5_1; g[2] = c5_2; g[3] = c5_3; g[4] = c5_4; g[5] = c5_5; g[6] = c5_6; g[7] = c5_7; g[8] = c5_8; g[9] = c5_9; g[10] = c5_10; g[11] = c5_11; g[12] = c5_12; g[13] = c5_13; g[14] = c5_14; g[15] = c5_15; g[16] = c5_16; g[17] = c5_17; g[18] = c5_18; g[19] = c5_19; g[20] = c5_20; g[21] = c5_21; g[22] = c5_22; g[23] = c5_23; g[24] = c5_24; g[25] = c5_25; g[26] = c5_26; g[27] = c5_27; g[28] = c5_28; g[29] = c5_29; g[30] = c5_30; g[31] = c5_31


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


@tile_jit
def fwd_tile_4x32(A, rows, r0, WT, P, s0, j0, n):
    """``P[s0:s0+4, j0:j0+32] = A[rows[r0+s0:r0+s0+4], :n]·WT[:n, j0:j0+32]``"""
    zero = WT[0, 0] - WT[0, 0]
    c0_0 = zero; c0_1 = zero; c0_2 = zero; c0_3 = zero; c0_4 = zero; c0_5 = zero; c0_6 = zero; c0_7 = zero; c0_8 = zero; c0_9 = zero; c0_10 = zero; c0_11 = zero; c0_12 = zero; c0_13 = zero; c0_14 = zero; c0_15 = zero; c0_16 = zero; c0_17 = zero; c0_18 = zero; c0_19 = zero; c0_20 = zero; c0_21 = zero; c0_22 = zero; c0_23 = zero; c0_24 = zero; c0_25 = zero; c0_26 = zero; c0_27 = zero; c0_28 = zero; c0_29 = zero; c0_30 = zero; c0_31 = zero
    c1_0 = zero; c1_1 = zero; c1_2 = zero; c1_3 = zero; c1_4 = zero; c1_5 = zero; c1_6 = zero; c1_7 = zero; c1_8 = zero; c1_9 = zero; c1_10 = zero; c1_11 = zero; c1_12 = zero; c1_13 = zero; c1_14 = zero; c1_15 = zero; c1_16 = zero; c1_17 = zero; c1_18 = zero; c1_19 = zero; c1_20 = zero; c1_21 = zero; c1_22 = zero; c1_23 = zero; c1_24 = zero; c1_25 = zero; c1_26 = zero; c1_27 = zero; c1_28 = zero; c1_29 = zero; c1_30 = zero; c1_31 = zero
    c2_0 = zero; c2_1 = zero; c2_2 = zero; c2_3 = zero; c2_4 = zero; c2_5 = zero; c2_6 = zero; c2_7 = zero; c2_8 = zero; c2_9 = zero; c2_10 = zero; c2_11 = zero; c2_12 = zero; c2_13 = zero; c2_14 = zero; c2_15 = zero; c2_16 = zero; c2_17 = zero; c2_18 = zero; c2_19 = zero; c2_20 = zero; c2_21 = zero; c2_22 = zero; c2_23 = zero; c2_24 = zero; c2_25 = zero; c2_26 = zero; c2_27 = zero; c2_28 = zero; c2_29 = zero; c2_30 = zero; c2_31 = zero
    c3_0 = zero; c3_1 = zero; c3_2 = zero; c3_3 = zero; c3_4 = zero; c3_5 = zero; c3_6 = zero; c3_7 = zero; c3_8 = zero; c3_9 = zero; c3_10 = zero; c3_11 = zero; c3_12 = zero; c3_13 = zero; c3_14 = zero; c3_15 = zero; c3_16 = zero; c3_17 = zero; c3_18 = zero; c3_19 = zero; c3_20 = zero; c3_21 = zero; c3_22 = zero; c3_23 = zero; c3_24 = zero; c3_25 = zero; c3_26 = zero; c3_27 = zero; c3_28 = zero; c3_29 = zero; c3_30 = zero; c3_31 = zero
    a0 = A[rows[r0 + s0 + 0]]
    a1 = A[rows[r0 + s0 + 1]]
    a2 = A[rows[r0 + s0 + 2]]
    a3 = A[rows[r0 + s0 + 3]]
    for k in range(n):
        w = WT[k, j0 : j0 + 32]
        x0 = w[0]; x1 = w[1]; x2 = w[2]; x3 = w[3]; x4 = w[4]; x5 = w[5]; x6 = w[6]; x7 = w[7]; x8 = w[8]; x9 = w[9]; x10 = w[10]; x11 = w[11]; x12 = w[12]; x13 = w[13]; x14 = w[14]; x15 = w[15]; x16 = w[16]; x17 = w[17]; x18 = w[18]; x19 = w[19]; x20 = w[20]; x21 = w[21]; x22 = w[22]; x23 = w[23]; x24 = w[24]; x25 = w[25]; x26 = w[26]; x27 = w[27]; x28 = w[28]; x29 = w[29]; x30 = w[30]; x31 = w[31]
        p = a0[k]
        c0_0 += p * x0; c0_1 += p * x1; c0_2 += p * x2; c0_3 += p * x3; c0_4 += p * x4; c0_5 += p * x5; c0_6 += p * x6; c0_7 += p * x7; c0_8 += p * x8; c0_9 += p * x9; c0_10 += p * x10; c0_11 += p * x11; c0_12 += p * x12; c0_13 += p * x13; c0_14 += p * x14; c0_15 += p * x15; c0_16 += p * x16; c0_17 += p * x17; c0_18 += p * x18; c0_19 += p * x19; c0_20 += p * x20; c0_21 += p * x21; c0_22 += p * x22; c0_23 += p * x23; c0_24 += p * x24; c0_25 += p * x25; c0_26 += p * x26; c0_27 += p * x27; c0_28 += p * x28; c0_29 += p * x29; c0_30 += p * x30; c0_31 += p * x31
        p = a1[k]
        c1_0 += p * x0; c1_1 += p * x1; c1_2 += p * x2; c1_3 += p * x3; c1_4 += p * x4; c1_5 += p * x5; c1_6 += p * x6; c1_7 += p * x7; c1_8 += p * x8; c1_9 += p * x9; c1_10 += p * x10; c1_11 += p * x11; c1_12 += p * x12; c1_13 += p * x13; c1_14 += p * x14; c1_15 += p * x15; c1_16 += p * x16; c1_17 += p * x17; c1_18 += p * x18; c1_19 += p * x19; c1_20 += p * x20; c1_21 += p * x21; c1_22 += p * x22; c1_23 += p * x23; c1_24 += p * x24; c1_25 += p * x25; c1_26 += p * x26; c1_27 += p * x27; c1_28 += p * x28; c1_29 += p * x29; c1_30 += p * x30; c1_31 += p * x31
        p = a2[k]
        c2_0 += p * x0; c2_1 += p * x1; c2_2 += p * x2; c2_3 += p * x3; c2_4 += p * x4; c2_5 += p * x5; c2_6 += p * x6; c2_7 += p * x7; c2_8 += p * x8; c2_9 += p * x9; c2_10 += p * x10; c2_11 += p * x11; c2_12 += p * x12; c2_13 += p * x13; c2_14 += p * x14; c2_15 += p * x15; c2_16 += p * x16; c2_17 += p * x17; c2_18 += p * x18; c2_19 += p * x19; c2_20 += p * x20; c2_21 += p * x21; c2_22 += p * x22; c2_23 += p * x23; c2_24 += p * x24; c2_25 += p * x25; c2_26 += p * x26; c2_27 += p * x27; c2_28 += p * x28; c2_29 += p * x29; c2_30 += p * x30; c2_31 += p * x31
        p = a3[k]
        c3_0 += p * x0; c3_1 += p * x1; c3_2 += p * x2; c3_3 += p * x3; c3_4 += p * x4; c3_5 += p * x5; c3_6 += p * x6; c3_7 += p * x7; c3_8 += p * x8; c3_9 += p * x9; c3_10 += p * x10; c3_11 += p * x11; c3_12 += p * x12; c3_13 += p * x13; c3_14 += p * x14; c3_15 += p * x15; c3_16 += p * x16; c3_17 += p * x17; c3_18 += p * x18; c3_19 += p * x19; c3_20 += p * x20; c3_21 += p * x21; c3_22 += p * x22; c3_23 += p * x23; c3_24 += p * x24; c3_25 += p * x25; c3_26 += p * x26; c3_27 += p * x27; c3_28 += p * x28; c3_29 += p * x29; c3_30 += p * x30; c3_31 += p * x31
    q = P[s0 + 0, j0 : j0 + 32]
    q[0] = c0_0; q[1] = c0_1; q[2] = c0_2; q[3] = c0_3; q[4] = c0_4; q[5] = c0_5; q[6] = c0_6; q[7] = c0_7; q[8] = c0_8; q[9] = c0_9; q[10] = c0_10; q[11] = c0_11; q[12] = c0_12; q[13] = c0_13; q[14] = c0_14; q[15] = c0_15; q[16] = c0_16; q[17] = c0_17; q[18] = c0_18; q[19] = c0_19; q[20] = c0_20; q[21] = c0_21; q[22] = c0_22; q[23] = c0_23; q[24] = c0_24; q[25] = c0_25; q[26] = c0_26; q[27] = c0_27; q[28] = c0_28; q[29] = c0_29; q[30] = c0_30; q[31] = c0_31
    q = P[s0 + 1, j0 : j0 + 32]
    q[0] = c1_0; q[1] = c1_1; q[2] = c1_2; q[3] = c1_3; q[4] = c1_4; q[5] = c1_5; q[6] = c1_6; q[7] = c1_7; q[8] = c1_8; q[9] = c1_9; q[10] = c1_10; q[11] = c1_11; q[12] = c1_12; q[13] = c1_13; q[14] = c1_14; q[15] = c1_15; q[16] = c1_16; q[17] = c1_17; q[18] = c1_18; q[19] = c1_19; q[20] = c1_20; q[21] = c1_21; q[22] = c1_22; q[23] = c1_23; q[24] = c1_24; q[25] = c1_25; q[26] = c1_26; q[27] = c1_27; q[28] = c1_28; q[29] = c1_29; q[30] = c1_30; q[31] = c1_31
    q = P[s0 + 2, j0 : j0 + 32]
    q[0] = c2_0; q[1] = c2_1; q[2] = c2_2; q[3] = c2_3; q[4] = c2_4; q[5] = c2_5; q[6] = c2_6; q[7] = c2_7; q[8] = c2_8; q[9] = c2_9; q[10] = c2_10; q[11] = c2_11; q[12] = c2_12; q[13] = c2_13; q[14] = c2_14; q[15] = c2_15; q[16] = c2_16; q[17] = c2_17; q[18] = c2_18; q[19] = c2_19; q[20] = c2_20; q[21] = c2_21; q[22] = c2_22; q[23] = c2_23; q[24] = c2_24; q[25] = c2_25; q[26] = c2_26; q[27] = c2_27; q[28] = c2_28; q[29] = c2_29; q[30] = c2_30; q[31] = c2_31
    q = P[s0 + 3, j0 : j0 + 32]
    q[0] = c3_0; q[1] = c3_1; q[2] = c3_2; q[3] = c3_3; q[4] = c3_4; q[5] = c3_5; q[6] = c3_6; q[7] = c3_7; q[8] = c3_8; q[9] = c3_9; q[10] = c3_10; q[11] = c3_11; q[12] = c3_12; q[13] = c3_13; q[14] = c3_14; q[15] = c3_15; q[16] = c3_16; q[17] = c3_17; q[18] = c3_18; q[19] = c3_19; q[20] = c3_20; q[21] = c3_21; q[22] = c3_22; q[23] = c3_23; q[24] = c3_24; q[25] = c3_25; q[26] = c3_26; q[27] = c3_27; q[28] = c3_28; q[29] = c3_29; q[30] = c3_30; q[31] = c3_31


@tile_jit
def fwd_tile_6x32(A, rows, r0, WT, P, s0, j0, n):
    """``P[s0:s0+6, j0:j0+32] = A[rows[r0+s0:r0+s0+6], :n]·WT[:n, j0:j0+32]``"""
    zero = WT[0, 0] - WT[0, 0]
    c0_0 = zero; c0_1 = zero; c0_2 = zero; c0_3 = zero; c0_4 = zero; c0_5 = zero; c0_6 = zero; c0_7 = zero; c0_8 = zero; c0_9 = zero; c0_10 = zero; c0_11 = zero; c0_12 = zero; c0_13 = zero; c0_14 = zero; c0_15 = zero; c0_16 = zero; c0_17 = zero; c0_18 = zero; c0_19 = zero; c0_20 = zero; c0_21 = zero; c0_22 = zero; c0_23 = zero; c0_24 = zero; c0_25 = zero; c0_26 = zero; c0_27 = zero; c0_28 = zero; c0_29 = zero; c0_30 = zero; c0_31 = zero
    c1_0 = zero; c1_1 = zero; c1_2 = zero; c1_3 = zero; c1_4 = zero; c1_5 = zero; c1_6 = zero; c1_7 = zero; c1_8 = zero; c1_9 = zero; c1_10 = zero; c1_11 = zero; c1_12 = zero; c1_13 = zero; c1_14 = zero; c1_15 = zero; c1_16 = zero; c1_17 = zero; c1_18 = zero; c1_19 = zero; c1_20 = zero; c1_21 = zero; c1_22 = zero; c1_23 = zero; c1_24 = zero; c1_25 = zero; c1_26 = zero; c1_27 = zero; c1_28 = zero; c1_29 = zero; c1_30 = zero; c1_31 = zero
    c2_0 = zero; c2_1 = zero; c2_2 = zero; c2_3 = zero; c2_4 = zero; c2_5 = zero; c2_6 = zero; c2_7 = zero; c2_8 = zero; c2_9 = zero; c2_10 = zero; c2_11 = zero; c2_12 = zero; c2_13 = zero; c2_14 = zero; c2_15 = zero; c2_16 = zero; c2_17 = zero; c2_18 = zero; c2_19 = zero; c2_20 = zero; c2_21 = zero; c2_22 = zero; c2_23 = zero; c2_24 = zero; c2_25 = zero; c2_26 = zero; c2_27 = zero; c2_28 = zero; c2_29 = zero; c2_30 = zero; c2_31 = zero
    c3_0 = zero; c3_1 = zero; c3_2 = zero; c3_3 = zero; c3_4 = zero; c3_5 = zero; c3_6 = zero; c3_7 = zero; c3_8 = zero; c3_9 = zero; c3_10 = zero; c3_11 = zero; c3_12 = zero; c3_13 = zero; c3_14 = zero; c3_15 = zero; c3_16 = zero; c3_17 = zero; c3_18 = zero; c3_19 = zero; c3_20 = zero; c3_21 = zero; c3_22 = zero; c3_23 = zero; c3_24 = zero; c3_25 = zero; c3_26 = zero; c3_27 = zero; c3_28 = zero; c3_29 = zero; c3_30 = zero; c3_31 = zero
    c4_0 = zero; c4_1 = zero; c4_2 = zero; c4_3 = zero; c4_4 = zero; c4_5 = zero; c4_6 = zero; c4_7 = zero; c4_8 = zero; c4_9 = zero; c4_10 = zero; c4_11 = zero; c4_12 = zero; c4_13 = zero; c4_14 = zero; c4_15 = zero; c4_16 = zero; c4_17 = zero; c4_18 = zero; c4_19 = zero; c4_20 = zero; c4_21 = zero; c4_22 = zero; c4_23 = zero; c4_24 = zero; c4_25 = zero; c4_26 = zero; c4_27 = zero; c4_28 = zero; c4_29 = zero; c4_30 = zero; c4_31 = zero
    c5_0 = zero; c5_1 = zero; c5_2 = zero; c5_3 = zero; c5_4 = zero; c5_5 = zero; c5_6 = zero; c5_7 = zero; c5_8 = zero; c5_9 = zero; c5_10 = zero; c5_11 = zero; c5_12 = zero; c5_13 = zero; c5_14 = zero; c5_15 = zero; c5_16 = zero; c5_17 = zero; c5_18 = zero; c5_19 = zero; c5_20 = zero; c5_21 = zero; c5_22 = zero; c5_23 = zero; c5_24 = zero; c5_25 = zero; c5_26 = zero; c5_27 = zero; c5_28 = zero; c5_29 = zero; c5_30 = zero; c5_31 = zero
    a0 = A[rows[r0 + s0 + 0]]
    a1 = A[rows[r0 + s0 + 1]]
    a2 = A[rows[r0 + s0 + 2]]
    a3 = A[rows[r0 + s0 + 3]]
    a4 = A[rows[r0 + s0 + 4]]
    a5 = A[rows[r0 + s0 + 5]]
    for k in range(n):
        w = WT[k, j0 : j0 + 32]
        x0 = w[0]; x1 = w[1]; x2 = w[2]; x3 = w[3]; x4 = w[4]; x5 = w[5]; x6 = w[6]; x7 = w[7]; x8 = w[8]; x9 = w[9]; x10 = w[10]; x11 = w[11]; x12 = w[12]; x13 = w[13]; x14 = w[14]; x15 = w[15]; x16 = w[16]; x17 = w[17]; x18 = w[18]; x19 = w[19]; x20 = w[20]; x21 = w[21]; x22 = w[22]; x23 = w[23]; x24 = w[24]; x25 = w[25]; x26 = w[26]; x27 = w[27]; x28 = w[28]; x29 = w[29]; x30 = w[30]; x31 = w[31]
        p = a0[k]
        c0_0 += p * x0; c0_1 += p * x1; c0_2 += p * x2; c0_3 += p * x3; c0_4 += p * x4; c0_5 += p * x5; c0_6 += p * x6; c0_7 += p * x7; c0_8 += p * x8; c0_9 += p * x9; c0_10 += p * x10; c0_11 += p * x11; c0_12 += p * x12; c0_13 += p * x13; c0_14 += p * x14; c0_15 += p * x15; c0_16 += p * x16; c0_17 += p * x17; c0_18 += p * x18; c0_19 += p * x19; c0_20 += p * x20; c0_21 += p * x21; c0_22 += p * x22; c0_23 += p * x23; c0_24 += p * x24; c0_25 += p * x25; c0_26 += p * x26; c0_27 += p * x27; c0_28 += p * x28; c0_29 += p * x29; c0_30 += p * x30; c0_31 += p * x31
        p = a1[k]
        c1_0 += p * x0; c1_1 += p * x1; c1_2 += p * x2; c1_3 += p * x3; c1_4 += p * x4; c1_5 += p * x5; c1_6 += p * x6; c1_7 += p * x7; c1_8 += p * x8; c1_9 += p * x9; c1_10 += p * x10; c1_11 += p * x11; c1_12 += p * x12; c1_13 += p * x13; c1_14 += p * x14; c1_15 += p * x15; c1_16 += p * x16; c1_17 += p * x17; c1_18 += p * x18; c1_19 += p * x19; c1_20 += p * x20; c1_21 += p * x21; c1_22 += p * x22; c1_23 += p * x23; c1_24 += p * x24; c1_25 += p * x25; c1_26 += p * x26; c1_27 += p * x27; c1_28 += p * x28; c1_29 += p * x29; c1_30 += p * x30; c1_31 += p * x31
        p = a2[k]
        c2_0 += p * x0; c2_1 += p * x1; c2_2 += p * x2; c2_3 += p * x3; c2_4 += p * x4; c2_5 += p * x5; c2_6 += p * x6; c2_7 += p * x7; c2_8 += p * x8; c2_9 += p * x9; c2_10 += p * x10; c2_11 += p * x11; c2_12 += p * x12; c2_13 += p * x13; c2_14 += p * x14; c2_15 += p * x15; c2_16 += p * x16; c2_17 += p * x17; c2_18 += p * x18; c2_19 += p * x19; c2_20 += p * x20; c2_21 += p * x21; c2_22 += p * x22; c2_23 += p * x23; c2_24 += p * x24; c2_25 += p * x25; c2_26 += p * x26; c2_27 += p * x27; c2_28 += p * x28; c2_29 += p * x29; c2_30 += p * x30; c2_31 += p * x31
        p = a3[k]
        c3_0 += p * x0; c3_1 += p * x1; c3_2 += p * x2; c3_3 += p * x3; c3_4 += p * x4; c3_5 += p * x5; c3_6 += p * x6; c3_7 += p * x7; c3_8 += p * x8; c3_9 += p * x9; c3_10 += p * x10; c3_11 += p * x11; c3_12 += p * x12; c3_13 += p * x13; c3_14 += p * x14; c3_15 += p * x15; c3_16 += p * x16; c3_17 += p * x17; c3_18 += p * x18; c3_19 += p * x19; c3_20 += p * x20; c3_21 += p * x21; c3_22 += p * x22; c3_23 += p * x23; c3_24 += p * x24; c3_25 += p * x25; c3_26 += p * x26; c3_27 += p * x27; c3_28 += p * x28; c3_29 += p * x29; c3_30 += p * x30; c3_31 += p * x31
        p = a4[k]
        c4_0 += p * x0; c4_1 += p * x1; c4_2 += p * x2; c4_3 += p * x3; c4_4 += p * x4; c4_5 += p * x5; c4_6 += p * x6; c4_7 += p * x7; c4_8 += p * x8; c4_9 += p * x9; c4_10 += p * x10; c4_11 += p * x11; c4_12 += p * x12; c4_13 += p * x13; c4_14 += p * x14; c4_15 += p * x15; c4_16 += p * x16; c4_17 += p * x17; c4_18 += p * x18; c4_19 += p * x19; c4_20 += p * x20; c4_21 += p * x21; c4_22 += p * x22; c4_23 += p * x23; c4_24 += p * x24; c4_25 += p * x25; c4_26 += p * x26; c4_27 += p * x27; c4_28 += p * x28; c4_29 += p * x29; c4_30 += p * x30; c4_31 += p * x31
        p = a5[k]
        c5_0 += p * x0; c5_1 += p * x1; c5_2 += p * x2; c5_3 += p * x3; c5_4 += p * x4; c5_5 += p * x5; c5_6 += p * x6; c5_7 += p * x7; c5_8 += p * x8; c5_9 += p * x9; c5_10 += p * x10; c5_11 += p * x11; c5_12 += p * x12; c5_13 += p * x13; c5_14 += p * x14; c5_15 += p * x15; c5_16 += p * x16; c5_17 += p * x17; c5_18 += p * x18; c5_19 += p * x19; c5_20 += p * x20; c5_21 += p * x21; c5_22 += p * x22; c5_23 += p * x23; c5_24 += p * x24; c5_25 += p * x25; c5_26 += p * x26; c5_27 += p * x27; c5_28 += p * x28; c5_29 += p * x29; c5_30 += p * x30; c5_31 += p * x31
    q = P[s0 + 0, j0 : j0 + 32]
    q[0] = c0_0; q[1] = c0_1; q[2] = c0_2; q[3] = c0_3; q[4] = c0_4; q[5] = c0_5; q[6] = c0_6; q[7] = c0_7; q[8] = c0_8; q[9] = c0_9; q[10] = c0_10; q[11] = c0_11; q[12] = c0_12; q[13] = c0_13; q[14] = c0_14; q[15] = c0_15; q[16] = c0_16; q[17] = c0_17; q[18] = c0_18; q[19] = c0_19; q[20] = c0_20; q[21] = c0_21; q[22] = c0_22; q[23] = c0_23; q[24] = c0_24; q[25] = c0_25; q[26] = c0_26; q[27] = c0_27; q[28] = c0_28; q[29] = c0_29; q[30] = c0_30; q[31] = c0_31
    q = P[s0 + 1, j0 : j0 + 32]
    q[0] = c1_0; q[1] = c1_1; q[2] = c1_2; q[3] = c1_3; q[4] = c1_4; q[5] = c1_5; q[6] = c1_6; q[7] = c1_7; q[8] = c1_8; q[9] = c1_9; q[10] = c1_10; q[11] = c1_11; q[12] = c1_12; q[13] = c1_13; q[14] = c1_14; q[15] = c1_15; q[16] = c1_16; q[17] = c1_17; q[18] = c1_18; q[19] = c1_19; q[20] = c1_20; q[21] = c1_21; q[22] = c1_22; q[23] = c1_23; q[24] = c1_24; q[25] = c1_25; q[26] = c1_26; q[27] = c1_27; q[28] = c1_28; q[29] = c1_29; q[30] = c1_30; q[31] = c1_31
    q = P[s0 + 2, j0 : j0 + 32]
    q[0] = c2_0; q[1] = c2_1; q[2] = c2_2; q[3] = c2_3; q[4] = c2_4; q[5] = c2_5; q[6] = c2_6; q[7] = c2_7; q[8] = c2_8; q[9] = c2_9; q[10] = c2_10; q[11] = c2_11; q[12] = c2_12; q[13] = c2_13; q[14] = c2_14; q[15] = c2_15; q[16] = c2_16; q[17] = c2_17; q[18] = c2_18; q[19] = c2_19; q[20] = c2_20; q[21] = c2_21; q[22] = c2_22; q[23] = c2_23; q[24] = c2_24; q[25] = c2_25; q[26] = c2_26; q[27] = c2_27; q[28] = c2_28; q[29] = c2_29; q[30] = c2_30; q[31] = c2_31
    q = P[s0 + 3, j0 : j0 + 32]
    q[0] = c3_0; q[1] = c3_1; q[2] = c3_2; q[3] = c3_3; q[4] = c3_4; q[5] = c3_5; q[6] = c3_6; q[7] = c3_7; q[8] = c3_8; q[9] = c3_9; q[10] = c3_10; q[11] = c3_11; q[12] = c3_12; q[13] = c3_13; q[14] = c3_14; q[15] = c3_15; q[16] = c3_16; q[17] = c3_17; q[18] = c3_18; q[19] = c3_19; q[20] = c3_20; q[21] = c3_21; q[22] = c3_22; q[23] = c3_23; q[24] = c3_24; q[25] = c3_25; q[26] = c3_26; q[27] = c3_27; q[28] = c3_28; q[29] = c3_29; q[30] = c3_30; q[31] = c3_31
    q = P[s0 + 4, j0 : j0 + 32]
    q[0] = c4_0; q[1] = c4_1; q[2] = c4_2; q[3] = c4_3; q[4] = c4_4; q[5] = c4_5; q[6] = c4_6; q[7] = c4_7; q[8] = c4_8; q[9] = c4_9; q[10] = c4_10; q[11] = c4_11; q[12] = c4_12; q[13] = c4_13; q[14] = c4_14; q[15] = c4_15; q[16] = c4_16; q[17] = c4_17; q[18] = c4_18; q[19] = c4_19; q[20] = c4_20; q[21] = c4_21; q[22] = c4_22; q[23] = c4_23; q[24] = c4_24; q[25] = c4_25; q[26] = c4_26; q[27] = c4_27; q[28] = c4_28; q[29] = c4_29; q[30] = c4_30; q[31] = c4_31
    q = P[s0 + 5, j0 : j0 + 32]
    q[0] = c5_0; q[1] = c5_1; q[2] = c5_2; q[3] = c5_3; q[4] = c5_4; q[5] = c5_5; q[6] = c5_6; q[7] = c5_7; q[8] = c5_8; q[9] = c5_9; q[10] = c5_10; q[11] = c5_11; q[12] = c5_12; q[13] = c5_13; q[14] = c5_14; q[15] = c5_15; q[16] = c5_16; q[17] = c5_17; q[18] = c5_18; q[19] = c5_19; q[20] = c5_20; q[21] = c5_21; q[22] = c5_22; q[23] = c5_23; q[24] = c5_24; q[25] = c5_25; q[26] = c5_26; q[27] = c5_27; q[28] = c5_28; q[29] = c5_29; q[30] = c5_30; q[31] = c5_31
