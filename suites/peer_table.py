"""Issue 8's peers table: mlpbench's best path vs every peer's best configuration, one run.

::

    python -m suites.peer_table --out results/benchmarks/peers-by-core.md

For float32 and float64 × mini-batch 1, 10, 100, 1000, in two modes — ``pinned``: the whole
process pinned to one core (``os.sched_setaffinity`` before numpy, PyTorch or JAX start
their thread pools), one thread everywhere; ``2-threads``: two cores, two threads — it
times (best of ``--repeats`` calls after an untimed warm-up, on ``--samples`` synthetic
rows of [784, 30, 10], sigmoid + cross-entropy, L2, no momentum; within a cell the
configurations take turns, one timed call each a round, so the machine's slow spells fall
on all of them alike, see :func:`best_rates`):

* mlpbench: every kernel path of ``numba`` (and ``numba-parallel`` on two threads) through
  the public ``train_steps``; the fastest is its figure, named in the table;
* the numpy reference at its best OpenBLAS core type (the one the ``mlpbench`` command
  runs, :mod:`bench.blas_coretype`; mlpbench's own BLAS paths run with it too) and, in a
  child process of its own, as installed (labelled: the two columns are the same figure
  where the installed OpenBLAS already runs the CPU's widest kernels), PyTorch eager
  (1 thread; on two cores the better of 1 and 2 intra-op threads), JAX ``jit`` +
  ``lax.scan`` with the mini-batches gathered before the timed call and with the shuffle
  inside it, and scikit-learn's ``MLPClassifier``; a peer that is not installed is
  reported as skipped, with the reason.

Each mode runs in its own child process (``--child MODE``), so pinning is set before any
library starts threads. "% ceiling": executed GFLOP/s (mlpbench: of the path that ran,
:func:`kernels.paths.executed_flops_per_update`; peers: the README's model FLOPs) over the
machine's measured compute ceiling (:mod:`bench.ceiling`) in the same dtype on the threads
the code used ("% peak" where no ceiling is known: the numpy GEMM of the same process).
Takes about 16 minutes on an idle 2-core machine with the defaults. Timings on a busy
machine are not results: run it on an idle one.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

MODES = ("pinned", "2-threads")
SIZES = (784, 30, 10)
PEERS = ("numpy", "numpy-installed", "pytorch", "jax", "jax-inside", "sklearn")
PEER_TITLES = {
    "numpy": "numpy (best core type)", "numpy-installed": "numpy (as installed)",
    "pytorch": "PyTorch eager", "jax": "JAX jit+scan", "jax-inside": "JAX shuffle inside",
    "sklearn": "scikit-learn",
}  # fmt: skip
SAME = "same as best"  # numpy as installed already runs its best core type
PEER_MODULE = {"pytorch": "torch", "jax": "jax", "jax-inside": "jax", "sklearn": "sklearn"}


@dataclass(frozen=True)
class Config:
    """One timed configuration: how to build its model, and its thread settings.

    ``threads`` is entered around the warm-up and around every timed call (the
    configurations of a cell take turns, so each must set its own threads each time).
    """

    make: Callable[[], Any]
    threads: Callable[[], AbstractContextManager[Any]] = nullcontext


def best_rates(
    configs: dict[str, Config], samples: int, repeats: int, settle: float,
    every: dict[str, list[float]] | None = None,
) -> dict[str, float]:  # fmt: skip
    """samples/s of each configuration: the best of ``repeats`` timed ``fit(samples)`` calls.

    Every model is built and warmed up (compiled, or ``prepare``-d) first, untimed. Then
    ``repeats`` rounds each time every configuration once, taking turns (each round starts
    one configuration later), so a slow spell of a noisy machine falls on all of them alike
    and not on one configuration's calls. A turn is ``settle`` idle seconds, then one
    untimed call, then the timed one. The pause: thread pools the configuration before
    left spinning (OpenBLAS, OpenMP, XLA's, PyTorch's) would otherwise take cores from this
    one. The untimed call: after the pause this one's own pools are asleep; on a 2-vCPU
    Zen 4 VM a 2-thread JAX epoch timed straight after it ran at 0.60–0.67 M samples/s
    against 0.95–1.01 M after one untimed call (float32, mini-batch 1000): without it the
    table would time cold pools, where real training runs with warm ones. ``every``, when
    given, receives each configuration's samples/s of every round (the measured noise).
    """
    models = {}
    for name, config in configs.items():
        with config.threads():
            model = config.make()
            prepare = getattr(model, "prepare", None)
            (model.fit if prepare is None else prepare)(samples)
        models[name] = model
    names = list(configs)
    best = dict.fromkeys(names, float("inf"))
    for r in range(repeats):
        k = r % len(names)
        for name in names[k:] + names[:k]:
            time.sleep(settle)
            with configs[name].threads():
                models[name].fit(samples)  # wakes this configuration's pools, untimed
                t = time.perf_counter()
                models[name].fit(samples)
                seconds = time.perf_counter() - t
                best[name] = min(best[name], seconds)
                if every is not None:
                    every.setdefault(name, []).append(samples / seconds)
    return {name: samples / best[name] for name in names}


def could_flip(winner: list[float], loser: list[float]) -> bool:
    """True when the loser's best round is at least the winner's median round: within the
    noise the two measured, the winner could be the other one (rates in samples/s)."""
    if not winner or not loser:
        return False
    return max(loser) >= sorted(winner)[(len(winner) - 1) // 2]


def _mlpbench_configs(X: Any, y: Any, mb: int, threads: int) -> dict[str, Config]:
    """Every candidate path of the Numba backends, named ``backend:path``."""
    from kernels import backend_info
    from kernels.paths import SERIAL_PATHS, candidates
    from suites.harness import threads_limited
    from suites.peers import MlpbenchPeer

    configs = {}
    for b in ("numba", "numba-parallel"):
        info = backend_info(b)
        if info.threaded and threads < 2:
            continue  # the same code as the serial backend on one thread
        for p in candidates(b, mb, threads):
            if info.threaded and p in SERIAL_PATHS:
                continue  # the same code as the serial backend's path
            configs[f"mlpbench:{b}:{p}"] = Config(
                partial(MlpbenchPeer, b, X, y, SIZES, mb, p),
                partial(threads_limited, b, threads, p),
            )
    return configs


def _peer_configs(X: Any, y: Any, mb: int, threads: int) -> dict[str, Config]:
    """The peers' configurations (``peer:threads``) that can run here."""
    from suites.harness import have_module, threads_limited
    from suites.peers import JaxPeer, MlpbenchPeer, SklearnPeer, TorchPeer

    blas = partial(threads_limited, None, threads)  # BLAS threads only

    @contextmanager
    def torch_threads(t: int) -> Iterator[None]:
        import torch

        torch.set_num_threads(t)
        yield

    configs = {f"numpy:{threads}": Config(partial(MlpbenchPeer, "numpy", X, y, SIZES, mb), blas)}
    if have_module(PEER_MODULE["pytorch"]):
        for t in sorted({1, threads}):
            configs[f"pytorch:{t}"] = Config(partial(TorchPeer, X, y, SIZES, mb, t),
                                             partial(torch_threads, t))  # fmt: skip
    for name, shuffle in (("jax", "outside"), ("jax-inside", "inside")):
        if have_module(PEER_MODULE[name]):
            configs[f"{name}:{threads}"] = Config(partial(JaxPeer, X, y, SIZES, mb, shuffle))
    if have_module(PEER_MODULE["sklearn"]):
        configs[f"sklearn:{threads}"] = Config(partial(SklearnPeer, X, y, SIZES, mb), blas)
    return configs


