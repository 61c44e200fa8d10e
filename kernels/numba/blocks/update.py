# mypy: allow-untyped-defs
"""Parameter-update building blocks of the Numba kernel paths.

``update_range`` applies the gradient sums of one or more scratch slots to a slice of the
flat parameters (scale or momentum mode); ``update_all`` applies one slot's sums to every
layer. With ``mu == 0`` the weights are kept as ``s·W`` (the weight-scale trick of
:mod:`kernels.numba.steps`) and the step is one FMA per weight, ``p += alpha·g``.

Leaves out computing the gradients (:mod:`kernels.numba.blocks.grads`), the updates fused
into the gradient sweep or the next forward pass (:func:`~kernels.numba.blocks.grads.apply_row`,
:mod:`kernels.numba.paths.fused_mb1`) and the bookkeeping of ``s`` (:mod:`kernels.numba.steps`).
"""

from __future__ import annotations

from kernels.numba.jit import jit


@jit
def update_range(net, g_first, g_stride, n_slots, lo, hi, weight, alpha, hp, use_scale):
    """Update ``params[lo:hi]`` from the gradient sums of ``n_slots`` slots.

    The sums of slot ``t`` start at ``work[g_first + t·g_stride]``. Scale mode:
    ``p += alpha·g``. Momentum mode: ``v ← μv − η(g/m + λ·w)``, ``w ← w + v`` (``weight``:
    with the L2 term). ``net``, ``hp``: :mod:`kernels.numba.slots`.
    """
    params, velocity, work = net.params, net.velocity, net.work
    eta, inv_m, lam, mu = hp.eta, hp.inv_m, hp.lam, hp.mu
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
def update_biases(net, g0, po, L, alpha_b, hp, use_scale):
    """Apply the summed bias gradients of the slot sums at ``work[g0:]`` to every layer."""
    for li in range(L):
        update_range(net, g0, 0, 1, po[2 * li + 1], po[2 * li + 2], False, alpha_b, hp, use_scale)


@jit
def update_all(net, g0, po, L, alpha_w, alpha_b, hp, use_scale):
    """Apply the summed gradient at ``work[g0:]`` to every layer's weights and biases."""
    for li in range(L):
        update_range(net, g0, 0, 1, po[2 * li], po[2 * li + 1], True, alpha_w, hp, use_scale)
        update_range(net, g0, 0, 1, po[2 * li + 1], po[2 * li + 2], False, alpha_b, hp, use_scale)


@jit
def apply_sums(net, g0, lay, hp, sc):
    """The update of one step from the summed gradient at ``work[g0:]``: weights with
    ``−η/(m·s_new)``, biases with ``−η/m`` (``sc``: :class:`kernels.numba.steps.Scale`)."""
    alpha_b = -(hp.eta * hp.inv_m)
    L = lay.sizes.shape[0] - 1
    update_all(net, g0, lay.po, L, alpha_b / sc.s_new, alpha_b, hp, sc.use_scale)
