"""The contract between the harness and a kernel backend: a descriptor and a session.

A backend is described by a small frozen :class:`BackendInfo` (what it is, where it runs,
what timing it needs) and opened as a :class:`Session` for one network shape. The session
owns the parameters, the momentum velocity, the workspace and (after :meth:`Session.upload`)
the data, wherever they live: host memory for the CPU backends, device memory for a GPU
backend. The harness talks only to sessions; it never branches on a backend's name, only on
the descriptor's fields.

One trial, as the harness drives it::

    s = open_session(name, sizes=..., dtype=..., mini_batch=..., threads=..., hidden=...,
                     output=..., path=...)          # kernels.open_session: one network shape
    s.load(params, velocity)                        # initial weights (host arrays, copied)
    s.upload(X_train, y_train, X_val, y_val)        # the data, once per trial
    for each epoch:
        s.set_order(permutation)                    # the epoch's sample order (host ints)
        cost = s.steps(start, n_steps, eta, lmbda_n, mu)   # a chunk of mini-batches
                                                    # (batch=k: the ragged last one)
        s.synchronize()                             # inside the timed region if info.synchronize
        correct, cost_sum = s.evaluate(VAL)         # validation subset, on the backend
    params, velocity = s.to_host()                  # copies, only where the host needs them

The same host permutation drives every backend, so backends see samples in the same order
and their curves are comparable (a GPU session uploads the order, a few kilobytes per epoch,
and counts that in :attr:`Session.transfer_seconds`).

This module imports numpy only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.floating]
IntArray = npt.NDArray[np.integer]

CPU = "cpu"
CUDA = "cuda"
DEVICES: tuple[str, ...] = (CPU, CUDA)

TRAIN = "train"  # evaluate on the uploaded training set (the η probes judge by it)
VAL = "val"  # evaluate on the uploaded validation set
SPLITS: tuple[str, ...] = (TRAIN, VAL)


@dataclass(frozen=True, kw_only=True)
class BackendInfo:
    """What the harness needs to know about a backend, and nothing it can derive.

    ``name``: the ``--backend`` value; ``module``: the module that implements it;
    ``device``: ``"cpu"`` or ``"cuda"``; ``threaded``: whether it uses ``--threads``
    (otherwise it runs on one thread and the harness records 1); ``synchronize``: whether
    a timed region must end with :meth:`Session.synchronize` (asynchronous devices);
    ``dtypes``: the floating dtypes it supports; ``extra``: the pip extra that installs
    what it needs (for the error message when it is missing), or ``""``; ``paths``: its
    kernel paths (:mod:`kernels.paths`); ``host_jit``: its kernels are compiled on the host
    at first use into the on-disk cache (Numba), so another process can compile them ahead.
    """

    name: str
    module: str
    device: str = CPU
    threaded: bool = False
    synchronize: bool = False
    dtypes: tuple[str, ...] = ("float32", "float64")
    extra: str = ""
    paths: tuple[str, ...] = ()
    host_jit: bool = False


class Session(Protocol):
    """One network shape on one backend, owning its parameters, workspace and data.

    Created for (sizes, dtype, mini-batch, threads, hidden and output codes, kernel path);
    every method works in the units below and returns host Python scalars.
    """

    info: BackendInfo
    transfer_seconds: float  # host↔device copy time so far (0.0 on the CPU), seconds

    def load(self, params: Array, velocity: Array) -> None:
        """Copy the flat parameter and velocity arrays (kernels.layout) into the session."""

    def upload(self, X: Array, y: IntArray, X_val: Array, y_val: IntArray) -> None:
        """Take the training and validation data once (rows are samples, labels 0…C−1)."""

    def set_order(self, order: IntArray) -> None:
        """The sample order (a permutation of the training rows) for the next steps."""

    def steps(
        self, start: int, n_steps: int, eta: float, lmbda_n: float, mu: float,
        batch: int | None = None,
    ) -> float:  # fmt: skip
        """Run ``n_steps`` SGD updates of one mini-batch each, reading samples
        ``order[start:start + n_steps·mini_batch]``; return their mean training cost
        (each sample's cost from the forward pass before its mini-batch's update).

        ``batch``: samples per update when not the session's mini-batch (at most it: the
        ragged last mini-batch of an epoch)."""

    def evaluate(self, split: str = VAL, n: int | None = None) -> tuple[int, float]:
        """(number correct, summed cost) over the first ``n`` rows (all if None) of the
        uploaded ``split`` (``"train"`` or ``"val"``)."""

    def synchronize(self) -> None:
        """Wait until all queued work has finished (a no-op on synchronous backends)."""

    def to_host(self) -> tuple[Array, Array]:
        """Copies of the current parameters and velocity as host arrays."""