def measure_cell(
    X: Any, y: Any, mb: int, threads: int, n: int, repeats: int, settle: float,
    numpy_only: bool = False,
) -> tuple[dict[str, Any], dict[str, Any]]:  # fmt: skip
    """mlpbench's fastest path and each peer's best configuration, timed in turns.

    Returns (mlpbench: best ``backend:path``, its rate, every path's rate and the FLOPs its
    path executes per sample; peers: rate and threads of each, or why it was skipped).
    ``numpy_only``: time the numpy peer alone, as ``numpy-installed`` (the child that runs
    the BLAS as installed, :func:`main`).
    """
    from bench.stability import StateMonitor
    from kernels.paths import executed_flops_per_update
    from suites.harness import LMBDA, MISSING

    if numpy_only:
        key = f"numpy:{threads}"
        rates = best_rates({key: _peer_configs(X, y, mb, threads)[key]}, n, repeats, settle)
        return {}, {"numpy-installed": {"rate": rates[key], "threads": threads}}
    configs = _mlpbench_configs(X, y, mb, threads) | _peer_configs(X, y, mb, threads)
    every: dict[str, list[float]] = {}
    monitor = StateMonitor()  # the machine over the cell's timed rounds
    rates = best_rates(configs, n, repeats, settle, every)
    ml = {k.removeprefix("mlpbench:"): v for k, v in rates.items() if k.startswith("mlpbench:")}
    best = max(ml, key=lambda k: ml[k])
    flops = executed_flops_per_update(SIZES, mb, best.split(":")[1], 0.0, LMBDA / len(y)) / mb
    mlpbench = {"best": best, "rate": ml[best], "rates": ml, "flops_per_sample": flops,
                "rounds": every[f"mlpbench:{best}"],
                "stability": monitor.finish(every[f"mlpbench:{best}"]).to_dict()}  # fmt: skip
    peers: dict[str, Any] = {}
    for peer in (p for p in PEERS if p != "numpy-installed"):  # timed in its own child
        by_t = {int(k.split(":")[1]): v for k, v in rates.items() if k.split(":")[0] == peer}
        if not by_t:
            peers[peer] = {"skipped": MISSING[PEER_MODULE[peer]]}
            continue
        t_best = max(by_t, key=lambda t: by_t[t])
        peers[peer] = {"rate": by_t[t_best], "threads": t_best,
                       "rounds": every[f"{peer}:{t_best}"]}  # fmt: skip
        if peer == "pytorch":
            peers[peer]["by_threads"] = by_t
    return mlpbench, peers


