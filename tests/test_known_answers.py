"""Known-answer tests on hand-built curves and a scripted fake backend.

Every expected value here is worked out by hand from the inputs, so a wrong
implementation of ``summarize``, ``fastest_verdict``, ``mean_accuracy``,
``choose_by_time``, ``search_lmbda``, the halve-on-plateau schedule, early stopping or the
compile-time split fails, where tests on real training runs could only check ranges.
"""

from __future__ import annotations

import time
from dataclasses import replace
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

import bench.recipe.recipe
import bench.train
from bench.config import DataSpec, NetSpec, TrainSpec, TrialSpec
from bench.data.dataset import Dataset
from bench.recipe.recipe import choose_by_time, mean_accuracy, search_lmbda
from bench.report import compile_note, fastest_verdict
from bench.results import COMPLETED, CurvePoint, Run, TrialResult
from bench.train import run_trial, summarize

SPEC = TrialSpec(net=NetSpec(sizes=(4, 3)), train=TrainSpec(target=0.9, backend="numpy"),
                 data=DataSpec(n_train=100, n_val=10))  # fmt: skip


def point(seconds: float, accuracy: float, images: int = 0, eta: float = 0.1) -> CurvePoint:
    """A checkpoint at ``seconds`` of training with validation ``accuracy``."""
    return CurvePoint(images_seen=images, epoch=images / 100, train_seconds=seconds,
                      wall_seconds=seconds + 0.5, val_accuracy=accuracy, val_cost=1.0 - accuracy,
                      train_cost=None, eta=eta)  # fmt: skip


def trial(curve: list[tuple[float, float]], label: str = "", spec: TrialSpec = SPEC) -> TrialResult:
    """A trial whose curve is ``(seconds, accuracy)`` pairs, 10 images per checkpoint."""
    pts = [point(s, a, images=10 * i) for i, (s, a) in enumerate(curve)]
    images = pts[-1].images_seen
    return TrialResult(config=spec, status=COMPLETED, stop_reason="epochs", compile_seconds=0.0,
                       curve=pts, summary=summarize(spec, pts, images, images, curve[-1][0]),
                       label=label)  # fmt: skip


def with_batch(mb: int, seed: int = 0) -> TrialSpec:
    return replace(SPEC, train=replace(SPEC.train, mini_batch=mb, seed=seed))


# --- summarize ------------------------------------------------------------------------------


def test_summarize_hand_built_curve() -> None:
    pts = [point(0.0, 0.95, 0), point(1.0, 0.5, 40), point(2.0, 0.91, 80), point(3.0, 0.93, 120),
           point(4.0, 0.92, 160)]  # fmt: skip
    s = summarize(SPEC, pts, images=160, updates=16, train_seconds=4.0)
    assert s.best_val_accuracy == 0.95  # the untrained point counts for "best" ...
    assert s.final_val_accuracy == 0.92
    assert s.time_to_target_seconds == 2.0  # ... but not for the target: first trained >= 0.9
    assert s.images_to_target == 80
    assert s.samples_per_second == 40.0
    assert s.images_seen == 160 and s.epochs == 1.6
    assert s.train_seconds == 4.0 and s.wall_seconds == 4.5


def test_summarize_never_reaching_the_target() -> None:
    s = summarize(SPEC, [point(0.0, 0.1), point(1.0, 0.89, 50)], 50, 5, 1.0)
    assert s.time_to_target_seconds is None and s.images_to_target is None
    assert s.best_val_accuracy == 0.89


# --- fastest_verdict ------------------------------------------------------------------------


def _run(trials: list[TrialResult]) -> Run:
    return Run(run_id="r", kind="sweep", created="", command=[], machine={}, trials=trials)


def test_fastest_verdict_names_the_lowest_median_time_to_target() -> None:
    # mb=1: 1.0 s; mb=10: seeds at 0.4, 0.6, 5.0 s -> median 0.6 s; mb=100 never reaches it.
    trials = [
        trial([(0, 0.1), (1.0, 0.95)], spec=with_batch(1)),
        trial([(0, 0.1), (0.4, 0.92)], spec=with_batch(10, 0)),
        trial([(0, 0.1), (0.6, 0.92)], spec=with_batch(10, 1)),
        trial([(0, 0.1), (5.0, 0.92)], spec=with_batch(10, 2)),
        trial([(0, 0.1), (0.1, 0.5)], spec=with_batch(100)),
    ]
    assert fastest_verdict(_run(trials)) == (
        "Fastest to 90%: mini-batch 10 (η=0.5) in 0.600 training seconds."
    )


