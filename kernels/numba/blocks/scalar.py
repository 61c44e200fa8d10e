# mypy: allow-untyped-defs
"""Scalar maths of the Numba kernels: activations, their derivatives, one output row.

``sigmoid``, ``act`` and the derivative ``dact`` (taken at the activation) for the hidden
codes of :mod:`kernels.layout`, and ``output_row``: one sample's output activations, cost
and delta for each cost code. The codes arrive as compile-time constants where the path
drivers make them so (:mod:`kernels.numba.literal`), and the branches of the other codes
are then compiled away.
"""

from __future__ import annotations

import math

from kernels.layout import CROSS_ENTROPY, LOG_LIKELIHOOD, QUADRATIC, SIGMOID, TANH
from kernels.numba.jit import jit


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
