"""The ``cuda`` backend: a :class:`kernels.session.Session` whose data and parameters live on an
NVIDIA GPU for the whole trial (``numba.cuda`` from NVIDIA's numba-cuda package).

What crosses the bus, and when (every copy is timed into :attr:`CudaSession.transfer_seconds`):

* :meth:`CudaSession.load`: the initial parameters and velocity, once;
* :meth:`CudaSession.upload`: training and validation data, once per trial;
* :meth:`CudaSession.set_order`: the host's epoch permutation (8 bytes a sample), once per
  epoch, so every backend sees the same sample order (a deliberate choice over shuffling on
  the device, which would give the GPU its own order);
* :meth:`CudaSession.steps` and :meth:`CudaSession.evaluate`: the per-sample costs (and
  correct flags) of the samples just processed, to return host scalars;
* :meth:`CudaSession.to_host`: the parameters and velocity, only when the host asks.

Kernel launches are asynchronous; :meth:`CudaSession.synchronize` waits for them. Kernels
compile (PTX, then cubin) on their first launch: the harness's untimed warm-up call does that
(``compile_seconds`` of the trial), or :meth:`CudaSession.warm_up` does it explicitly on scratch
copies and records :attr:`CudaSession.compile_seconds`. This module imports only numpy and numba.
"""

from __future__ import annotations

import importlib.util
import time
from typing import Any

import numpy as np
import numpy.typing as npt

from kernels.cuda.presence import cuda_absent
from kernels.layout import n_params, offsets
from kernels.paths import TILED  # the one kernel path: tiled products (kernels.cuda.kernels)
from kernels.session import TRAIN, VAL, Array, BackendInfo, IntArray

EVAL_CHUNK = 1024  # rows per evaluation block
INSTALL_HINT = (
    "run on a machine with an NVIDIA GPU and driver, with the extra: pip install 'mlpbench[cuda]'"
)


def device_problem() -> str | None:
    """Why the ``cuda`` backend cannot run here (one line), or None when it can.

    True under the CUDA simulator (``NUMBA_ENABLE_CUDASIM=1``) even without a GPU.
    """
    absent = cuda_absent()
    if absent is not None:
        return f"no CUDA device was found ({absent}); {INSTALL_HINT}"
    cuda: Any = importlib.import_module("numba.cuda")
    if not cuda.is_available():
        return f"no CUDA device was found (numba.cuda.is_available() is False); {INSTALL_HINT}"
    return None


