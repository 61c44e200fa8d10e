"""Measure the per-ISA default kernel paths (``kernels.paths.ISA_DEFAULTS``) on this machine.

Runs ``mlpbench kernels tune`` (every candidate path, interleaved, best of the repeats) for
[784, 30, 10], float64 and float32, mini-batch 1, 10, 100 and 1000, ``numba`` on one thread
and ``numba-parallel`` on two, once for each ISA class this CPU can stand for:

* ``native``: the code Numba generates for this CPU (``avx512`` on an AVX-512 machine);
* ``avx2`` (only on an AVX-512 machine): Numba told to compile for Haswell with every
  AVX-512/AMX feature off (``NUMBA_CPU_NAME=haswell``, ``NUMBA_CPU_FEATURES``) and OpenBLAS
  on its Haswell kernels (``OPENBLAS_CORETYPE=Haswell``), so the AVX2 table can be measured
  on the same machine.

For each class it writes the evidence (every candidate's samples/s per shape, the CPU and
the command) to ``OUT/<class>.json`` and prints the bands of ``ISA_DEFAULTS`` to paste into
``kernels/paths.py``: per mini-batch, the path with the best geometric mean over the dtypes
of its share of the fastest, and as close runners-up every path within ``CLOSE`` of it in
some dtype (those are timed at first use of a shape). Run it on an idle machine; several
minutes per class on 2 cores, most of it compiling::

    python scripts/measure_isa_defaults.py --out results/kernel-defaults
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kernels.paths import CLOSE, candidates, isa_class, target_cpu  # noqa: E402

BATCHES = (1, 10, 100, 1000)
BAND_FROM = {1: 1, 10: 2, 100: 32, 1000: 316}  # geometric midpoints between the batches
KINDS = {"serial": ("numba", 1), "split": ("numba-parallel", 2)}
WIDE = ("avx512", "amx", "avx10", "evex512")  # features an AVX2 (Haswell-class) CPU lacks


def avx2_env() -> dict[str, str]:
    """Environment that makes Numba and OpenBLAS generate/run AVX2 code on this CPU."""
    features = ",".join(
        ("-" if f.startswith(WIDE) else "+") + f for f in target_cpu()[1]
    )  # every enabled feature, the wide ones switched off
    return {"NUMBA_CPU_NAME": "haswell", "NUMBA_CPU_FEATURES": features,
            "OPENBLAS_CORETYPE": "Haswell"}  # fmt: skip


def tune(extra_env: dict[str, str], repeats: int, samples: int) -> tuple[dict[str, Any], list[str]]:
    """Run ``mlpbench kernels tune`` in a fresh process; its tuning file's choices."""
    with tempfile.TemporaryDirectory() as tmp:
        file = Path(tmp) / "wisdom.json"
        cmd = [sys.executable, "-m", "bench.cli", "kernels", "tune", "--backend",
               "numba,numba-parallel", "--threads", "1,2", "--sizes", "784,30,10", "--dtype",
               "float64,float32", "--batch-sizes", ",".join(map(str, BATCHES)), "--repeats",
               str(repeats), "--samples", str(samples), "--file", str(file)]  # fmt: skip
        env = dict(os.environ, **extra_env)
        env.pop("NUMBA_DISABLE_JIT", None)
        subprocess.run(cmd, env=env, cwd=ROOT, check=True)
        return json.loads(file.read_text())["choices"], cmd


def bands(choices: dict[str, Any], kind: str) -> list[tuple[int, str, tuple[str, ...]]]:
    """The ``ISA_DEFAULTS`` bands of one kind from a tune's choices (see the module doc)."""
    backend, threads = KINDS[kind]
    out = []
    for mb in BATCHES:
        rates = [choices[f"{backend}|784x30x10|{dt}|t{threads}|mb{mb}"]["samples_per_s"]
                 for dt in ("float64", "float32")]  # fmt: skip
        paths = [p for p in candidates(backend, mb, threads) if all(p in r for r in rates)]
        share = {p: math.prod(r[p] / max(r.values()) for r in rates) ** (1 / len(rates))
                 for p in paths}  # fmt: skip
        best = max(paths, key=share.__getitem__)
        close = tuple(sorted(
            (p for p in paths if p != best and any(r[p] >= (1 - CLOSE) * r[best] for r in rates)),
            key=share.__getitem__, reverse=True,
        ))  # fmt: skip
        out.append((BAND_FROM[mb], best, close))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default="results/kernel-defaults", help="folder for the evidence")
    ap.add_argument("--repeats", type=int, default=5, help="rounds per shape (default 5)")
    ap.add_argument("--samples", type=int, default=20000, help="samples per timed call")
    ap.add_argument("--only", choices=("native", "avx2"), help="measure one class only")
    args = ap.parse_args()
    from bench.cpu_identity import cpu_model
    from bench.results import atomic_write_text

    runs = {"native": {}, "avx2": avx2_env()}
    if isa_class() != "avx512":
        runs.pop("avx2")  # already AVX2 (or other): native is the only class measurable
    if args.only:
        runs = {k: v for k, v in runs.items() if k == args.only}
    out = Path(args.out)
    for name, env in runs.items():
        isa = isa_class() if name == "native" else "avx2"
        choices, cmd = tune(env, args.repeats, args.samples)
        table = {kind: bands(choices, kind) for kind in KINDS}
        doc = {"isa_class": isa, "cpu": cpu_model(), "llvm_cpu": env.get("NUMBA_CPU_NAME")
               or target_cpu()[0], "env": env, "command": cmd, "close": CLOSE,
               "bands": table, "choices": choices}  # fmt: skip
        atomic_write_text(out / f"{isa}.json", json.dumps(doc, indent=1, sort_keys=True) + "\n")
        print(
            f"\n# {isa}: measured on {cpu_model()} ({doc['llvm_cpu']}); evidence {out}/{isa}.json"
        )
        print(f'    "{isa}": {{')
        for kind, rows in table.items():
            print(f'        "{kind}": {tuple(rows)!r},')
        print("    },")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
