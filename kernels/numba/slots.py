# mypy: allow-untyped-defs
"""The scratch layout of the Numba backends, and the named groups a kernel call carries.

The flat parameter offsets and the layout of one scratch *slot* (capacity ``cap``
samples), carved from the ``work`` array:

* ``a_0 … a_L``: activations, ``cap × n_l`` each (``a_0`` is the gathered input batch);
* ``d_1 … d_L``: deltas, ``cap × n_l`` each;
* ``z``: output pre-activations, ``cap × n_L``;
* ``g``: gradient sums in the flat parameter layout;
* ``t``: scratch for the forward products on transposed weights (:func:`scratch_size`).

The per-call constants travel as named tuples (Numba types them as records of their
fields), so no kernel takes a long list of positional scalars: ``Net`` and ``Data`` of
:mod:`kernels.call` (the arrays a training updates; inputs, labels, order), :class:`Lay` (layer
sizes, parameter and slot offsets, a slot's identity rows) and :class:`Hyper` (η, λ/n, μ,
``one``, ``1/m`` and the renormalisation threshold, all in the parameters' dtype). The
activation and cost codes travel apart, as compile-time constants
(:mod:`kernels.numba.specialise`).

Kernels are written for any float dtype: every constant is derived from ``one`` (a scalar
of the params' dtype), so float32 paths never promote to float64.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
from numba.extending import register_jitable

from kernels.layout import n_params
from kernels.numba.jit import jit

RENORM_BELOW = 2.0**-10  # default: fold the weight scale back when it drops below this


class Lay(NamedTuple):
    """Layer ``sizes``, parameter offsets ``po``, slot offsets ``so`` and ``ident``, the
    identity rows ``0 … cap-1`` of a slot (int64 arrays, made once per call)."""

    sizes: np.ndarray
    po: np.ndarray
    so: np.ndarray
    ident: np.ndarray


class Hyper(NamedTuple):
    """η, λ/n, μ, ``one``, ``1/m`` and the renormalisation threshold, in the dtype."""

    eta: Any
    lam: Any
    mu: Any
    one: Any
    inv_m: Any
    renorm_below: Any


T_COLS = 32  # the transposed weights' rows are padded to a multiple of this


@register_jitable
def padded(n: int) -> int:
    """``n`` columns rounded up to a multiple of :data:`T_COLS`."""
    return (n + T_COLS - 1) // T_COLS * T_COLS


@register_jitable
def scratch_size(sizes: Any, cap: int) -> int:
    """Elements of a slot's ``t`` scratch for the forward products on transposed weights
    (:mod:`kernels.numba.blocks.dense`): the first layer's ``Wᵀ`` (``n_0`` rows of
    :func:`padded` ``n_1`` columns, kept for every block of a mini-batch), then room for
    any layer's ``Wᵀ`` and its products for ``cap`` samples. Compiled and pure Python
    alike."""
    n = 0
    for li in range(1, len(sizes)):
        n = max(n, (sizes[li - 1] + cap) * padded(sizes[li]))
    return int(sizes[0] * padded(sizes[1]) + n)


def slot_size(sizes: object, cap: int) -> int:
    """Elements of one scratch slot for ``cap`` samples (pure Python)."""
    s = [int(v) for v in sizes]  # type: ignore[attr-defined]
    if len(s) < 2:
        raise ValueError("sizes needs at least two layers")
    return cap * (s[0] + 2 * sum(s[1:]) + s[-1]) + n_params(s) + int(scratch_size(s, cap))


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
    """Offsets in a slot: a_0..a_L at [0..L], d_l at [L+li], z at 2L+1, g at 2L+2, t at
    2L+4; the slot's size at 2L+3."""
    L = sizes.shape[0] - 1
    so = np.empty(2 * L + 5, np.int64)
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
    so[2 * L + 4] = pos
    so[2 * L + 3] = pos + scratch_size(sizes, cap)
    return so


@jit
def make_lay(sizes, cap):
    """The :class:`Lay` of a slot of ``cap`` samples."""
    return Lay(sizes, param_offsets(sizes), slot_offsets(sizes, cap), np.arange(cap))


