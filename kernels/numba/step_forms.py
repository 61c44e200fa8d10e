# mypy: allow-untyped-defs
"""The three forms a step of a Numba kernel path takes, each written once and bound to a
path's own work function (one compiled copy per path, :func:`kernels.numba.jit.bind`).

A *step* is one mini-batch: forward, backward and update, with the signature the step
loop calls (:func:`kernels.numba.steps.step_loop`).

* :func:`row_step_of` (``loops``, ``blas``): the path's ``chunk`` runs the forward and
  backward pass and applies each weight row once its gradient is complete; the step then
  applies the biases.
* :func:`summed_step_of` (``gemm``, ``regtile``): the path's ``batch`` leaves the summed
  gradient in the slot; the step applies it to every layer.
* :func:`blocked_step_of` (``gemm-blocked``, ``regtile`` above the block): ``blocked``
  runs a batch in blocks, the gradient accumulated after the slot
  (:mod:`kernels.numba.paths.gemm_blocked`); the step applies the accumulated gradient.
"""

from __future__ import annotations

from typing import Any

from kernels.numba.blocks.update import apply_sums, update_biases
from kernels.numba.jit import bind, inline_jit

chunk: Any = None  # the path's work function, bound in each copy the *_of functions make
batch: Any = None
blocked: Any = None


def row_step(data, net, lay, hp, pos, m, sc, hidden, output, total):
    """One mini-batch: ``chunk`` with the weight rows applied inside, then the biases."""
    alpha_b = -(hp.eta * hp.inv_m)
    mode = 1 if sc.use_scale else 2
    total += chunk(net, 0, lay, data, pos, m, sc.s, hidden, output, hp, mode, alpha_b / sc.s_new)
    L = lay.sizes.shape[0] - 1
    update_biases(net, lay.so[2 * L + 2], lay.po, L, alpha_b, hp, sc.use_scale)
    return total


def summed_step(data, net, lay, hp, pos, m, sc, hidden, output, total):
    """One mini-batch: ``batch``, then the summed gradient applied to every layer."""
    total += batch(data, net, lay, pos, m, sc.s, hidden, output, hp.one)
    apply_sums(net, lay.so[2 * lay.sizes.shape[0]], lay, hp, sc)
    return total


def blocked_step(data, net, lay, hp, pos, m, sc, hidden, output, total):
    """One mini-batch in blocks of the slot's capacity (``blocked``), then the
    accumulated update."""
    total = blocked(data, net, lay, pos, m, sc.s, hidden, output, hp.one, total)
    apply_sums(net, lay.so[2 * lay.sizes.shape[0] + 1], lay, hp, sc)
    return total


def row_step_of(path_chunk: Any, path: str) -> Any:
    """The (inlined) :func:`row_step` of ``path``'s ``chunk``."""
    return bind(row_step, inline_jit, f"row_step_{path}", chunk=path_chunk)


def summed_step_of(path_batch: Any, path: str) -> Any:
    """The (inlined) :func:`summed_step` of ``path``'s ``batch``."""
    return bind(summed_step, inline_jit, f"summed_step_{path}", batch=path_batch)


def blocked_step_of(path_blocked: Any, path: str) -> Any:
    """The (inlined) :func:`blocked_step` of ``path``'s blocked batch."""
    return bind(blocked_step, inline_jit, f"blocked_step_{path}", blocked=path_blocked)
