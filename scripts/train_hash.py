"""Print one SHA-256 of the weights and costs of the "560-training" grid: a bit check.

Every kernel path of the Numba backends (``numba`` and ``numba-parallel`` on two threads,
each with its candidates of :func:`kernels.paths.candidates`) × hidden sigmoid/tanh ×
μ 0/0.5 × float32/float64 × sizes [784, 30, 10] / [40, 30, 20, 10] × mini-batch
10/100/300 (560 trainings), plus ``fused-mb1`` at mini-batch 1 on both backends (32 more).
Each training: fixed-seed synthetic data and weights, three full mini-batches and a
ragged one, L2 with a weight-scale threshold high enough that the scale is folded back
several times; then ``evaluate`` on the training set. The hash covers the final weights and
velocities, every returned cost, the renormalisation counts and the evaluation.

A change to the kernels that must not change results (a refactor) is checked by running
this before and after: the printed hash must be identical. ``--per-path`` also prints one
hash per (backend, path), to find which path moved. Usage::

    NUMBA_NUM_THREADS=2 python scripts/train_hash.py [--per-path]
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import struct
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kernels import layout, load_backend
from kernels.call import Codes, Data, Net, Rule, Steps
from kernels.paths import FUSED_MB1, candidates

BACKENDS = ("numba", "numba-parallel")
THREADS = 2
HIDDEN = (layout.SIGMOID, layout.TANH)
MUS = (0.0, 0.5)
DTYPES = (np.float32, np.float64)
SIZES = ((784, 30, 10), (40, 30, 20, 10))
MINI_BATCHES = (10, 100, 300)
ETA = 0.5
LMBDA_N = 0.01  # decay factor 1 - ETA·LMBDA_N = 0.995 per update
RENORM_BELOW = 0.98  # the weight scale is folded back every few updates (μ = 0)


def grid() -> list[tuple[str, str, int, int, float, type, tuple[int, ...]]]:
    """Every training of the grid: (backend, path, mini-batch, hidden, μ, dtype, sizes)."""
    out = []
    for backend, mb in itertools.product(BACKENDS, MINI_BATCHES):
        for path in candidates(backend, mb, THREADS):
            for h, mu, dt, s in itertools.product(HIDDEN, MUS, DTYPES, SIZES):
                out.append((backend, path, mb, h, mu, dt, s))
    for backend in BACKENDS:
        for h, mu, dt, s in itertools.product(HIDDEN, MUS, DTYPES, SIZES):
            out.append((backend, FUSED_MB1, 1, h, mu, dt, s))
    return out


def train_bytes(
    backend: str,
    path: str,
    mb: int,
    hidden: int,
    mu: float,
    dtype: type,
    sizes: tuple[int, ...],
    evaluate: bool = True,
) -> bytes:
    """The bytes one training of the grid leaves: weights, velocity, costs, renorms and
    (with ``evaluate``) the evaluation."""
    k = load_backend(backend)
    rng = np.random.default_rng(20)
    ragged = mb // 3 + 1
    n = 3 * mb + ragged
    sz = layout.sizes_array(sizes)
    params = layout.init_params(list(sizes), "default", rng, dtype)
    velocity = np.zeros_like(params)
    X = rng.random((n, sizes[0])).astype(dtype)
    y = rng.integers(0, sizes[-1], n).astype(np.int64)
    order = rng.permutation(n).astype(np.int64)
    work = np.zeros(k.workspace_size(sz, mb), dtype)
    out = []
    net, data = Net(params, velocity, work), Data(X, y, order)
    rule, codes = Rule(ETA, LMBDA_N, mu), Codes(hidden, layout.CROSS_ENTROPY)
    for run in ((0, 3, mb), (3 * mb, 1, ragged)):
        info: dict[str, int] = {}
        cost = k.train_steps(
            net, sz, data, Steps(*run), rule, codes, path, renorm_below=RENORM_BELOW, info=info
        )
        out.append(struct.pack("<dq", cost, info.get("renorms", -1)))
    if evaluate:
        correct, cost_sum = k.evaluate(params, work, sz, X, y, mb, hidden, layout.CROSS_ENTROPY)
        out.append(struct.pack("<qd", correct, cost_sum))
    return params.tobytes() + velocity.tobytes() + b"".join(out)


def main() -> int:
    """Run the grid; print the hash (and per-path hashes with ``--per-path``)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--per-path", action="store_true", help="also one hash per (backend, path)")
    ap.add_argument("--progress", action="store_true", help="a line per training on stderr")
    ap.add_argument(
        "--no-eval",
        action="store_true",
        help="leave the evaluation out (training bits across an evaluation change)",
    )
    args = ap.parse_args()
    import numba

    if numba.config.NUMBA_NUM_THREADS < THREADS:  # type: ignore[attr-defined]
        print(f"needs NUMBA_NUM_THREADS >= {THREADS}", file=sys.stderr)
        return 2
    numba.set_num_threads(THREADS)
    total = hashlib.sha256()
    per: dict[tuple[str, str], hashlib._Hash] = {}
    runs = grid()
    for i, case in enumerate(runs):
        b = train_bytes(*case, evaluate=not args.no_eval)
        total.update(b)
        per.setdefault((case[0], case[1]), hashlib.sha256()).update(b)
        if args.progress:
            print(f"{i + 1}/{len(runs)} {case[0]} {case[1]} mb {case[2]}", file=sys.stderr)
    if args.per_path:
        for (backend, path), h in per.items():
            print(f"{backend:15} {path:14} {h.hexdigest()[:16]}")
    print(f"{len(runs)} trainings: {total.hexdigest()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