class LayerViews(NamedTuple):
    """Views of layer ``li`` (1-based) for the backward pass of ``mc`` samples in a slot:
    its inputs ``A`` (``mc × n_in``), deltas ``D`` (``mc × n_out``), gradient sums ``G``
    and ``gb``, weights ``W`` and weight velocity ``V``."""

    A: np.ndarray
    D: np.ndarray
    G: np.ndarray
    gb: np.ndarray
    W: np.ndarray
    V: np.ndarray


@jit
def layer_views(net, base, lay, li, mc):
    """The :class:`LayerViews` of layer ``li`` in the slot at ``work[base:]``."""
    sizes, po, so = lay.sizes, lay.po, lay.so
    L = sizes.shape[0] - 1
    n_in = sizes[li - 1]
    n_out = sizes[li]
    o = base + so[L + li]
    D = net.work[o : o + mc * n_out].reshape((mc, n_out))
    o = base + so[li - 1]
    A = net.work[o : o + mc * n_in].reshape((mc, n_in))
    wo = po[2 * (li - 1)]
    bo = po[2 * (li - 1) + 1]
    og = base + so[2 * L + 2]
    G = net.work[og + wo : og + wo + n_out * n_in].reshape((n_out, n_in))
    gb = net.work[og + bo : og + bo + n_out]
    W = net.params[wo : wo + n_out * n_in].reshape((n_out, n_in))
    V = net.velocity[wo : wo + n_out * n_in].reshape((n_out, n_in))
    return LayerViews(A, D, G, gb, W, V)


@jit
def delta_below(net, base, lay, li, mc):
    """The deltas of layer ``li − 1`` (``mc × n_{li−1}``, ``li ≥ 2``) in the slot at ``base``."""
    L = lay.sizes.shape[0] - 1
    n_in = lay.sizes[li - 1]
    o = base + lay.so[L + li - 1]
    return net.work[o : o + mc * n_in].reshape((mc, n_in))


@jit
def output_views(work, base, lay):
    """``(z, a, d)``: the slot's output pre-activations, activations and deltas (flat, to
    the end of ``work``), as :func:`~kernels.numba.blocks.vector.output_block` takes them."""
    L = lay.sizes.shape[0] - 1
    so = lay.so
    return work[base + so[2 * L + 1] :], work[base + so[L] :], work[base + so[2 * L] :]


class ForwardViews(NamedTuple):
    """Views of layer ``li`` (1-based) for the forward pass of ``mc`` samples in a slot:
    inputs ``A``, weights ``W``, biases ``b``, outputs ``Z`` (``mc × n_out``) and ``z``, the
    same outputs flat."""

    A: np.ndarray
    W: np.ndarray
    b: np.ndarray
    Z: np.ndarray
    z: np.ndarray


@jit
def forward_views(net, base, lay, li, mc):
    """The :class:`ForwardViews` of layer ``li`` in the slot at ``work[base:]`` (the last
    layer writes the output pre-activations ``z``, the others the next activations)."""
    sizes, po, so = lay.sizes, lay.po, lay.so
    L = sizes.shape[0] - 1
    n_in = sizes[li - 1]
    n_out = sizes[li]
    o = base + so[li - 1]
    A = net.work[o : o + mc * n_in].reshape((mc, n_in))
    W = net.params[po[2 * (li - 1)] : po[2 * (li - 1)] + n_out * n_in].reshape((n_out, n_in))
    b = net.params[po[2 * li - 1] : po[2 * li - 1] + n_out]
    o = base + (so[2 * L + 1] if li == L else so[li])
    z = net.work[o : o + mc * n_out]
    return ForwardViews(A, W, b, z.reshape((mc, n_out)), z)


@jit
def scratch(net, base, lay):
    """``(first, rest)``: the first layer's ``Wᵀ`` (``n_0 × padded(n_1)``) and the rest of
    the ``t`` scratch of the slot at ``work[base:]`` (:func:`scratch_size`)."""
    L = lay.sizes.shape[0] - 1
    n0 = lay.sizes[0]
    cols = padded(lay.sizes[1])
    t = net.work[base + lay.so[2 * L + 4] : base + lay.so[2 * L + 3]]
    return t[: n0 * cols].reshape((n0, cols)), t[n0 * cols :]