def child(mode: str, args: argparse.Namespace) -> dict[str, Any]:
    """Measure every cell of one mode in this process (pinned first when asked)."""
    threads = 1 if mode == "pinned" else 2
    if mode == "pinned":
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(threads)
    import numpy as np
    from threadpoolctl import threadpool_limits

    from bench.ceiling import load_cached
    from bench.machine import gemm_peak_gflops
    from kernels.layout import flops_per_sample, flops_per_update

    ceil = (load_cached() or {}).get("compute_gflops") or {}

    rng = np.random.default_rng(0)
    cells = []
    for dtype in args.dtypes.split(","):
        X = rng.random((args.samples, SIZES[0])).astype(dtype)
        y = rng.integers(0, SIZES[-1], args.samples).astype(np.int64)
        with threadpool_limits(limits=threads, user_api="blas"):
            peaks = {t: gemm_peak_gflops(dtype, t) for t in sorted({1, threads})}
            ceilings = {t: ceil.get(f"{dtype}/{t}") for t in sorted({1, threads})}
            for mb in (int(v) for v in args.batch_sizes.split(",")):
                n = (args.samples if mb >= 10 else args.samples // 5) // mb * mb
                model_fps = flops_per_sample(SIZES) + flops_per_update(SIZES) / mb
                ml, peers = measure_cell(X, y, mb, threads, n, args.repeats, args.settle,
                                         args.numpy_only)  # fmt: skip
                cells.append({
                    "dtype": dtype, "mini_batch": mb, "mode": mode, "threads": threads,
                    "samples": n, "gemm_peak_gflops": peaks, "model_flops_per_sample": model_fps,
                    "mlpbench": ml, "peers": peers,
                } | ({"ceiling_gflops": ceilings} if all(ceilings.values()) else {}))  # fmt: skip
                print(f"{mode} {dtype} mb={mb} done", file=sys.stderr, flush=True)
    from bench.blas_coretype import blas_info, coretype_record, cpu_flags

    return {"mode": mode, "cells": cells, "blas": coretype_record(blas_info(), cpu_flags())}


def _pct(rate: float, flops: float, peak: float) -> str:
    """The share of ``peak``; above 100 % marked ``!`` (:func:`bench.roofline.share_text`)."""
    from bench.roofline import CEILING, share_text

    return share_text(rate * flops / 1e9 / peak, CEILING)


def _peer_text(peer: str, v: dict[str, Any] | None) -> str:
    if v is None:
        return "—"  # a table from before numpy was timed as installed
    if "rate" in v:
        return f"{v['rate']:,.0f}" + (f" ({v['threads']}t)" if peer == "pytorch" else "")
    return SAME if "same" in v else "skipped"


def _yardsticks(c: dict[str, Any]) -> dict[int, float]:
    """The cell's GFLOP/s per thread count: the measured ceiling, else its numpy GEMM."""
    return {int(t): v for t, v in (c.get("ceiling_gflops") or c["gemm_peak_gflops"]).items()}


def _row(c: dict[str, Any]) -> str:
    from kernels import backend_info, effective_threads

    ml, peers = c["mlpbench"], c["peers"]
    timed = {p: v for p, v in peers.items() if "rate" in v}
    best_peer = max(timed, key=lambda p: timed[p]["rate"])
    ratio = ml["rate"] / timed[best_peer]["rate"]
    rounds = (ml.get("rounds") or [], timed[best_peer].get("rounds") or [])
    flip = could_flip(*(rounds if ratio >= 1 else rounds[::-1]))
    peaks = _yardsticks(c)
    ml_threads = effective_threads(backend_info(ml["best"].split(":")[0]), c["threads"])
    return "| " + " | ".join([
        c["dtype"], str(c["mini_batch"]), c["mode"], f"{ml['rate']:,.0f} ({ml['best']})",
        *(_peer_text(p, peers.get(p)) for p in PEERS),
        f"{ratio:.2f}" + ("" if ratio >= 1 else " ✗") + (" ≈" if flip else ""),
        _pct(ml["rate"], ml["flops_per_sample"], peaks[ml_threads]),
        _pct(timed[best_peer]["rate"], c["model_flops_per_sample"], peaks[c["threads"]]),
        _state_mark(ml.get("stability")),
    ]) + " |"  # fmt: skip


def _blas_note(results: list[dict[str, Any]]) -> str:
    """Which OpenBLAS kernels the numpy columns ran (from the children's records)."""
    best = next((r["blas"] for r in results if "blas" in r), None)
    installed = next((r["blas_installed"] for r in results if "blas_installed" in r), None)
    if best is None:
        return ""
    arch = ", ".join(best.get("architectures") or [])
    text = f" numpy (best core type): OpenBLAS {arch} kernels"
    if best.get("openblas_coretype"):
        text += f" (OPENBLAS_CORETYPE={best['openblas_coretype']}, set by {best.get('set_by')})"
    if installed is None:
        return text + f"; numpy as installed runs the same ({SAME})."
    return text + f"; numpy (as installed): {', '.join(installed.get('architectures') or [])}."


def markdown(results: list[dict[str, Any]], machine: dict[str, Any], command: str) -> str:
    """The table as GitHub markdown, with its caption (what was measured, on what)."""
    cells = [c for r in results for c in r["cells"]]
    ceiling = all("ceiling_gflops" in c for c in cells)
    pct = "% ceiling" if ceiling else "% peak"
    head = ["dtype", "mini-batch", "mode", "mlpbench (path)",
            *(PEER_TITLES[p] for p in PEERS), "mlpbench ÷ best peer", f"mlpbench {pct}",
            f"best peer {pct}", "machine"]  # fmt: skip
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * 3 + "---:|" * (len(head) - 3)]
    lines += [_row(c) for c in cells]
    skipped = sorted({f"{p}: {v['skipped']}" for c in cells
                      for p, v in c["peers"].items() if "skipped" in v})  # fmt: skip
    basis = ("this machine's measured compute ceiling (mlpbench machine: the best of the "
             "BLAS GEMM over OpenBLAS core types and an FMA micro-kernel; same dtype)"
             if ceiling else "the numpy GEMM GFLOP/s measured in the same process and dtype "
             "(share of BLAS GEMM)")  # fmt: skip
    caption = [
        "", f"samples/s (higher is better), best of the repeats; in each row the "
        "configurations took turns, one timed call each a round, each after an idle pause "
        "and one untimed call; "
        f"{machine['label']} "
        f"(LLVM {machine['llvm_cpu']}, AVX-512: {'yes' if machine['avx512f'] else 'no'}), "
        f"numpy {machine['numpy']}, numba {machine['numba']}. pinned: process pinned to one "
        "core, one thread everywhere; 2-threads: two cores, two threads (PyTorch: the better "
        "of 1 and 2 intra-op threads, shown as (Nt)). mlpbench: the fastest kernel path of "
        f"its backends (backend:path). {pct}: executed GFLOP/s (mlpbench: FLOPs its path "
        f"executes; peers: the README's model FLOPs) over {basis}, on the threads the code "
        "used (serial mlpbench paths: one). ✗: a peer was faster; ≈: the winner could flip "
        "within the measured noise (the loser's best round reached the winner's median "
        "round). machine: ok, or unstable and why, over the row's timed rounds "
        "(docs/noise.md)." + _blas_note(results),
        *(f"Skipped: {s}" for s in skipped), "", f"Command: `{command}`", "",
    ]  # fmt: skip
    return "\n".join(lines + caption)


