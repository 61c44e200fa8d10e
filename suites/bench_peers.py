"""mlpbench against its peers: the same [784, 30, 10] network, data and hyper-parameters.

Peers (see :mod:`suites.peers`): mlpbench's ``numba`` and ``numba-parallel`` backends, its
``numpy`` reference, a Nielsen-style per-sample loop, PyTorch CPU eager and scikit-learn's
``MLPClassifier.partial_fit``, PyTorch also on one thread, and JAX (``jax.jit`` +
``lax.scan``, shuffled outside or inside the timed call); the optional ones are skipped
with a reason when not installed (``pip install -e '.[peers,jax]'``; tox installs neither).
The pinned one-core / two-thread table of issue 8 comes from
``python -m suites.peer_table`` (:mod:`suites.peer_table`). float32, mini-batch 1, 10,
100, 1000, on all cores (up to 2 threads: Numba's, and BLAS threads where the code calls
BLAS). One call trains ``--peer-samples`` rows (default 2,000); the published table uses
50,000, Nielsen's epoch::

    pytest suites/bench_peers.py --benchmark-only --peer-samples 50000 --peer-rounds 3 \\
        --benchmark-save peers
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pytest

from kernels.paths import default_path
from suites.conftest import synthetic
from suites.harness import (
    NIELSEN,
    Work,
    have_backend,
    missing,
    record,
    threads_limited,
    watched,
)
from suites.params import MINI_BATCHES
from suites.peers import JaxPeer, MlpbenchPeer, NielsenLoop, Peer, SklearnPeer, TorchPeer

DTYPE = "float32"
THREADS = min(2, os.cpu_count() or 1)

Factory = Callable[[np.ndarray, np.ndarray, int], Peer]
PEERS: dict[str, tuple[Factory, int, str | None]] = {
    # name: (factory(X, y, mini_batch), threads used, why it is skipped or None)
    "mlpbench-numba": (
        lambda X, y, mb: MlpbenchPeer("numba", X, y, NIELSEN, mb), THREADS,
        None if have_backend("numba") else "backend 'numba' is not here",
    ),
    "mlpbench-numba-parallel": (
        lambda X, y, mb: MlpbenchPeer("numba-parallel", X, y, NIELSEN, mb), THREADS,
        None if have_backend("numba-parallel") else "backend 'numba-parallel' is not here",
    ),
    "numpy-reference": (lambda X, y, mb: MlpbenchPeer("numpy", X, y, NIELSEN, mb), THREADS, None),
    "nielsen-loop": (lambda X, y, mb: NielsenLoop(X, y, NIELSEN, mb), THREADS, None),
    "pytorch-eager": (
        lambda X, y, mb: TorchPeer(X, y, NIELSEN, mb, THREADS), THREADS,
        missing("torch"),
    ),
    "pytorch-eager-1t": (
        lambda X, y, mb: TorchPeer(X, y, NIELSEN, mb, 1), 1,
        missing("torch"),
    ),
    "jax-jit-scan": (
        lambda X, y, mb: JaxPeer(X, y, NIELSEN, mb, "outside"), THREADS,
        missing("jax"),
    ),
    "jax-jit-scan-inside": (
        lambda X, y, mb: JaxPeer(X, y, NIELSEN, mb, "inside"), THREADS,
        missing("jax"),
    ),
    "sklearn": (
        lambda X, y, mb: SklearnPeer(X, y, NIELSEN, mb), THREADS,
        missing("sklearn"),
    ),
}  # fmt: skip
QUICK = {("mlpbench-numba", 10), ("nielsen-loop", 10), ("pytorch-eager", 10)}


def _grid() -> list[Any]:
    grid = []
    for name, (_factory, _threads, skip) in PEERS.items():
        for mb in MINI_BATCHES:
            marks: list[Any] = [pytest.mark.skipif(skip is not None, reason=skip or "")]
            if (name, mb) in QUICK:
                marks.append(pytest.mark.quick)
            grid.append(pytest.param(name, mb, marks=marks, id=f"{name}-mb{mb}"))
    return grid


@contextmanager
def pinned(on: bool) -> Iterator[None]:
    """Pin the process to one core while the body runs (one-thread peers), then restore."""
    before = os.sched_getaffinity(0) if on and hasattr(os, "sched_setaffinity") else None
    if before is not None:
        os.sched_setaffinity(0, {min(before)})
    try:
        yield
    finally:
        if before is not None:
            os.sched_setaffinity(0, before)


@pytest.mark.parametrize(("peer", "mini_batch"), _grid())
def test_peer(
    benchmark: Any, pytestconfig: pytest.Config, peak: Any, peer_samples: int, peer: str,
    mini_batch: int,
) -> None:  # fmt: skip
    """Seconds for one peer to train ``--peer-samples`` rows at ``mini_batch``."""
    benchmark.group = f"peers mb={mini_batch} {DTYPE}"
    factory, threads, _skip = PEERS[peer]
    data = synthetic(peer_samples, DTYPE)
    backend = peer.removeprefix("mlpbench-") if peer.startswith("mlpbench-") else None
    samples = (peer_samples // mini_batch) * mini_batch
    rounds = pytestconfig.getoption("peer_rounds")
    path = None if backend is None else default_path(backend, mini_batch, threads)
    with threads_limited(backend, threads, path), pinned(threads == 1):
        model = factory(data.X_train, data.y_train, mini_batch)
        prepare = getattr(model, "prepare", None)
        if prepare is not None:  # JAX: gather and compile for this epoch length, untimed
            prepare(samples)
        else:  # compile and warm up on a throwaway model, untimed
            factory(data.X_train, data.y_train, mini_batch).fit(2 * mini_batch)
        with watched(benchmark):  # the machine's state and verdict into extra_info
            if rounds:
                benchmark.pedantic(model.fit, args=(samples,), rounds=int(rounds), iterations=1)
            else:
                benchmark(model.fit, samples)
    record(
        benchmark, Work(sizes=NIELSEN, samples=samples, updates=samples // mini_batch),
        peak_gflops=peak(DTYPE, threads), dtype=DTYPE, threads=threads, peer=peer,
        mini_batch=mini_batch,
    )  # fmt: skip
