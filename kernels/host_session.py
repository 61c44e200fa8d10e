"""The session of the CPU backends: host arrays around a stateless kernel module.

A backend module of this package (:mod:`kernels.reference`, :mod:`kernels.numba.serial`,
:mod:`kernels.numba.parallel`) exposes ``workspace_size``, ``train_steps`` and ``evaluate``
on host arrays that the caller owns. :class:`HostSession` owns those arrays for one network
shape (parameters, velocity, both workspaces, the uploaded data and the sample order) and
forwards each protocol call (:class:`kernels.session.Session`) to the module, adding
nothing but the argument tuple: the numbers are the kernels' own, bit for bit.

This module imports numpy only.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

from kernels.call import Codes, Data, Net, Rule, Steps
from kernels.layout import CROSS_ENTROPY, SIGMOID, check_index, n_params, sizes_array
from kernels.session import TRAIN, VAL, Array, BackendInfo, IntArray

EVAL_CHUNK = 256  # validation rows per evaluate block


class HostSession:
    """:class:`kernels.session.Session` over a host kernel module (numpy or Numba).

    ``path`` is the kernel path passed to every ``train_steps`` call (``None``: the
    module's documented default); ``renorm_below`` (Numba backends only) the threshold of
    the weight-scale trick, or ``None`` for the kernel's default.
    """

    def __init__(
        self,
        info: BackendInfo,
        module: ModuleType,
        *,
        sizes: tuple[int, ...] | list[int],
        dtype: str | np.dtype[Any],
        mini_batch: int,
        threads: int = 1,
        hidden: int = SIGMOID,
        output: int = CROSS_ENTROPY,
        path: str | None = None,
        renorm_below: float | None = None,
        eval_chunk: int = EVAL_CHUNK,
    ) -> None:
        self.info = info
        self.transfer_seconds = 0.0
        self.threads = threads
        self.mini_batch = int(mini_batch)
        self.dtype = np.dtype(dtype)
        self.sizes = sizes_array(sizes)
        self.hidden, self.output, self.path = int(hidden), int(output), path
        self._k = module
        self._kw: dict[str, Any] = {} if renorm_below is None else {"renorm_below": renorm_below}
        self._chunk = int(eval_chunk)
        self._work = np.empty(module.workspace_size(self.sizes, self.mini_batch), self.dtype)
        self._work_eval = np.empty(module.workspace_size(self.sizes, self._chunk), self.dtype)
        p = n_params(self.sizes)
        self.params: Array = np.zeros(p, self.dtype)
        self.velocity: Array = np.zeros(p, self.dtype)
        empty = np.empty((0, int(self.sizes[0])), self.dtype)
        no_labels = np.empty(0, np.int64)
        self._data: dict[str, tuple[Array, IntArray]] = {
            TRAIN: (empty, no_labels),
            VAL: (empty, no_labels),
        }
        self._order: IntArray = no_labels

    def load(self, params: Array, velocity: Array) -> None:
        """Copy the flat parameter and velocity arrays into the session."""
        self.params = np.array(params, dtype=self.dtype, order="C", copy=True)
        self.velocity = np.array(velocity, dtype=self.dtype, order="C", copy=True)

    def upload(self, X: Array, y: IntArray, X_val: Array, y_val: IntArray) -> None:
        """Keep references to the data (host memory already); dtype must be the session's."""
        for name, arr in (("X", X), ("X_val", X_val)):
            if arr.dtype != self.dtype:
                raise ValueError(
                    f"{name} dtype {arr.dtype} differs from the session's {self.dtype}"
                )
        n_out = int(self.sizes[-1])
        for name, labels in (("y", y), ("y_val", y_val)):  # once here, not in every timed call
            check_index(name, labels, n_out, "labels: one per output unit")
        self._data = {TRAIN: (X, y), VAL: (X_val, y_val)}
        self._kw["labels_checked"] = True

    def set_order(self, order: IntArray) -> None:
        """The sample order for the next steps (kept by reference)."""
        self._order = order

    def steps(
        self, start: int, n_steps: int, eta: float, lmbda_n: float, mu: float,
        batch: int | None = None,
    ) -> float:  # fmt: skip
        """``n_steps`` updates of ``batch`` samples (default: the session's mini-batch)."""
        X, y = self._data[TRAIN]
        net = Net(self.params, self.velocity, self._work)
        steps = Steps(start, n_steps, self.mini_batch if batch is None else batch)
        return float(self._k.train_steps(
            net, self.sizes, Data(X, y, self._order), steps, Rule(eta, lmbda_n, mu),
            Codes(self.hidden, self.output), self.path, **self._kw,
        ))  # fmt: skip

    def evaluate(self, split: str = VAL, n: int | None = None) -> tuple[int, float]:
        """(number correct, summed cost) over the first ``n`` rows of ``split``."""
        X, y = self._data[split]
        if n is not None:
            X, y = X[:n], y[:n]
        correct, cost = self._k.evaluate(
            self.params, self._work_eval, self.sizes, X, y, self._chunk, self.hidden, self.output
        )
        return int(correct), float(cost)

    def synchronize(self) -> None:
        """Nothing to wait for: the CPU kernels return when they are done."""

    def to_host(self) -> tuple[Array, Array]:
        """Copies of the parameters and the velocity."""
        return self.params.copy(), self.velocity.copy()