def test_compile_note_sums_each_kernel_over_the_trials_slowest_first() -> None:
    one, two = trial([(0, 0.1), (1.0, 0.95)]), trial([(0, 0.1), (1.0, 0.95)])
    one = replace(one, compile_kernels={"fused_mb1_train_h0_o0": 2.0, "evaluate_x": 1.5})
    two = replace(two, compile_kernels={"regtile_train_h0_o0": 3.0, "evaluate_x": 0.25})
    assert compile_note(_run([one, two])) == (
        "Compiled 6.8 s (kept out of every timing; cached for the next run): "
        "regtile_train_h0_o0 3.0 s, fused_mb1_train_h0_o0 2.0 s, evaluate_x 1.8 s."
    )
    warm = replace(two, compile_kernels={"regtile_train_h0_o0": 0.4})  # loaded from the cache
    assert compile_note(_run([warm, replace(one, compile_kernels=None)])) is None


def test_fastest_verdict_without_a_target_names_the_best_accuracy() -> None:
    trials = [trial([(0, 0.1), (1.0, 0.7)], spec=with_batch(1)),
              trial([(0, 0.1), (1.0, 0.8)], spec=with_batch(10))]  # fmt: skip
    assert fastest_verdict(_run(trials)) == (
        "No configuration reached the target; the best accuracy was 80.00% at mini-batch 10."
    )


# --- mean_accuracy and choose_by_time -------------------------------------------------------


def test_mean_accuracy_is_the_area_over_the_horizon() -> None:
    t = trial([(0.0, 0.0), (2.0, 1.0), (4.0, 1.0)])
    assert mean_accuracy(t, 4.0) == pytest.approx(0.75)  # (1 + 2) / 4
    assert mean_accuracy(t, 1.0) == pytest.approx(0.25)  # interpolated to 0.5 at 1 s
    assert mean_accuracy(t, 8.0) == pytest.approx(7 / 8)  # last accuracy holds after 4 s
    assert mean_accuracy(t, 0.0) == 1.0  # no horizon: the last accuracy


def test_choose_by_time_area_and_target_can_differ() -> None:
    # fast: climbs to 0.8 at once, never reaches 0.9; slow: 0 until 1 s, then 0.95 at 2 s.
    fast = trial([(0.0, 0.0), (0.5, 0.8), (3.0, 0.8)], label="fast")
    slow = trial([(0.0, 0.0), (1.0, 0.0), (2.0, 0.95)], label="slow")
    choice = choose_by_time([fast, slow])
    assert choice.horizon == 2.0  # the shorter trial's last checkpoint
    assert choice.areas["fast"] == pytest.approx((0.2 + 1.5 * 0.8) / 2)  # 0.7
    assert choice.areas["slow"] == pytest.approx(0.475 / 2)  # 0.2375
    assert choice.by_area == "fast"
    assert choice.by_target == "slow"
    with pytest.raises(ValueError):
        choose_by_time([])


# --- search_lmbda with scripted accuracies --------------------------------------------------


def _scripted_run_trial(accuracy: dict[float, float], tried: list[float]) -> Any:
    def fake(spec: TrialSpec, data: Dataset, **kwargs: Any) -> TrialResult:
        lmbda = spec.train.lmbda
        tried.append(lmbda)
        return trial([(0.0, 0.1), (1.0, accuracy.get(lmbda, 0.5))], label=kwargs["label"])

    return fake


