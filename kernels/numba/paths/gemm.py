# mypy: allow-untyped-defs
"""The ``gemm`` kernel path: every dense product of a mini-batch through BLAS (``np.dot``).

Forward ``Z = A·Wᵀ``, deltas ``D_prev = D·W`` and weight gradients ``G = Dᵀ·A`` are BLAS
GEMMs on contiguous views of the scratch slot (Numba calls SciPy's BLAS); activations,
costs and the update are the shared loops of :mod:`kernels.numba_forward` and
:mod:`kernels.numba_update`, with the same weight-scale trick as the other paths (μ = 0).
A candidate for machines whose BLAS beats the register-blocked loops (AVX-512 cores with a
wide-vector GEMM); which one wins is measured, not assumed (:mod:`bench.kernel_tuning`).
"""

from __future__ import annotations

import numpy as np

from kernels.numba_backward import bias_grad, grad_tiles
from kernels.numba_forward import act_block, fwd_loops, fwd_rows, gather
from kernels.numba_layout import jit, param_offsets, slot_offsets
from kernels.numba_update import fold_scale, renorm_if_small, scale_mode, update_range
from kernels.numba_vector import output_block, push_down, push_rows


@jit
def gemm_batch(
    params, work, so, po, sizes, X, y, order, pos, mc, sc, hidden, output, one, tiles, ident
):  # fmt: skip
    """Forward + backward of ``order[pos:pos+mc]`` with BLAS products; returns the cost sum.

    ``tiles`` (the ``regtile`` path): the register-tiled loops instead of BLAS, the inputs
    read in place through ``order`` (no gathered copy): forward :func:`fwd_rows` /
    :func:`fwd_loops` (4 × 4 tiles), weight gradients :func:`grad_tiles` (``ident``: the
    identity rows ``0 … mc-1`` of a slot); hidden activations, output layer and deltas
    over whole blocks (:func:`act_block`, :mod:`kernels.numba_vector`).

    Leaves the summed gradient in the slot's g (weights ``Dᵀ·A``, biases ``Σ D``); the
    weights in ``params`` are ``sc`` times the true ones.
    """
    L = sizes.shape[0] - 1
    n0 = sizes[0]
    if not tiles:
        gather(X, order, pos, True, work[so[0] : so[0] + mc * n0].reshape((mc, n0)), mc, n0)
    for li in range(L):
        n_in = sizes[li]
        n_out = sizes[li + 1]
        A = work[so[li] : so[li] + mc * n_in].reshape((mc, n_in))
        W = params[po[2 * li] : po[2 * li] + n_out * n_in].reshape((n_out, n_in))
        b = params[po[2 * li + 1] : po[2 * li + 1] + n_out]
        o = so[2 * L + 1] if li == L - 1 else so[li + 1]
        Z = work[o : o + mc * n_out].reshape((mc, n_out))
        if tiles and li == 0:
            fwd_rows(X, order, pos, W, b, Z, sc, mc, n_in, n_out)
        elif tiles:
            fwd_loops(A, W, b, Z, sc, mc, n_in, n_out)
        else:
            np.dot(A, W.T, Z)
            for s in range(mc):
                zr = Z[s]
                for j in range(n_out):
                    zr[j] = sc * zr[j] + b[j]
        if li < L - 1:
            act_block(work[o : o + mc * n_out], mc * n_out, hidden, one, tiles)
    nL = sizes[L]
    oz, oa, od = so[2 * L + 1], so[L], so[2 * L]
    cost = output_block(
        work[oz:], work[oa:], work[od:], y, order, pos, mc, nL, output, one, tiles
    )  # fmt: skip
    og = so[2 * L + 2]
    for li in range(L, 0, -1):
        n_in = sizes[li - 1]
        n_out = sizes[li]
        D = work[so[L + li] : so[L + li] + mc * n_out].reshape((mc, n_out))
        A = work[so[li - 1] : so[li - 1] + mc * n_in].reshape((mc, n_in))
        wo = po[2 * (li - 1)]
        bo = po[2 * (li - 1) + 1]
        if li > 1:
            W = params[wo : wo + n_out * n_in].reshape((n_out, n_in))
            Dp = work[so[L + li - 1] : so[L + li - 1] + mc * n_in].reshape((mc, n_in))
        if li > 1 and tiles:
            push_down(D, W, Dp, A, sc, hidden, one, mc, n_in, n_out)
        elif li > 1:
            push_rows(D, W, Dp, A, sc, hidden, one, mc, n_in, n_out, True)
        G = work[og + wo : og + wo + n_out * n_in].reshape((n_out, n_in))
        if tiles and li == 1:
            grad_tiles(D, X, order, pos, G, mc, n_in, n_out)
        elif tiles:
            grad_tiles(D, A, ident, 0, G, mc, n_in, n_out)
        else:
            np.dot(D.T, A, G)
        bias_grad(D, work[og + bo : og + bo + n_out], mc, n_out)
    return cost


