"""Loading cost and training speed against data size (synthetic, float32, 784-30-10).

``python -m suites.data_scale [--sizes 50000 200000 1000000] [--cache DIR]`` runs
``mlpbench train --dataset synthetic --synthetic-size 1.2N --train-size N --dtype float32
--epochs 1`` for each N twice, in a fresh process each time: first with an empty data
cache (sets of 512 MiB or more are generated and written as memory maps), then again
(mapped from the cache). For each run it prints the wall seconds, the trial's training
samples/s, the process's peak resident memory (``wait4`` rusage) and that peak over the
bytes of the final arrays (also less the baseline: a 1,000-row run, interpreter + Numba).
One validation checkpoint per epoch, so evaluation does not hide the loading time.
Timings are only meaningful on an idle machine.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run_once(n_train: int, cache: Path, out: Path) -> dict[str, float]:
    """One ``mlpbench train`` process: wall seconds, samples/s, peak RSS bytes."""
    n_total = n_train * 6 // 5
    argv = [sys.executable, "-m", "bench.cli.main", "train", "--dataset", "synthetic",
            "--synthetic-size", str(n_total), "--train-size", str(n_train), "--dtype",
            "float32", "--epochs", "1", "--monitor-every", str(n_train), "--quiet",
            "--no-plot", "--json", str(out)]  # fmt: skip
    start = time.perf_counter()
    env = os.environ | {"MLPBENCH_CACHE": str(cache)}
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(argv)} failed")
    summary = json.loads(out.read_text())["trials"][0]["summary"]
    data_bytes = (n_train + n_total // 5) * (784 * 4 + 8)
    return {"wall": wall, "sps": summary["samples_per_second"],
            "train": summary["train_seconds"], "peak": usage.ru_maxrss * 1024.0,
            "data": float(data_bytes)}  # fmt: skip


def main() -> None:
    """Print one table row per (size, cold/warm cache)."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[50_000, 200_000, 1_000_000])
    p.add_argument("--cache", type=Path, default=None, help="data cache (default: a temp dir)")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cache = args.cache or Path(tmp) / "cache"
        base = run_once(1000, cache, Path(tmp) / "base.json")
        print(f"baseline (1,000 rows): peak {base['peak'] / 2**20:,.0f} MiB")
        print(
            "n_train | cache | data MiB | wall s | train s | samples/s | peak MiB | "
            "peak/data | (peak-baseline)/data"
        )
        for n in args.sizes:
            for label in ("cold", "warm"):
                r = run_once(n, cache, Path(tmp) / f"{n}-{label}.json")
                print(f"{n:>9,} | {label} | {r['data'] / 2**20:8,.0f} | {r['wall']:6.1f} | "
                      f"{r['train']:7.2f} | {r['sps']:9,.0f} | {r['peak'] / 2**20:8,.0f} | "
                      f"{r['peak'] / r['data']:.2f} | "
                      f"{(r['peak'] - base['peak']) / r['data']:.2f}", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
