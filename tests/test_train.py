"""Behaviour of one monitored trial: accuracy reached, checkpoints, stopping rules."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from cli_helpers import FAST

from bench.config import NetSpec, TrainSpec, TrialSpec
from bench.data.dataset import Dataset
from bench.results import COMPLETED, DIVERGED, PRUNED
from bench.train import run_trial
from kernels import available_backends


def spec(**train: object) -> TrialSpec:
    base = TrainSpec(backend=FAST, epochs=1)
    return TrialSpec(train=replace(base, **train))  # type: ignore[arg-type]


def test_default_config_reaches_90_percent_within_10_epochs(mnist5k: Dataset) -> None:
    result = run_trial(spec(epochs=10, stop_at_target=True), mnist5k)
    assert result.status == COMPLETED
    assert result.summary.best_val_accuracy >= 0.90
    assert result.summary.time_to_target_seconds is not None
    assert result.summary.images_to_target is not None
    assert result.summary.images_to_target <= 10 * mnist5k.n_train
    assert result.stop_reason == "target"


def test_checkpoints_every_monitor_every_images(mnist_small: Dataset) -> None:
    result = run_trial(spec(epochs=2, monitor_every=100, mini_batch=10), mnist_small)
    seen = [p.images_seen for p in result.curve]
    assert seen == list(range(0, 1001, 100))
    assert result.curve[0].train_cost is None
    assert all(p.train_cost is not None and p.train_cost > 0 for p in result.curve[1:])
    times = [p.train_seconds for p in result.curve]
    assert times == sorted(times)
    assert all(p.wall_seconds >= p.train_seconds for p in result.curve)
    assert result.summary.images_seen == 1000 and result.summary.epochs == pytest.approx(2.0)
    assert result.summary.samples_per_second > 0 and result.summary.gflops > 0


def test_ragged_last_batch_trains_every_image(mnist_small: Dataset) -> None:
    result = run_trial(spec(mini_batch=30, monitor_every=500), mnist_small)
    assert result.summary.images_seen == 500  # 16 batches of 30 and one of 20


def test_same_seed_same_curve_different_seed_different(mnist_small: Dataset) -> None:
    a = run_trial(spec(seed=3), mnist_small)
    b = run_trial(spec(seed=3), mnist_small)
    c = run_trial(spec(seed=4), mnist_small)
    assert [p.val_cost for p in a.curve] == [p.val_cost for p in b.curve]
    assert [p.val_cost for p in a.curve] != [p.val_cost for p in c.curve]


def test_huge_eta_is_recorded_as_diverged(mnist_small: Dataset) -> None:
    result = run_trial(spec(eta=1e4, epochs=3), mnist_small)
    assert result.status == DIVERGED
    assert "cost" in result.stop_reason
    assert result.summary.images_seen < 3 * mnist_small.n_train


def test_early_stopping_stops_after_n_checkpoints_without_improvement(
    mnist_small: Dataset,
) -> None:
    result = run_trial(spec(eta=0.001, epochs=50, early_stop=2, monitor_every=100), mnist_small)
    assert result.stop_reason == "early-stop"
    accs = [p.val_accuracy for p in result.curve]
    best_at = int(np.argmax(accs))
    assert len(accs) - 1 - best_at == 2


def test_halve_on_plateau_halves_eta_and_stops_at_factor(mnist_small: Dataset) -> None:
    result = run_trial(
        spec(eta=0.001, epochs=200, schedule="halve-on-plateau", plateau_patience=1,
             eta_stop_factor=8, monitor_every=500),
        mnist_small,
    )  # fmt: skip
    assert result.stop_reason == "eta-schedule"
    # η in force per checkpoint: halved three times; the third halving (to 0.000125 = η/8)
    # reaches the factor and stops, so no checkpoint trains at it.
    etas = sorted({p.eta for p in result.curve}, reverse=True)
    assert etas == [0.001, 0.0005, 0.00025]


def test_time_budget_stops_training(mnist_small: Dataset) -> None:
    result = run_trial(spec(epochs=10_000, time_budget=0.05, monitor_every=100), mnist_small)
    assert result.stop_reason == "time-budget"
    assert result.summary.train_seconds >= 0.05


def test_hook_returning_true_prunes(mnist_small: Dataset) -> None:
    calls = []

    def hook(point: object) -> bool:
        calls.append(point)
        return len(calls) == 2

    result = run_trial(spec(epochs=5, monitor_every=100), mnist_small, on_checkpoint=hook)
    assert result.status == PRUNED and len(calls) == 2


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("backend", available_backends())
def test_every_backend_and_dtype_learns(backend: str, dtype: str) -> None:
    from bench.config import DataSpec
    from bench.data.dataset import load

    data = load(DataSpec(n_train=1000, n_val=300), dtype, 0)
    s = TrialSpec(
        net=NetSpec(sizes=(784, 30, 10)),
        train=TrainSpec(backend=backend, dtype=dtype, epochs=2, threads=2),
    )
    result = run_trial(s, data)
    assert result.summary.best_val_accuracy > 0.6
    assert result.curve[0].val_accuracy < 0.3