@jit
def _update_all(
    params, velocity, work, g0, po, L, alpha_w, alpha_b, eta, inv_m, lam, mu, use_scale
):  # fmt: skip
    """Apply the summed gradient at ``work[g0:]`` to every layer's weights and biases."""
    for li in range(L):
        update_range(
            params, velocity, work, g0, 0, 1, po[2 * li], po[2 * li + 1], True, alpha_w, eta,
            inv_m, lam, mu, use_scale,
        )  # fmt: skip
        update_range(
            params, velocity, work, g0, 0, 1, po[2 * li + 1], po[2 * li + 2], False, alpha_b,
            eta, inv_m, lam, mu, use_scale,
        )  # fmt: skip


@jit
def train_gemm(
    params, velocity, work, sizes, X, y, order, start, n_steps, m, eta, lam, mu, hidden, output,
    one, inv_m, renorm_below, tiles,
):  # fmt: skip
    """``n_steps`` SGD updates of ``m`` samples on the ``gemm`` path (``tiles``: ``regtile``);
    returns ``(summed cost, renormalisations of the weight scale)``."""
    ident = np.arange(m)
    L = sizes.shape[0] - 1
    po = param_offsets(sizes)
    so = slot_offsets(sizes, m)
    og = so[2 * L + 2]
    c, use_scale = scale_mode(eta, lam, mu, one)
    s = one
    total = 0.0
    renorms = 0
    alpha_b = -(eta * inv_m)
    for k in range(n_steps):
        total += gemm_batch(
            params, work, so, po, sizes, X, y, order, start + k * m, m, s, hidden, output, one,
            tiles, ident,
        )  # fmt: skip
        s_new = s * c if use_scale else one
        alpha_w = alpha_b / s_new
        _update_all(
            params, velocity, work, og, po, L, alpha_w, alpha_b, eta, inv_m, lam, mu, use_scale
        )  # fmt: skip
        s, folded = renorm_if_small(params, po, sizes, s_new, renorm_below, one)
        renorms += folded
    fold_scale(params, po, sizes, s, one)
    return total, renorms


@jit
def train_gemm_blocked(
    params, velocity, work, sizes, X, y, order, start, n_steps, m, eta, lam, mu, hidden, output,
    one, inv_m, renorm_below, block, tiles,
):  # fmt: skip
    """The ``gemm`` path over row blocks of ``block`` samples (cache blocking for big batches).

    Each mini-batch is processed ``block`` samples at a time, so the gathered inputs and
    activations stay in L2; the blocks' gradient sums are added into an accumulator of
    ``n_params`` elements placed after the (``block``-sample) slot, then applied once.
    ``tiles``: the ``regtile`` products (:func:`gemm_batch`). Returns ``(summed cost,
    renormalisations of the weight scale)``.
    """
    ident = np.arange(block)
    L = sizes.shape[0] - 1
    po = param_offsets(sizes)
    so = slot_offsets(sizes, block)
    og = so[2 * L + 2]
    acc = so[2 * L + 3]
    n_par = po[2 * L]
    g = work[og : og + n_par]
    a = work[acc : acc + n_par]
    c, use_scale = scale_mode(eta, lam, mu, one)
    s = one
    total = 0.0
    renorms = 0
    alpha_b = -(eta * inv_m)
    for k in range(n_steps):
        pos = start + k * m
        for c0 in range(0, m, block):
            mc = min(block, m - c0)
            total += gemm_batch(
                params, work, so, po, sizes, X, y, order, pos + c0, mc, s, hidden, output, one,
                tiles, ident,
            )  # fmt: skip
            if c0 == 0:
                for i in range(n_par):
                    a[i] = g[i]
            else:
                for i in range(n_par):
                    a[i] += g[i]
        s_new = s * c if use_scale else one
        alpha_w = alpha_b / s_new
        _update_all(
            params, velocity, work, acc, po, L, alpha_w, alpha_b, eta, inv_m, lam, mu, use_scale
        )  # fmt: skip
        s, folded = renorm_if_small(params, po, sizes, s_new, renorm_below, one)
        renorms += folded
    fold_scale(params, po, sizes, s, one)
    return total, renorms
