"""Subprocess driver of the no-compile-in-timed-code test: one real trial, its Numba events.

Run as ``python tests/compile_probe.py BACKEND PATH DTYPE MINI_BATCH N_TRAIN THREADS`` in a
fresh process (a kernel already in this process's memory would hide a missing warm-up).
It trains one real trial (:func:`bench.train.run_trial`, scikit-learn's 8×8 digits, a
[64, 16, 10] network, two epochs of ``N_TRAIN`` images, so a ragged last mini-batch of
``N_TRAIN mod MINI_BATCH`` images when that is not 0) and prints one JSON object:

* ``timed``: how many of each of the Numba events (``numba:compile``: a real compilation;
  ``numba:compiler_lock``: any entry into a dispatcher's ``compile``, which a load from
  the on-disk cache also makes) seen inside the timed calls (:func:`bench.train.timed_steps`);
* ``after_warm_up``: the same events anywhere after the warm-up (timed calls, checkpoints);
* ``batches``: the distinct batch sizes of the timed calls (shows the ragged one ran);
* ``warm_up``: how many such events the warm-up itself saw (it is where they belong);
* ``path``: the kernel path and its source the trial recorded;
* ``compile_kernels``: the trial's per-kernel compile (or load) seconds.

Used by :mod:`tests.test_compile_events`.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from numba.core import event

import bench.train
from bench.config import DataSpec, NetSpec, TrainSpec, TrialSpec
from bench.data.dataset import load

KINDS = ("numba:compile", "numba:compiler_lock")


class _Recorder(event.Listener):
    """Counts the start of every event of :data:`KINDS`, under the current phase's name."""

    def __init__(self) -> None:
        self.phase = "setup"
        self.seen: dict[str, dict[str, int]] = {}

    def on_start(self, ev: event.Event) -> None:
        name = ev.kind
        if ev.kind == "numba:compile" and isinstance(ev.data, dict):
            name += f" {getattr(ev.data.get('dispatcher'), '__qualname__', '?')}"
        counts = self.seen.setdefault(self.phase, {})
        counts[name] = counts.get(name, 0) + 1

    def on_end(self, ev: event.Event) -> None:
        """Nothing: the start is what counts."""


def main(argv: list[str]) -> dict[str, Any]:
    backend, path, dtype, mb, n_train, threads = argv
    rec = _Recorder()
    batches: set[int] = set()
    timed_steps, warm_up = bench.train.timed_steps, bench.train._warm_up

    def timed(session: Any, info: Any, start: int, steps: int, batch: int, hyper: Any) -> Any:
        batches.add(batch)
        before, rec.phase = rec.phase, "timed"
        try:
            return timed_steps(session, info, start, steps, batch, hyper)
        finally:
            rec.phase = before

    def warm(*args: Any, **kw: Any) -> Any:
        rec.phase = "warm_up"
        try:
            return warm_up(*args, **kw)
        finally:
            rec.phase = "after_warm_up"

    bench.train.timed_steps = timed  # type: ignore[assignment]
    bench.train._warm_up = warm  # type: ignore[assignment]
    data = load(DataSpec(source="digits", n_train=int(n_train), n_val=50), dtype, 0)
    train = TrainSpec(
        backend=backend, kernel_path=path, dtype=dtype, mini_batch=int(mb), epochs=2,
        threads=int(threads), monitor_every=max(int(mb), 100),
    )  # fmt: skip
    spec = TrialSpec(net=NetSpec(sizes=(64, 16, 10)), train=train, data=DataSpec(source="digits"))
    for kind in KINDS:
        event.register(kind, rec)
    try:
        result = bench.train.run_trial(spec, data)
    finally:
        for kind in KINDS:
            event.unregister(kind, rec)
    timed_events = rec.seen.get("timed", {})
    later = rec.seen.get("after_warm_up", {})
    return {
        "timed": timed_events,
        "after_warm_up": {
            k: later.get(k, 0) + timed_events.get(k, 0) for k in {*later, *timed_events}
        },
        "warm_up": sum(rec.seen.get("warm_up", {}).values()),
        "batches": sorted(batches),
        "path": [result.summary.kernel_path, result.summary.kernel_path_source],
        "compile_kernels": result.compile_kernels,
    }


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:])))
