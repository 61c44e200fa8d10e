"""The ``train_steps`` and ``evaluate`` of the Numba backends, written once.

Both Numba backends run a call the same way: the arguments grouped and checked
(:mod:`kernels.call`, :mod:`kernels.numba.checks`) before any compiled code runs, then the
backend's own choice of driver (:func:`kernels.numba.serial.choose`,
:func:`kernels.numba.parallel.choose`), then that driver compiled once per activation and
cost code (:mod:`kernels.numba.specialise`) and run. :func:`train_steps_of` makes a
backend's ``train_steps`` from its choice and its workspace size, :func:`evaluate_of` its
``evaluate`` from its evaluation kernel; the signatures and semantics are those of
:mod:`kernels.reference`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kernels.call import Array, Codes, Data, IntArray, Net, Rule, Steps, named
from kernels.numba.checks import check_eval_call, check_train_call
from kernels.numba.jit import jit
from kernels.numba.slots import RENORM_BELOW, Hyper
from kernels.numba.specialise import specialised

# (driver template, its extra arguments after m: a block, a thread count)
Driver = tuple[Callable[..., Any], tuple[int, ...]]
# choose(path, m, work, sizes) -> Driver; ValueError for a path the backend cannot run with m
Choose = Callable[[str | None, int, Array, IntArray], Driver]


def hyper(params: Array, rule: Rule, m: int, renorm: float) -> Hyper:
    """The :class:`~kernels.numba.slots.Hyper` of a call, in the parameters' dtype."""
    dt = params.dtype.type
    eta, lmbda_n, mu = rule
    return Hyper(dt(eta), dt(lmbda_n), dt(mu), dt(1), dt(1.0 / m), dt(renorm))


def train_steps_of(
    choose: Choose, workspace: Callable[[IntArray, int], int], doc: str
) -> Callable[..., float]:
    """The ``train_steps`` of a Numba backend (documented by ``doc``): ``choose`` picks the
    driver of a call, ``workspace(sizes, m)`` is the scratch (elements) it needs."""

    def train_steps(
        net: Net,
        sizes: IntArray,
        data: Data,
        steps: Steps,
        rule: Rule,
        codes: Codes,
        path: str | None = None,
        *,
        renorm_below: float = RENORM_BELOW,
        info: dict[str, int] | None = None,
        labels_checked: bool = False,
    ) -> float:
        net, data, steps, codes = named(net, data, steps, codes)
        start, n_steps, m = steps
        if m < 1 or n_steps < 1:
            return 0.0
        need = workspace(sizes, m)
        check_train_call(net, sizes, data, steps, need, codes, renorm_below, labels_checked)
        template, extra = choose(path, m, net.work, sizes)
        train = specialised(template, jit, codes.hidden, codes.output)
        hp = hyper(net.params, rule, m, renorm_below)
        total, renorms = train(net, data, sizes, hp, start, n_steps, m, *extra)
        if info is not None:
            info["renorms"] = int(renorms)
        return float(total) / (n_steps * m)

    train_steps.__doc__ = doc
    return train_steps


def evaluate_of(
    template: Callable[..., Any],
    decorator: Callable[..., Any],
    workspace: Callable[[IntArray, int], int],
    extra: Callable[[], tuple[int, ...]],
) -> Callable[..., tuple[int, float]]:
    """The ``evaluate`` of a Numba backend: the kernel ``template`` (compiled by
    ``decorator`` once per code pair) over checked arguments, ``extra()`` (e.g. the thread
    count) as its last arguments; ``workspace(sizes, chunk)`` is the scratch it needs."""

    def evaluate(
        params: Array,
        work: Array,
        sizes: IntArray,
        X: Array,
        y: IntArray,
        chunk: int,
        hidden: int,
        output: int,
    ) -> tuple[int, float]:
        """``(number classified correctly, summed per-sample cost)`` over ``X``, ``y``."""
        chunk = max(1, min(int(chunk), X.shape[0]))
        need = workspace(sizes, chunk)
        check_eval_call(params, work, sizes, X, y, need, chunk, int(hidden), int(output))
        if X.shape[0] == 0:
            return 0, 0.0
        kernel = specialised(template, decorator, int(hidden), int(output))
        one = params.dtype.type(1)
        correct, cost = kernel(params, work, sizes, X, y, chunk, one, *extra())
        return int(correct), float(cost)

    return evaluate