class CudaSession:
    """One network shape on the GPU: parameters, velocity, data and workspace on the device.

    ``sizes``: layer sizes; ``dtype``: ``"float32"`` or ``"float64"``; ``mini_batch``: samples
    per update; ``threads`` is ignored (the GPU decides); ``hidden``/``output``: activation and
    cost codes (:mod:`kernels.layout`); ``path``: ``"tiled"`` (or None, the same);
    ``warm_up``: compile the kernels in :meth:`upload`, timed as ``compile_seconds``
    (False, the default: on first use; the harness times its own warm-up call).
    ``info`` and ``kernel`` are what :func:`kernels.open_session` passes (descriptor, module;
    ``info`` defaults to the registered ``cuda`` descriptor).
    """

    def __init__(
        self,
        info: BackendInfo | None = None,
        kernel: Any = None,
        *,
        sizes: npt.ArrayLike,
        dtype: str | np.dtype[Any],
        mini_batch: int,
        threads: int = 1,
        hidden: int,
        output: int,
        path: str | None = None,
        warm_up: bool = False,
    ) -> None:
        from kernels import backend_info

        self.info = info if info is not None else backend_info("cuda")
        if path not in (None, TILED):
            raise ValueError(f"unknown kernel path {path!r} for the cuda backend; use {TILED!r}")
        problem = device_problem()
        if problem:
            raise RuntimeError(problem)
        from kernels.cuda.kernels import kernel_set

        cuda: Any = importlib.import_module("numba.cuda")
        self._cuda = cuda
        self.sizes = [int(s) for s in np.asarray(sizes).ravel()]
        self.dtype = np.dtype(dtype)
        self.mini_batch = int(mini_batch)
        self.hidden, self.output = int(hidden), int(output)
        self.k = kernel_set(self.dtype.name)
        self.transfer_seconds = 0.0
        self.compile_seconds = 0.0
        self._offsets = offsets(self.sizes)
        rows = max(self.mini_batch, EVAL_CHUNK)
        self._acts = [cuda.device_array((rows, s), dtype=self.dtype) for s in self.sizes[1:]]
        self._deltas = [cuda.device_array((rows, s), dtype=self.dtype) for s in self.sizes[1:]]
        self._out = cuda.device_array((rows, self.sizes[-1]), dtype=self.dtype)
        self._params: Any = None
        self._vel: Any = None
        self._data: dict[str, tuple[Any, Any]] = {}
        self._order: Any = cuda.to_device(np.zeros(1, dtype=np.int64))
        self._cost: Any = None
        self._correct: Any = None
        self._compiled = not warm_up

    def _to_device(self, a: npt.NDArray[Any]) -> Any:
        t = time.perf_counter()
        d = self._cuda.to_device(np.ascontiguousarray(a))
        self._cuda.synchronize()
        self.transfer_seconds += time.perf_counter() - t
        return d

    def _to_host(self, d: Any) -> npt.NDArray[Any]:
        t = time.perf_counter()
        a: npt.NDArray[Any] = d.copy_to_host()
        self.transfer_seconds += time.perf_counter() - t
        return a

    def load(self, params: Array, velocity: Array) -> None:
        """Copy the flat parameters and velocity (kernels.layout) to the device."""
        if params.shape != (n_params(self.sizes),) or velocity.shape != params.shape:
            raise ValueError(f"params/velocity must be flat arrays of {n_params(self.sizes)}")
        self._params = self._to_device(params.astype(self.dtype, copy=False))
        self._vel = self._to_device(velocity.astype(self.dtype, copy=False))

    def upload(self, X: Array, y: IntArray, X_val: Array, y_val: IntArray) -> None:
        """Copy the training and validation data to the device once; compile the kernels."""
        self._data = {
            TRAIN: (self._to_device(X.astype(self.dtype, copy=False)), self._to_device(y)),
            VAL: (self._to_device(X_val.astype(self.dtype, copy=False)), self._to_device(y_val)),
        }
        rows = max(len(X), len(X_val), 1)
        self._cost = self._cuda.device_array(rows, dtype=self.dtype)
        self._correct = self._cuda.device_array(rows, dtype=np.int32)
        if not self._compiled:
            self.warm_up()

    def warm_up(self) -> None:
        """Compile every kernel (first launch) on scratch copies; time it as compile_seconds."""
        t = time.perf_counter()
        params, vel = self._params, self._vel
        zeros = np.zeros(n_params(self.sizes), dtype=self.dtype)
        self._params, self._vel = self._cuda.to_device(zeros), self._cuda.to_device(zeros)
        if params is not None:
            self._params.copy_to_device(params)
        saved = self._order
        n = len(self._data[TRAIN][1])
        self._order = self._cuda.to_device(np.arange(n, dtype=np.int64))
        self._run_steps(0, 1, min(self.mini_batch, n), 0.0, 0.0, 0.0)
        self._forward_cost(VAL, 0, 1)
        self._cuda.synchronize()
        self._params, self._vel, self._order = params, vel, saved
        self._compiled = True
        self.compile_seconds += time.perf_counter() - t

    def set_order(self, order: IntArray) -> None:
        """Upload the sample order (int64 permutation of the training rows) for the next steps."""
        self._order = self._to_device(np.asarray(order, dtype=np.int64))

    def steps(
        self,
        start: int,
        n_steps: int,
        eta: float,
        lmbda_n: float,
        mu: float,
        batch: int | None = None,
    ) -> float:
        """Run ``n_steps`` updates of ``batch`` (default: the mini-batch) samples each, from
        ``order[start:]``; return their mean per-sample cost (before each update)."""
        m = self.mini_batch if batch is None else int(batch)
        if not 1 <= m <= self.mini_batch:
            raise ValueError(f"batch {m} is outside 1-{self.mini_batch} (the mini-batch)")
        if start < 0 or start + n_steps * m > len(self._order):
            raise ValueError(f"samples {start}-{start + n_steps * m} exceed the order")
        if n_steps <= 0:
            return 0.0
        self._run_steps(start, n_steps, m, eta, lmbda_n, mu)
        costs = self._to_host(self._cost[: n_steps * m])
        return float(costs.sum(dtype=np.float64)) / max(n_steps * m, 1)

    def _run_steps(
        self, start: int, n_steps: int, m: int, eta: float, lmbda_n: float, mu: float
    ) -> None:
        X, y = self._data[TRAIN]
        for s in range(n_steps):
            base = start + s * m
            self._forward(X, self._order, base, 1, m)
            self._output(y, self._order, base, 1, m, s * m)
            self._backward(m)
            self._update(X, base, m, eta, lmbda_n, mu)

    def _forward(self, X: Any, idx: Any, base: int, gather: int, m: int) -> None:
        from kernels.cuda.kernels import TILE, blocks

        last = len(self.sizes) - 2
        src, src_base, src_gather = X, base, gather
        for i, (w, b) in enumerate(self._offsets):
            n_in, n_out = self.sizes[i], self.sizes[i + 1]
            grid = (blocks(n_out, TILE), blocks(m, TILE))
            out = self._out if i == last else self._acts[i]
            self.k.forward[grid, (TILE, TILE)](
                src, idx, src_base, src_gather, m, self._params, w, b, n_in, n_out, out,
                self.hidden, i == last,
            )  # fmt: skip
            src, src_base, src_gather = out, 0, 0

    def _output(self, y: Any, idx: Any, base: int, gather: int, m: int, pos: int) -> None:
        from kernels.cuda.kernels import ROWS_PER_BLOCK, blocks

        self.k.output[blocks(m, ROWS_PER_BLOCK), ROWS_PER_BLOCK](
            self._out, y, idx, base, gather, m, self.sizes[-1], self.output, self._acts[-1],
            self._deltas[-1], self._cost, self._correct, pos,
        )  # fmt: skip

    def _backward(self, m: int) -> None:
        from kernels.cuda.kernels import TILE, blocks

        for i in range(len(self.sizes) - 2, 0, -1):
            n_in, n_out = self.sizes[i], self.sizes[i + 1]
            grid = (blocks(n_in, TILE), blocks(m, TILE))
            self.k.backward[grid, (TILE, TILE)](
                self._deltas[i], self._params, self._offsets[i][0], n_out, n_in,
                self._acts[i - 1], m, self._deltas[i - 1], self.hidden,
            )  # fmt: skip

    def _update(self, X: Any, base: int, m: int, eta: float, lmbda_n: float, mu: float) -> None:
        from kernels.cuda.kernels import TILE, blocks

        for i, (w, b) in enumerate(self._offsets):
            n_in, n_out = self.sizes[i], self.sizes[i + 1]
            src, src_base, gather = (X, base, 1) if i == 0 else (self._acts[i - 1], 0, 0)
            grid = (blocks(n_in + 1, TILE), blocks(n_out, TILE))
            self.k.grad_update[grid, (TILE, TILE)](
                self._deltas[i], src, self._order, src_base, gather, m, self._params,
                self._vel, w, b, n_out, n_in, (float(eta), float(lmbda_n), float(mu)),
            )  # fmt: skip

    def _forward_cost(self, split: str, row0: int, m: int) -> None:
        X, y = self._data[split]
        self._forward(X, self._order, row0, 0, m)
        self._output(y, self._order, row0, 0, m, row0)

    def evaluate(self, split: str = VAL, n: int | None = None) -> tuple[int, float]:
        """(number correct, summed per-sample cost) over the first ``n`` rows of ``split``."""
        if split not in self._data:
            raise ValueError(f"unknown split {split!r}; use 'train' or 'val' after upload()")
        total = len(self._data[split][1])
        n = total if n is None else min(int(n), total)
        if n <= 0:
            return 0, 0.0
        for row0 in range(0, n, EVAL_CHUNK):
            self._forward_cost(split, row0, min(EVAL_CHUNK, n - row0))
        costs = self._to_host(self._cost[:n])
        correct = self._to_host(self._correct[:n])
        return int(correct.sum()), float(costs.sum(dtype=np.float64))

    def synchronize(self) -> None:
        """Wait for every queued kernel and copy on the device."""
        self._cuda.synchronize()

    def to_host(self) -> tuple[Array, Array]:
        """Host copies of the parameters and velocity."""
        return self._to_host(self._params), self._to_host(self._vel)


Session = CudaSession  # the name kernels.open_session looks for
