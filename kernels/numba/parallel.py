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

from kernels.call import Array, IntArray
from kernels.numba import serial
from kernels.numba.entry import Driver, evaluate_of, train_steps_of
from kernels.numba.evaluate import evaluate_parallel
from kernels.numba.jit import pjit
from kernels.numba.paths import split
from kernels.numba.slots import slot_size
from kernels.paths import SPLIT_BLAS, SPLIT_LOOPS, SPLIT_REGTILE, default_path

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


def choose(path: str | None, m: int, work: Array, sizes: IntArray) -> Driver:
    """The driver of a call (:data:`kernels.numba.entry.Choose`): a ``split-*`` path's, with
    the thread count; a serial path, or a split one that cannot split (one thread, or one
    sample), runs the serial choice (:func:`kernels.numba.serial.choose`) on this thread."""
    threads = n_threads()
    name = path or default_path("numba-parallel", m, threads)
    if name not in DRIVERS or min(threads, m) < 2:  # a serial path, on the calling thread
        return serial.choose(default_path("numba", m) if name in DRIVERS else name, m, work, sizes)
    return DRIVERS[name], (threads,)


train_steps = train_steps_of(
    choose,
    workspace_size,
    """Run ``steps`` (SGD updates of a mini-batch each) by ``rule``; return their mean cost.

    ``path`` names the implementation (:data:`kernels.paths.PARALLEL_PATHS`; ``None``: the
    documented default for this mini-batch size and thread count). The serial paths run on
    the calling thread; ``split-*`` split every mini-batch of 2 or more over the threads.
    The groups, ``renorm_below``, ``info`` and ``labels_checked`` as in
    :func:`kernels.numba.serial.train_steps`.
    """,
)


evaluate = evaluate_of(evaluate_parallel, pjit, workspace_size, lambda: (n_threads(),))
