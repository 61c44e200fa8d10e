"""Multi-threaded Numba backend (``numba-parallel``): the entry points and the choice of path.

The thread count is the caller's ``numba.set_num_threads``. The ``split-*`` paths
(:mod:`kernels.numba.paths.split`) split each mini-batch over the threads; the serial
paths run the serial backend (:mod:`kernels.numba.serial`) on the calling thread, and so
does a ``split-*`` call that cannot split (one thread, or a ragged mini-batch of one
sample), on the documented serial default. ``evaluate`` splits the rows. Signatures and
semantics are those of :mod:`kernels.reference`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numba
import numpy as np
import numpy.typing as npt

from kernels.call import Codes, Data, Net, Rule, Steps, named
from kernels.numba import serial
from kernels.numba.checks import check_eval_call, check_train_call
from kernels.numba.evaluate import evaluate_parallel
from kernels.numba.jit import jit, pjit
from kernels.numba.paths import split
from kernels.numba.slots import RENORM_BELOW, slot_size
from kernels.numba.specialise import specialised
from kernels.paths import SPLIT_BLAS, SPLIT_LOOPS, SPLIT_REGTILE, default_path

Array = npt.NDArray[np.floating]
IntArray = npt.NDArray[np.int64]

# The driver of each split path: train(net, data, sizes, hp, start, n_steps, m, n_threads),
# a template that kernels.numba.specialise compiles once per activation and cost code.
DRIVERS: dict[str, Callable[..., Any]] = {
    SPLIT_LOOPS: split.train_loops,
    SPLIT_BLAS: split.train_blas,
    SPLIT_REGTILE: split.train_regtile,
}


def max_threads() -> int:
    """Upper bound of ``numba.get_num_threads()``: the slots workspace_size provides for."""
    return max(1, int(getattr(numba.config, "NUMBA_NUM_THREADS", 1)))


def n_threads() -> int:
    """Threads the caller asked for (``numba.set_num_threads``), capped by the slots."""
    return max(1, min(int(numba.get_num_threads()), max_threads()))


def workspace_size(sizes: IntArray, mini_batch: int) -> int:
    """One scratch slot per possible thread (``NUMBA_NUM_THREADS``), each for the full batch."""
    return max_threads() * slot_size(sizes, max(int(mini_batch), 1))


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
    """Run ``steps`` (SGD updates of a mini-batch each) by ``rule``; return their mean cost.

    ``path`` names the implementation (:data:`kernels.paths.PARALLEL_PATHS`; ``None``: the
    documented default for this mini-batch size and thread count). The serial paths run on
    the calling thread; ``split-*`` split every mini-batch of 2 or more over the threads.
    The groups, ``renorm_below``, ``info`` and ``labels_checked`` as in
    :func:`kernels.numba.serial.train_steps`.
    """
    net, data, steps, codes = named(net, data, steps, codes)
    _, n_steps, m = steps
    if m < 1 or n_steps < 1:
        return 0.0
    need = workspace_size(sizes, m)
    check_train_call(net, sizes, data, steps, need, codes, renorm_below, labels_checked)
    threads = n_threads()
    name = path or default_path("numba-parallel", m, threads)
    if name not in DRIVERS or min(threads, m) < 2:  # a serial path, on the calling thread
        serial_path = default_path("numba", m) if name in DRIVERS else name
        return serial.train_steps(
            net, sizes, data, steps, rule, codes, serial_path,
            renorm_below=renorm_below, info=info, labels_checked=True,
        )  # fmt: skip
    train = specialised(DRIVERS[name], jit, codes.hidden, codes.output)
    hp = serial.hyper(net.params, *rule, m, renorm_below)
    return serial.run_driver(train, net, data, sizes, hp, steps, info, threads)


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
    need = workspace_size(sizes, chunk)
    check_eval_call(params, work, sizes, X, y, need, chunk, int(hidden), int(output))
    if X.shape[0] == 0:
        return 0, 0.0
    kernel = specialised(evaluate_parallel, pjit, int(hidden), int(output))
    correct, cost = kernel(params, work, sizes, X, y, chunk, params.dtype.type(1), n_threads())
    return int(correct), float(cost)
