"""Compile a sweep's kernels before its first trial, several at a time, in worker processes.

With a cold kernel cache (the first run after installing, or after a kernel edit or an
upgrade) a sweep is mostly compiling: each trial's warm-up compiles its own path's driver,
one after another on one core, then the evaluation (see :data:`WEIGHTS`). When the cache
is empty, the sweep has two or more kernels to compile (a single trial has two: its
driver and its evaluation) and the process may use two or more cores,
:func:`compile_ahead` compiles them all before the first trial, spread over up to one
process per core (this one and ``python -m bench.prewarm`` workers, all saving into the
shared on-disk cache, :mod:`kernels.numba.cache`); the trials' warm-ups then load them.
Nothing is timed while a worker runs: the first trial starts after every worker has ended.
Where a trial's path is still to be chosen by a brief tune, every path that tune times
is compiled ahead too (the tune then loads them and only times).
A worker that fails costs nothing but time: its kernels compile in the trials' warm-ups,
as without this. ``$MLPBENCH_PREWARM=off`` turns it off.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from bench import strict_json
from bench.config import TrialSpec
from bench.data.dataset import Dataset
from bench.kernel_tuning import paths_to_compile
from bench.process_exit import leave, status_of
from bench.train import compile_trial_kernels, trial_batches, trial_shape
from kernels import backend_info
from kernels.paths import GEMM_BLOCK

log = logging.getLogger("mlpbench")

PREWARM_ENV = "MLPBENCH_PREWARM"
# Cold compile seconds on an idle 2-vCPU Zen 5 (3 Dec 2026), only used to share the work
# out evenly: a path's driver and the evaluation as compiled in a sweep, after or beside
# kernels that compiled some of the same blocks (alone, driver + evaluation: regtile 8.1 +
# 2.3, loops 9.8 + 1.6, blas 7.2 + 1.3, gemm-blocked 5.4 + 2.7, fused-mb1 5.3 + 3.0, gemm
# 5.1 + 3.2, split-regtile 15.7 + 5.6, split-loops 13.6 + 5.0, split-blas 13.6 + 5.3); a
# worker's start (python, numpy, numba and the kernel modules imported).
WEIGHTS = {"regtile": 8.0, "split-regtile": 13.0, "loops": 8.5, "split-loops": 11.5,
           "blas": 6.0, "split-blas": 11.5, "fused-mb1": 5.0, "gemm-blocked": 4.5}  # fmt: skip
DEFAULT_WEIGHT = 2.0  # gemm: 1.8-1.9 s after the others in a sweep
# The evaluation alone, and after a path whose building blocks it reuses (its forward and
# output layer are the regtile paths' own: kernels.numba.evaluate), in the same process: on
# the Zen 5 in a slow hour (regtile alone 11.6 s there, 8.1 s usually) 4.2 s after loops,
# 2.0 s after regtile (3 Dec 2026), scaled to the usual speed. Untuned default sweeps time
# regtile against the default in most bands, so regtile is there to share with.
EVALUATE_WEIGHT = 3.0
EVALUATION_SHARES = frozenset({"regtile", "split-regtile"})
EVALUATE_AFTER_SHARED = 1.5
WORKER_START = 0.5


@dataclass(frozen=True)
class Unit:
    """The kernels of one trial shape: its spec (the kernel path resolved and forced) and
    the batch sizes its calls use (:func:`bench.train.trial_batches`); or, with
    ``evaluation``, only the evaluation kernel of that shape (``batches`` empty)."""

    spec: TrialSpec
    batches: tuple[int, ...]
    evaluation: bool = False

    def key(self) -> tuple[Any, ...]:
        """What the compiled code depends on (not the layer sizes, the data or the batch
        sizes, only whether they are above ``GEMM_BLOCK``: another driver there; the
        evaluation does not depend on the kernel path)."""
        tr, net = self.spec.train, self.spec.net
        common = (tr.backend, tr.dtype, tr.threads, net.hidden_code, net.cost_code)
        if self.evaluation:
            return (*common, "evaluation")
        drivers = tuple(sorted({b > GEMM_BLOCK for b in self.batches}))
        return (*common, tr.kernel_path, drivers)

    def weight(self) -> float:
        """Rough cold compile seconds, to balance the processes."""
        if self.evaluation:
            return EVALUATE_WEIGHT
        return WEIGHTS.get(self.spec.train.kernel_path, DEFAULT_WEIGHT)

    def compile(self) -> dict[str, float]:
        """Compile (or load) this unit's kernels; the seconds per compiled kernel."""
        return compile_trial_kernels(self.spec, self.batches, evaluate=self.evaluation)


def prewarm_enabled() -> bool:
    """Whether a sweep may compile ahead (``$MLPBENCH_PREWARM`` is not ``off``)."""
    return os.environ.get(PREWARM_ENV, "on").strip().lower() != "off"


def usable_cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def cache_is_empty() -> bool:
    """Whether the kernel cache of this source tree and these versions holds nothing yet."""
    from kernels.numba.cache import cache_dir

    folder = cache_dir()
    return not folder.is_dir() or not any(folder.glob("*.nbi"))


