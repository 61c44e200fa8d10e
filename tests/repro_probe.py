"""Subprocess driver of the cold-vs-warm cache test: train, print a digest of every result.

Run as ``python tests/repro_probe.py [backend ...]``; prints one JSON object: ``digests``
maps ``backend/dtype/mini_batch`` to the hex digest of the final parameters, velocity, the
per-call costs and an evaluation; ``cache`` counts the entry kernels loaded from the on-disk
cache (``hits``) and compiled in this process (``misses``). Used by
:mod:`tests.test_reproducible` in fresh processes.
"""

from __future__ import annotations

import hashlib
import json
import sys

import numpy as np

from kernels import layout, load_backend
from kernels.call import Codes, Data, Net, Rule, Steps
from kernels.numba.specialise import made

MINI_BATCHES = (1, 10, 100, 130)


# Paths that are not a default at these sizes, checked too: (backend, path, mini-batches)
EXTRA_PATHS = (("numba", "regtile", (10, 130)), ("numba-parallel", "split-regtile", (100,)))


def digest(name: str, dtype: type, mb: int, path: str | None = None) -> str:
    """Hex digest of params, velocity and costs after a few ``train_steps`` calls."""
    rng = np.random.default_rng(0)
    sizes = [20, 9, 5]
    n = 400
    X = rng.random((n, sizes[0])).astype(dtype)
    y = rng.integers(0, sizes[-1], n).astype(np.int64)
    order = np.concatenate([rng.permutation(n) for _ in range(4)]).astype(np.int64)
    params = layout.init_params(sizes, "default", rng, dtype)
    velocity = np.zeros_like(params)
    be = load_backend(name)
    sz = layout.sizes_array(sizes)
    work = np.zeros(be.workspace_size(sz, mb), dtype=dtype)
    h = hashlib.sha256()
    n_steps = max(1, 600 // mb)
    for mu in (0.0, 0.5):
        cost = be.train_steps(
            Net(params, velocity, work), sz, Data(X, y, order), Steps(0, n_steps, mb),
            Rule(0.1, 0.001, mu), Codes(0, 0), path,
        )  # fmt: skip
        h.update(np.float64(cost).tobytes())
    c, s = be.evaluate(
        params, work if mb >= 64 else np.zeros(be.workspace_size(sz, 64), dtype), sz, X, y, 64, 0, 0
    )
    h.update(params.tobytes() + velocity.tobytes() + np.float64(s).tobytes() + str(c).encode())
    return h.hexdigest()[:16]


def main(argv: list[str]) -> None:
    names = argv or ["numpy", "numba", "numba-parallel"]
    digests = {
        f"{n}/{np.dtype(dt).name}/{mb}": digest(n, dt, mb)
        for n in names
        for dt in (np.float32, np.float64)
        for mb in MINI_BATCHES
    }
    for n, path, mbs in EXTRA_PATHS:
        if n in names:
            for dt in (np.float32, np.float64):
                for mb in mbs:
                    digests[f"{n}/{path}/{np.dtype(dt).name}/{mb}"] = digest(n, dt, mb, path)
    hits = misses = 0
    for disp in made().values():  # every driver and evaluation kernel this process used
        stats = getattr(disp, "stats", None)
        if stats is not None:
            hits += sum(stats.cache_hits.values())
            misses += sum(stats.cache_misses.values())
    print(json.dumps({"digests": digests, "cache": {"hits": hits, "misses": misses}}))


if __name__ == "__main__":
    main(sys.argv[1:])
