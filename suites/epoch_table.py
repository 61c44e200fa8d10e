"""Seconds per epoch of 50,000 synthetic samples, [784, 30, 10], per backend, dtype, mini-batch.

The foundation issue's kernel table, as one script run (so every number shares one machine
state): ``python -m suites.epoch_table [--out results/benchmarks/epoch-table.md]``.

Single-thread rows run under ``threadpool_limits(1)`` (numpy's OpenBLAS and SciPy's, which
``np.dot`` inside Numba calls); ``numba-parallel`` runs with 2 Numba threads. Cross-entropy,
sigmoid, η = 0.5, λ/n = 5/50,000, μ = 0. Each cell is the median of 3 epochs (1 for the
numpy reference below mini-batch 100) after a compiling warm-up call; compile time from a
cold cache is measured apart, in a subprocess with an empty ``NUMBA_CACHE_DIR``. GFLOP/s use
:func:`kernels.layout.flops_per_sample` and :func:`kernels.layout.flops_per_update`; the
peak is numpy's 2000×2000 matmul in the same dtype and thread count.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numba
import numpy as np
from threadpoolctl import threadpool_limits

from bench.cpu_identity import cpu_model
from bench.machine import gemm_peak_gflops
from bench.results import atomic_write_text
from kernels import layout, open_session

SIZES = [784, 30, 10]
N = 50_000
BATCHES = (1, 10, 100, 1000)
# (backend, threads, epochs timed below mini-batch 100: the numpy reference is slow there)
ROWS = (("numpy", 1, 1), ("numba", 1, 3), ("numba-parallel", 2, 3))

_COMPILE = r"""
import json, sys, time
import numpy as np
from kernels import layout, load_backend
from kernels.call import Codes, Data, Net, Rule, Steps
k = load_backend(sys.argv[1])
out = {}
for dt in ("float64", "float32"):
    rng = np.random.default_rng(0)
    sz = layout.sizes_array([784, 30, 10])
    X = rng.random((40, 784)).astype(dt); y = rng.integers(0, 10, 40).astype(np.int64)
    order = np.arange(40, dtype=np.int64)
    p = layout.init_params([784, 30, 10], "default", rng, dt); v = np.zeros_like(p)
    w = np.empty(k.workspace_size(sz, 10), dt)
    t = time.perf_counter()
    k.train_steps(Net(p, v, w), sz, Data(X, y, order), Steps(0, 2, 10), Rule(0.5, 1e-4, 0.0),
                  Codes(0, 0))
    k.evaluate(p, w, sz, X, y, 10, 0, 0)
    out[dt] = time.perf_counter() - t
print(json.dumps(out))
"""


def cold_compile_seconds(backend: str) -> dict[str, float]:
    """First-call seconds (train_steps + evaluate) per dtype with an empty Numba cache."""
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        proc = subprocess.run(
            [sys.executable, "-c", _COMPILE, backend],
            env=env, capture_output=True, text=True, check=True,
        )  # fmt: skip
    result: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def epoch_seconds(backend: str, dtype: str, mini_batch: int, repeats: int = 3) -> float:
    """Median seconds of one fused epoch of N samples (compiled before timing), over
    ``repeats`` epochs (3 from mini-batch 100 on)."""
    rng = np.random.default_rng(1)
    X = rng.random((N, SIZES[0])).astype(dtype)
    y = rng.integers(0, SIZES[-1], N).astype(np.int64)
    params = layout.init_params(SIZES, "default", rng, dtype)
    session = open_session(backend, sizes=tuple(SIZES), dtype=dtype, mini_batch=mini_batch,
                           hidden=0, output=0)  # fmt: skip
    session.load(params, np.zeros_like(params))
    session.upload(X, y, X[:0], y[:0])
    session.set_order(rng.permutation(N).astype(np.int64))
    scalars = (0.5, 5.0 / N, 0.0)
    session.steps(0, 2, *scalars)
    session.synchronize()
    times = []
    for _ in range(repeats if mini_batch < 100 else 3):
        t = time.perf_counter()
        session.steps(0, N // mini_batch, *scalars)
        session.synchronize()
        times.append(time.perf_counter() - t)
    if not np.isfinite(session.to_host()[0]).all():
        raise RuntimeError(f"{backend} {dtype} mb {mini_batch}: non-finite parameters")
    return statistics.median(times)


def table() -> str:
    """The whole measurement as a Markdown document."""
    compile_s = {b: cold_compile_seconds(b) for b in ("numba", "numba-parallel")}
    peak = {(d, t): gemm_peak_gflops(d, t) for d in ("float64", "float32") for t in (1, 2)}
    lines = [
        f"Machine: {cpu_model()}, {os.cpu_count()} cores; numba {numba.__version__}, "
        f"numpy {np.__version__}. GEMM peak GFLOP/s: "
        + ", ".join(f"{d} {t} thr {v:.1f}" for (d, t), v in peak.items()),
        "",
        "| dtype | mini-batch | backend | threads | s/epoch | GFLOP/s | of peak (1 thr / 2 thr) |",
        "|---|---:|---|---:|---:|---:|---|",
    ]
    for dtype in ("float64", "float32"):
        for mb in BATCHES:
            flops = N * layout.flops_per_sample(SIZES) + (N // mb) * layout.flops_per_update(SIZES)
            for backend, threads, repeats in ROWS:
                numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
                with threadpool_limits(1):
                    seconds = epoch_seconds(backend, dtype, mb, repeats)
                gflops = flops / seconds / 1e9
                frac = f"{gflops / peak[(dtype, 1)]:.0%}"
                if threads == 2:
                    frac += f" / {gflops / peak[(dtype, 2)]:.0%}"
                lines.append(f"| {dtype} | {mb} | {backend} | {threads} | {seconds:.3f} | "
                             f"{gflops:.1f} | {frac} |")  # fmt: skip
                print(lines[-1], file=sys.stderr, flush=True)
    lines.append("")
    for backend, per_dtype in compile_s.items():
        lines.append(f"Cold-cache first call (train_steps + evaluate), {backend}: "
                     + ", ".join(f"{d} {s:.1f} s" for d, s in per_dtype.items()))  # fmt: skip
    return "\n".join(lines) + "\n"


def main() -> None:
    """Print the table, and save it with ``--out PATH``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="also write the Markdown here")
    args = parser.parse_args()
    text = table()
    print(text)
    if args.out is not None:
        atomic_write_text(args.out, text)


if __name__ == "__main__":
    main()