def plan_units(specs: Sequence[TrialSpec], sets: Sequence[Dataset]) -> list[Unit]:
    """One :class:`Unit` per distinct compiled shape of the host-compiled trials, and one
    per distinct evaluation, heaviest first: per trial, the path it will run or, where a
    brief tune will choose it, every path that tune times
    (:func:`bench.kernel_tuning.paths_to_compile`; nothing is timed here)."""
    units: dict[tuple[Any, ...], Unit] = {}
    for spec, data in zip(specs, sets, strict=True):
        if not backend_info(spec.train.backend).host_jit:
            continue
        batches = trial_batches(data.n_train, spec.train.mini_batch)
        for path in paths_to_compile(trial_shape(spec), spec.train.kernel_path):
            forced = replace(spec, train=replace(spec.train, kernel_path=path))
            for unit in (Unit(forced, batches), Unit(forced, (), evaluation=True)):
                units.setdefault(unit.key(), unit)
    return sorted(units.values(), key=lambda u: -u.weight())


def share_out(units: Sequence[Unit], processes: int) -> list[list[Unit]]:
    """``units`` in ``processes`` groups of about equal weight (greedy, heaviest first, each
    to the group that would finish first); group 0 is this process's, the others start
    :data:`WORKER_START` seconds late. An evaluation goes with a path whose blocks it
    reuses (:data:`EVALUATION_SHARES`), after it, where the plan has one of its shape."""
    groups: list[list[Unit]] = [[] for _ in range(processes)]
    load = [0.0] + [WORKER_START] * (processes - 1)
    for weight, bundle in sorted(_bundles(units), key=lambda b: -b[0]):
        i = min(range(processes), key=lambda g: load[g])
        groups[i].extend(bundle)
        load[i] += weight
    return [g for g in groups if g]


def _bundles(units: Sequence[Unit]) -> list[tuple[float, list[Unit]]]:
    """``(weight, units)`` to place together: each evaluation after the first path unit of
    its shape in :data:`EVALUATION_SHARES`, every other unit alone."""
    bundles = {id(u): (u.weight(), [u]) for u in units}
    for ev in (u for u in units if u.evaluation):
        host = next((u for u in units if not u.evaluation and len(bundles[id(u)][1]) == 1
                     and u.spec.train.kernel_path in EVALUATION_SHARES
                     and u.key()[:5] == ev.key()[:5]), None)  # fmt: skip
        if host is not None:
            bundles[id(host)] = (host.weight() + EVALUATE_AFTER_SHARED, [host, ev])
            del bundles[id(ev)]
    return list(bundles.values())


def compile_ahead(
    specs: Sequence[TrialSpec], sets: Sequence[Dataset],
    on_start: Callable[[int, int], None] | None = None,
) -> dict[str, Any] | None:  # fmt: skip
    """Compile the kernels of ``specs`` (run on ``sets``) before any trial, as the module
    says, calling ``on_start(units, processes)`` first; the record of what it did
    (``seconds`` wall, ``processes``, per-kernel ``kernels`` seconds of this process and
    the workers), or None when it did nothing."""
    cores = usable_cores()
    if cores < 2 or not any(backend_info(s.train.backend).host_jit for s in specs):
        return None
    if not cache_is_empty():
        return None
    units = plan_units(specs, sets)
    if len(units) < 2:
        return None
    t0 = time.perf_counter()
    groups = share_out(units, min(cores, len(units)))
    if on_start is not None:
        on_start(len(units), len(groups))
    workers = [_start_worker(g) for g in groups[1:]]
    kernels: dict[str, float] = {}
    for unit in groups[0]:
        _add(kernels, unit.compile())
    for proc in workers:
        _add(kernels, _finish_worker(proc))
    return {"seconds": time.perf_counter() - t0, "processes": len(groups), "kernels": kernels}


def _add(total: dict[str, float], more: dict[str, float]) -> None:
    for name, seconds in more.items():
        total[name] = total.get(name, 0.0) + seconds


def _start_worker(units: list[Unit]) -> subprocess.Popen[str]:
    """A ``python -m bench.prewarm UNITS`` process compiling ``units`` (JSON)."""
    payload = strict_json.dumps([
        {"spec": u.spec.to_dict(), "batches": list(u.batches), "evaluation": u.evaluation}
        for u in units
    ])  # fmt: skip
    return subprocess.Popen(
        [sys.executable, "-m", "bench.prewarm", payload], stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _finish_worker(proc: subprocess.Popen[str]) -> dict[str, float]:
    """Wait for a worker; its per-kernel seconds, or {} (and one log line) if it failed."""
    out, err = proc.communicate()
    try:
        if proc.returncode != 0:
            raise ValueError(f"exit {proc.returncode}: {err.strip().splitlines()[-1:]}")
        kernels: dict[str, float] = json.loads(out.strip().splitlines()[-1])
        return kernels
    except (ValueError, IndexError) as exc:
        log.warning("mlpbench: compiling kernels ahead in a worker failed (%s); the trials "
                    "compile their own", exc)  # fmt: skip
        return {}


def main(argv: list[str]) -> int:
    """Worker: compile the units given as JSON in ``argv[0]``; print the per-kernel seconds
    as one JSON line."""
    kernels: dict[str, float] = {}
    for item in json.loads(argv[0]):
        spec = TrialSpec.from_dict(item["spec"])
        _add(kernels, Unit(spec, tuple(item["batches"]), bool(item["evaluation"])).compile())
    print(strict_json.dumps(kernels))
    return 0


if __name__ == "__main__":
    leave(status_of(lambda: main(sys.argv[1:])))  # no teardown: the parent waits for it
