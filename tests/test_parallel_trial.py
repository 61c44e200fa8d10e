"""A real trial through the harness that splits every mini-batch across Numba threads.

Fails (never skips) with fewer than 2 Numba threads: tox sets ``NUMBA_NUM_THREADS=2``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numba
import pytest

from bench.config import TrainSpec, TrialSpec
from bench.data.dataset import Dataset
from bench.train import run_trial
from kernels.numba import entry, parallel
from kernels.paths import DEFAULT_SPLIT_FROM


def test_parallel_trial_splits_and_matches_serial(
    mnist_small: Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    have = numba.config.NUMBA_NUM_THREADS  # type: ignore[attr-defined]
    assert have >= 2, f"NUMBA_NUM_THREADS={have}: set it to >= 2 (tox does)"
    calls: list[tuple[int, int]] = []
    compiled = entry.specialised  # the one place a Numba backend compiles its driver

    def spy(template: Any, *rest: Any) -> Any:  # record (mini-batch, threads) of split calls
        kernel = compiled(template, *rest)
        if template not in parallel.DRIVERS.values():
            return kernel

        def call(*args: Any) -> Any:  # (net, data, sizes, hp, start, n_steps, m, threads)
            calls.append((int(args[6]), int(args[7])))
            return kernel(*args)

        return call

    monkeypatch.setattr(entry, "specialised", spy)
    mb = DEFAULT_SPLIT_FROM + 8
    base = TrainSpec(epochs=1, mini_batch=mb, monitor_every=120, mu=0.5, seed=1)
    par = run_trial(
        TrialSpec(train=replace(base, backend="numba-parallel", threads=2)), mnist_small
    )
    ser = run_trial(TrialSpec(train=replace(base, backend="numba")), mnist_small)
    split = [c for c in calls if c[0] >= 2 and c[1] == 2]
    assert len(split) >= 4, f"no call split across 2 threads: {calls}"
    assert [p.images_seen for p in par.curve] == [p.images_seen for p in ser.curve]
    assert len(par.curve) >= 4
    for a, b in zip(par.curve, ser.curve, strict=True):
        assert a.val_accuracy == pytest.approx(b.val_accuracy, abs=1 / mnist_small.n_val)
        assert a.val_cost == pytest.approx(b.val_cost, rel=1e-9)
        if b.train_cost is not None:
            assert a.train_cost == pytest.approx(b.train_cost, rel=1e-9)
