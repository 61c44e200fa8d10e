# mypy: allow-untyped-defs
"""Parameter-update ``@njit`` kernels of the Numba backends.

``update_range`` applies the gradient sums of one or more scratch slots to a slice of the
flat parameters (scale or momentum mode); ``rescale_weights`` folds the weight scale back,
and ``scale_mode``/``renorm_if_small``/``fold_scale`` are the L2 scale bookkeeping every
kernel loop shares (once, here).

Weight decay trick (``mu == 0``): the weights are kept as ``s·W'`` with one global scalar
``s``; the decay ``W ← c·W`` (``c = 1 − η·λ/n``) becomes ``s ← c·s`` and the gradient step a
single FMA per weight. ``s`` is folded back into the weights before returning (and whenever
it drops below the ``renorm_below`` argument), so callers only ever see plain parameters.

Leaves out computing the gradients (:mod:`kernels.numba_backward`), the updates fused into
the gradient sweep or the next forward pass (:mod:`kernels.numba_backward`,
:mod:`kernels.numba_mb1`) and the bookkeeping of ``s`` (the backends' ``_train``).
"""

from __future__ import annotations

from kernels.numba_layout import jit


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


@jit
def scale_mode(eta, lam, mu, one):
    """``(c, use_scale)``: the L2 decay factor ``1 − ηλ/n`` of one update, and whether the
    weights are kept as ``s·W`` (μ = 0 and ``c > 1/2``) so the decay is one scalar."""
    c = one - eta * lam
    return c, mu == one - one and c > one / (one + one)


@jit
def renorm_if_small(params, po, sizes, s, renorm_below, one):
    """``(one, 1)`` after folding ``s`` into the weights when it fell below ``renorm_below``;
    ``(s, 0)`` otherwise (the scale and the number of renormalisations it made)."""
    if s < renorm_below:
        rescale_weights(params, po, sizes, s)
        return one, 1
    return s, 0


@jit
def fold_scale(params, po, sizes, s, one):
    """At the end of a call: fold a scale other than one back into the weights."""
    if s != one:
        rescale_weights(params, po, sizes, s)
