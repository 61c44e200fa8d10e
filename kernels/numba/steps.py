# mypy: allow-untyped-defs
"""The one step loop of every Numba kernel path, and its L2 weight-scale bookkeeping.

:func:`step_loop` runs ``n_steps`` SGD updates by calling the path's *step* function;
:func:`loop_of` makes the compiled copy of the loop for one path's step (the loop is
written once, here; each path gets its own dispatcher, calling its step directly). A step
does one mini-batch: forward, backward and update, and returns the mini-batch's summed
cost.

Weight decay trick (``mu == 0``): the weights are kept as ``s·W'`` with one global scalar
``s``; the decay ``W ← c·W`` (``c = 1 − η·λ/n``) becomes ``s ← c·s`` and the gradient step a
single FMA per weight. A step reads the weights with scale ``s`` and leaves them with scale
``s_new``. ``s`` is folded back into the weights before returning (and whenever it drops
below ``hp.renorm_below``), so callers only ever see plain parameters.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from kernels.numba.jit import bind, inline_jit, jit, rebound
from kernels.numba.slots import make_lay

step: Any = None  # the path's step function, bound in each copy made by loop_of
LOOP: Any = None  # a path's step loop and the activation and cost codes: bound in each
HIDDEN: Any = None  # copy of a driver (driver_of, then kernels.numba.specialise)
OUTPUT: Any = None


class Scale(NamedTuple):
    """The weight scale of one step: ``s`` (the weights read), ``s_new`` (left after the
    step) and ``use_scale`` (μ = 0: the weights are kept scaled; else momentum)."""

    s: float
    s_new: float
    use_scale: bool


def step_loop(ctx, net, lay, hp, start, n_steps, m, hidden, output):
    """``n_steps`` updates of ``m`` samples from ``order[start]`` by ``step`` (bound by
    :func:`loop_of`); returns
    ``(summed cost (float64), renormalisations of the weight scale)``.

    ``step(ctx, net, lay, hp, pos, m, sc, hidden, output, total)`` runs the mini-batch
    ``order[pos:pos+m]`` with the :class:`Scale` ``sc`` and returns ``total`` plus its
    summed cost (added in the order the samples' costs arise); ``ctx`` is the path's own
    (data and whatever the path prepared); ``net``, ``lay``, ``hp``:
    :mod:`kernels.numba.slots`.
    """
    one = hp.one
    c, use_scale = scale_mode(hp.eta, hp.lam, hp.mu, one)
    s = one
    total = 0.0
    renorms = 0
    for k in range(n_steps):
        s_new = s * c if use_scale else one
        sc = Scale(s, s_new, use_scale)
        total = step(ctx, net, lay, hp, start + k * m, m, sc, hidden, output, total)
        s, folded = renorm_if_small(net.params, lay.po, lay.sizes, s_new, hp.renorm_below, one)
        renorms += folded
    fold_scale(net.params, lay.po, lay.sizes, s, one)
    return total, renorms


def loop_of(path_step: Any) -> Any:
    """The compiled :func:`step_loop` of one path's step function."""
    py = getattr(path_step, "py_func", path_step)
    name = f"step_loop_{py.__module__.rsplit('.', 1)[-1]}_{py.__name__}"
    return bind(step_loop, inline_jit, name, step=path_step)


def whole_driver(net, data, sizes, hp, start, n_steps, m):
    """``n_steps`` updates of ``m`` samples; ``(summed cost, renormalisations)``."""
    lay = make_lay(sizes, m)
    return LOOP(data, net, lay, hp, start, n_steps, m, HIDDEN, OUTPUT)


def blocked_driver(net, data, sizes, hp, start, n_steps, m, block):
    """:func:`whole_driver` over blocks of ``block`` samples (``work`` holds a
    ``block``-sample slot and an accumulator of ``n_params``)."""
    lay = make_lay(sizes, block)
    return LOOP(data, net, lay, hp, start, n_steps, m, HIDDEN, OUTPUT)


def driver_of(loop: Any, module: str, blocked: bool = False) -> Any:
    """The ``train`` driver template of a path whose step loop is ``loop`` (a slot for the
    whole mini-batch, or for a block of it when ``blocked``), named in ``module``; the
    codes are bound later (:func:`kernels.numba.specialise.specialised`)."""
    if blocked:
        return rebound(blocked_driver, "train_blocked", module, LOOP=loop)
    return rebound(whole_driver, "train", module, LOOP=loop)


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