def test_lmbda_search_follows_the_accuracy_and_finds_the_peak(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    acc = {1.0: 0.80, 10.0: 0.90, 0.1: 0.70, 100.0: 0.85, 3.2: 0.86, 32.0: 0.88, 0.0: 0.60}
    tried: list[float] = []
    monkeypatch.setattr(bench.recipe.recipe, "run_trial", _scripted_run_trial(acc, tried))
    search = search_lmbda(SPEC, tiny_data(), refine_steps=1, max_orders=3)
    assert tried == [1.0, 10.0, 0.1, 100.0, 3.2, 32.0, 0.0]
    assert (search.best, search.best_accuracy, search.baseline_accuracy) == (10.0, 0.90, 0.60)


def test_lmbda_search_keeps_zero_when_no_regularisation_is_best(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    acc = {1.0: 0.80, 10.0: 0.70, 0.1: 0.75, 0.0: 0.95}
    tried: list[float] = []
    monkeypatch.setattr(bench.recipe.recipe, "run_trial", _scripted_run_trial(acc, tried))
    search = search_lmbda(SPEC, tiny_data(), refine_steps=0)
    assert tried == [1.0, 10.0, 0.1, 0.0]
    assert (search.best, search.best_accuracy) == (0.0, 0.95)


# --- a scripted fake backend: compile time, plateau schedule, early stopping ----------------


def fake_backend(accuracies: list[float], first_call_sleep: float = 0.0) -> SimpleNamespace:
    """A backend whose training does nothing and whose validation accuracy follows a script.

    ``train_steps`` sleeps ``first_call_sleep`` seconds on its first call only (a compile).
    """
    calls = {"train": 0, "val": 0}

    def train_steps(*args: Any, labels_checked: bool = False) -> float:
        calls["train"] += 1
        if calls["train"] == 1:
            time.sleep(first_call_sleep)
        return 0.5

    def evaluate(params: Any, work: Any, sizes: Any, X: Any, y: Any, *rest: Any) -> Any:
        if len(y) == 2:  # the warm-up call
            return 0, 0.0
        i = min(calls["val"], len(accuracies) - 1)
        calls["val"] += 1
        return round(accuracies[i] * len(y)), 0.5 * len(y)

    return SimpleNamespace(
        workspace_size=lambda sizes, mb: 1, train_steps=train_steps, evaluate=evaluate
    )


def tiny_data() -> Dataset:
    rng = np.random.default_rng(0)
    X, Xv = rng.random((100, 4)), rng.random((10, 4))
    y, yv = rng.integers(0, 3, 100), rng.integers(0, 3, 10)
    return Dataset(name="tiny", X_train=X, y_train=y, X_val=Xv, y_val=yv, n_classes=3)


def scripted_trial(
    monkeypatch: pytest.MonkeyPatch, accuracies: list[float], sleep: float = 0.0, **train: Any
) -> TrialResult:
    backend = fake_backend(accuracies, sleep)
    monkeypatch.setattr(bench.train, "load_backend", lambda name: backend)
    spec = replace(SPEC, train=replace(SPEC.train, mini_batch=10, monitor_every=10, **train))
    return run_trial(spec, tiny_data())


def test_compile_time_is_excluded_from_train_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    result = scripted_trial(monkeypatch, [0.5], sleep=0.5, epochs=1)
    assert result.compile_seconds >= 0.5
    assert result.summary.train_seconds < 0.25  # ten instant calls, not the 0.5 s warm-up
    assert result.curve[-1].wall_seconds < 0.25


@pytest.mark.parametrize(
    ("patience", "factor", "etas"),
    [
        (1, 8, [0.8, 0.8, 0.4, 0.2]),
        (2, 8, [0.8, 0.8, 0.8, 0.4, 0.4, 0.2, 0.2]),
        (1, 3, [0.8, 0.8, 0.4]),  # 0.8 / 0.2 = 4 >= 3 stops after the second halving
    ],
)
def test_halve_on_plateau_exact_eta_sequence(
    monkeypatch: pytest.MonkeyPatch, patience: int, factor: float, etas: list[float]
) -> None:
    result = scripted_trial(monkeypatch, [0.5], epochs=100, eta=0.8, schedule="halve-on-plateau",
                            plateau_patience=patience, eta_stop_factor=factor)  # fmt: skip
    assert [p.eta for p in result.curve] == etas
    assert result.stop_reason == "eta-schedule"


def test_improvement_resets_the_plateau_count(monkeypatch: pytest.MonkeyPatch) -> None:
    # 0.5, 0.5 (plateau 1), 0.6 (better: reset), 0.6 (1), 0.6 (2: halve), 0.6 (1), 0.6 (2: stop)
    result = scripted_trial(monkeypatch, [0.5, 0.5, 0.6, 0.6], epochs=100, eta=0.8,
                            schedule="halve-on-plateau", plateau_patience=2,
                            eta_stop_factor=4)  # fmt: skip
    assert [p.eta for p in result.curve] == [0.8, 0.8, 0.8, 0.8, 0.8, 0.4, 0.4]


def test_early_stop_after_exactly_n_checkpoints_without_improvement(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    result = scripted_trial(monkeypatch, [0.1, 0.3, 0.2, 0.3, 0.2, 0.5], epochs=100,
                            early_stop=3)  # fmt: skip
    assert [p.val_accuracy for p in result.curve] == [0.1, 0.3, 0.2, 0.3, 0.2]
    assert result.stop_reason == "early-stop"
