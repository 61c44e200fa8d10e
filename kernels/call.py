"""The named groups of one ``train_steps`` call, the same for every backend.

A call carries what it trains (:class:`Net`: parameters, velocity, scratch), on what
(:class:`Data`: inputs, labels, sample order), how far (:class:`Steps`: where in the order
it starts, how many updates, how many samples each), by which rule (:class:`Rule`: η, λ/n,
μ) and with which functions (:class:`Codes`: the hidden activation and the cost, see
:mod:`kernels.layout`). Grouping them keeps every entry point to a handful of named
arguments. The Numba kernels take :class:`Net` and :class:`Data` as records too.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.floating]  # the float arrays of a call (float32 or float64)
IntArray = npt.NDArray[np.int64]  # layer sizes, labels, sample order


class Net(NamedTuple):
    """The arrays one training updates: flat parameters, velocity, scratch ``work``."""

    params: np.ndarray
    velocity: np.ndarray
    work: np.ndarray


class Data(NamedTuple):
    """The training inputs ``X`` (rows), labels ``y`` and the sample ``order``."""

    X: np.ndarray
    y: np.ndarray
    order: np.ndarray


class Steps(NamedTuple):
    """``n_steps`` updates of ``mini_batch`` samples each, from position ``start`` of the
    order (samples ``order[start : start + n_steps * mini_batch]``)."""

    start: int
    n_steps: int
    mini_batch: int


class Rule(NamedTuple):
    """The update rule: learning rate η, L2 strength over the training-set size λ/n, and
    momentum μ (``v ← μ·v − η·(g + λ/n·w)``, ``w ← w + v``)."""

    eta: float
    lmbda_n: float
    mu: float


class Codes(NamedTuple):
    """The hidden activation and the cost, as the integer codes of :mod:`kernels.layout`."""

    hidden: int
    output: int


def named(
    net: tuple[np.ndarray, np.ndarray, np.ndarray],
    data: tuple[np.ndarray, np.ndarray, np.ndarray],
    steps: tuple[int, int, int],
    codes: tuple[int, int],
) -> tuple[Net, Data, Steps, Codes]:
    """The groups of a call as these named tuples, counts and codes as Python ``int``: a
    caller may pass plain tuples or numpy integers, and the compiled kernels are typed
    (and cached) by the named records only."""
    start, n_steps, mini_batch = steps
    hidden, output = codes
    return (
        Net(*net),
        Data(*data),
        Steps(int(start), int(n_steps), int(mini_batch)),
        Codes(int(hidden), int(output)),
    )