def _state_mark(state: dict[str, Any] | None) -> str:
    """``ok``, ``unstable: REASON`` or ``—`` (a cell recorded before the state was)."""
    if not state:
        return "—"
    if state["stable"]:
        return "ok"
    return f"unstable: {(state.get('tags') or state['reasons'])[0]}"


def _child_env(coretype: str | None) -> dict[str, str]:
    """The environment of a child: the user's, with ``coretype`` set (marked as mlpbench's)."""
    from bench import blas_coretype as bc

    env = bc.user_environment()
    if coretype:
        env |= {bc.CORETYPE_ENV: coretype, bc.SET_BY_MLPBENCH_ENV: coretype}
    return env


def best_coretype() -> str | None:
    """The OpenBLAS core type the numpy peer (and mlpbench) run with here: the fix when the
    installed OpenBLAS runs narrower kernels than the CPU, None when it does not or when the
    user set ``OPENBLAS_CORETYPE`` (respected)."""
    from bench import blas_coretype as bc

    if bc.set_by() == "user":
        return None
    env = bc.user_environment()
    probe = subprocess.run(  # the BLAS as installed, in a fresh process
        [sys.executable, "-c", "import json, numpy, threadpoolctl; "
         "print(json.dumps(threadpoolctl.threadpool_info()))"],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    flags = bc.cpu_flags()
    return bc.fix_for(flags) if bc.narrow_blas(json.loads(probe.stdout), flags) else None


def _run_child(
    mode: str, argv: list[str] | None, tmp: Path, coretype: str | None, *, numpy_only: bool
) -> dict[str, Any]:
    """One child process measuring ``mode`` (all configurations, or numpy alone) with the
    OpenBLAS ``coretype`` (None: as installed); its JSON answer."""
    part = tmp / f"{mode}-{'numpy' if numpy_only else 'all'}.json"
    cmd = [sys.executable, "-m", "suites.peer_table", *(argv or sys.argv[1:]), "--child", mode,
           "--json", str(part), *(["--numpy-only"] if numpy_only else [])]  # fmt: skip
    subprocess.run(cmd, check=True, env=_child_env(coretype))
    return dict(json.loads(part.read_text()))


def main(argv: list[str] | None = None) -> int:
    """Run both modes in child processes and write the markdown table (and raw JSON)."""
    ap = argparse.ArgumentParser(prog="python -m suites.peer_table", description=__doc__)
    ap.add_argument("--out", default="results/benchmarks/peers-by-core.md")
    ap.add_argument("--json", default=None, help="also write the raw figures to this file")
    ap.add_argument("--samples", type=int, default=20_000, help="rows per timed call (mb≥10)")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument(
        "--settle",
        type=float,
        default=0.5,
        help="seconds idle before each configuration (spinning pools go quiet)",
    )
    ap.add_argument("--dtypes", default="float32,float64")
    ap.add_argument("--batch-sizes", default="1,10,100,1000")
    ap.add_argument("--modes", default=",".join(MODES))
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--numpy-only", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.samples < 2000 or args.repeats < 1 or not 0 <= args.settle <= 60:
        print("peer_table: error: --samples must be >= 2000, --repeats >= 1 and --settle "
              "0-60 seconds", file=sys.stderr)  # fmt: skip
        return 2
    modes = args.modes.split(",")
    if any(m not in MODES for m in modes):
        print(f"peer_table: error: --modes: choose from {', '.join(MODES)}", file=sys.stderr)
        return 2
    if args.child:
        Path(args.json).write_text(json.dumps(child(args.child, args)))
        return 0
    from bench.ceiling import ceilings
    from bench.cpu_identity import hardware_label
    from bench.kernel_tuning import machine_key
    from bench.machine import machine_info
    from bench.results import atomic_write_text

    ceilings()  # measured once, before the children read it from the cache
    best = best_coretype()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for mode in modes:
            results.append(_run_child(mode, argv, Path(tmp), best, numpy_only=False))
            if best is None:  # numpy as installed already runs its best kernels
                for c in results[-1]["cells"]:
                    c["peers"]["numpy-installed"] = {"same": True}
                continue
            installed = _run_child(mode, argv, Path(tmp), None, numpy_only=True)
            results[-1]["blas_installed"] = installed["blas"]
            for c, i in zip(results[-1]["cells"], installed["cells"], strict=True):
                c["peers"]["numpy-installed"] = i["peers"]["numpy-installed"]
    out = Path(args.out)
    command = "python -m suites.peer_table " + " ".join(argv or sys.argv[1:])
    machine = {**machine_key(), "label": hardware_label(machine_info(peak=False))}
    atomic_write_text(out, markdown(results, machine, command))
    print(f"table saved: {out}")
    if args.json:  # not beside the table by default: results/ is read by mlpbench publish
        atomic_write_text(Path(args.json), json.dumps({"machine": machine, "results": results},
                                                      indent=1))  # fmt: skip
        print(f"raw figures: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
