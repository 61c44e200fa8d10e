"""CPU-vs-GPU training throughput of [784, 30, 10] by mini-batch size: one run, one table.

Usage: ``python scripts/cuda_throughput.py [--dtype float32] [--out table.md]``. For each
mini-batch size (1, 10, 100, 1,000, 10,000) it times the fused training call of the CPU
backends (``numba`` on one thread, ``numba-parallel`` on every core, each on its documented
default kernel path) and of the ``cuda`` backend (device synchronised inside the timed
region), on the same synthetic MNIST-shaped data and the same sample order, best of three,
and prints a Markdown table of samples per second with the GPU's speed-up over the faster
CPU backend. Compile times are left out of the timings and printed apart, with the GPU
record (model, driver, CUDA versions, tiled-GEMM peak). Written for ``scripts/gpu-check.sh``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.gpu import gpu_record
from kernels import load_backend
from kernels.call import Codes, Data, Net, Rule, Steps
from kernels.cuda.session import CudaSession, device_problem
from kernels.layout import CROSS_ENTROPY, SIGMOID, init_params, sizes_array
from kernels.paths import default_path

SIZES = (784, 30, 10)
MINI_BATCHES = (1, 10, 100, 1000, 10_000)
ETA, LMBDA_N, MU = 0.1, 1e-4, 0.0
REPEATS = 3


def n_steps(mb: int) -> int:
    """Steps per timed call: about 20,000 samples, at least 2 and at most 2,000 steps."""
    return max(2, min(2000, 20_000 // mb))


def cpu_rate(name: str, threads: int, X: Any, y: Any, order: Any, mb: int, dtype: str) -> float:
    """Samples per second of backend ``name`` on ``threads`` threads (best of REPEATS)."""
    import numba

    kernel = load_backend(name)
    if name == "numba-parallel":
        numba.set_num_threads(threads)
    path = default_path(name, mb, threads)
    sizes = sizes_array(SIZES)
    params = init_params(SIZES, "default", np.random.default_rng(0), dtype)
    velocity = np.zeros_like(params)
    work = np.empty(kernel.workspace_size(sizes, mb), dtype=dtype)
    steps = n_steps(mb)
    net, data = Net(params, velocity, work), Data(X, y, order)
    rule, codes = Rule(ETA, LMBDA_N, MU), Codes(SIGMOID, CROSS_ENTROPY)
    t = time.perf_counter()
    kernel.train_steps(net, sizes, data, Steps(0, 1, mb), rule, codes, path=path)
    print(f"  {name} mb={mb} path={path}: first call {time.perf_counter() - t:.1f} s", flush=True)
    best = float("inf")
    for _ in range(REPEATS):
        t = time.perf_counter()
        kernel.train_steps(net, sizes, data, Steps(0, steps, mb), rule, codes, path=path)
        best = min(best, time.perf_counter() - t)
    return steps * mb / best


def gpu_rate(X: Any, y: Any, order: Any, mb: int, dtype: str) -> tuple[float, float, float]:
    """(samples/s, compile seconds, transfer seconds) of the cuda backend (best of REPEATS)."""
    params = init_params(SIZES, "default", np.random.default_rng(0), dtype)
    s = CudaSession(
        sizes=SIZES, dtype=dtype, mini_batch=mb, hidden=SIGMOID, output=CROSS_ENTROPY, warm_up=True
    )
    s.load(params, np.zeros_like(params))
    s.upload(X, y, X[:1000], y[:1000])  # compiles every kernel, timed apart
    s.set_order(order)
    steps = n_steps(mb)
    best = float("inf")
    for _ in range(REPEATS):
        t = time.perf_counter()
        s.steps(0, steps, ETA, LMBDA_N, MU)
        s.synchronize()
        best = min(best, time.perf_counter() - t)
    return steps * mb / best, s.compile_seconds, s.transfer_seconds


def main() -> int:
    """Run the comparison and print (and optionally save) the Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dtype", default="float32", choices=("float32", "float64"))
    parser.add_argument("--out", help="also write the table to this Markdown file")
    args = parser.parse_args()
    problem = device_problem()
    if problem:
        print(f"cuda_throughput: {problem}", file=sys.stderr)
        return 2
    dtype = args.dtype
    rng = np.random.default_rng(0)
    n = max(MINI_BATCHES) * 2 + 1000
    X = rng.random((n, SIZES[0])).astype(dtype)
    y = rng.integers(0, SIZES[-1], n).astype(np.int64)
    order = rng.permutation(n).astype(np.int64)
    cores = os.cpu_count() or 1
    print("GPU:", gpu_record(dtype), flush=True)
    head = (
        f"| mini-batch | numba (1 thread) | numba-parallel ({cores} threads) | cuda "
        "| cuda ÷ best CPU |"
    )
    rows = [head, "|---:|---:|---:|---:|---:|"]
    for mb in MINI_BATCHES:
        serial = cpu_rate("numba", 1, X, y, order, mb, dtype)
        parallel = cpu_rate("numba-parallel", cores, X, y, order, mb, dtype)
        gpu, compile_s, transfer_s = gpu_rate(X, y, order, mb, dtype)
        print(
            f"  cuda mb={mb}: compile {compile_s:.1f} s, transfers {transfer_s:.3f} s", flush=True
        )
        ratio = gpu / max(serial, parallel)
        rows.append(f"| {mb:,} | {serial:,.0f} | {parallel:,.0f} | {gpu:,.0f} | {ratio:.2f}× |")
    table = "\n".join(
        [f"Training samples/s, {list(SIZES)}, {dtype}, best of {REPEATS} (one run):", "", *rows]
    )
    print(table)
    if args.out:
        tmp = Path(args.out).with_suffix(".tmp")
        tmp.write_text(table + "\n")
        tmp.replace(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
