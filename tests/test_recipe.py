"""The chapter's recipe: stripping, η threshold on training cost, λ search, choice by time, tune."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import FAST, wide_console  # noqa: F401 (autouse fixture)

from bench.cli.main import main
from bench.config import DataSpec, NetSpec, TrainSpec, TrialSpec
from bench.recipe.recipe import (
    FALLS,
    OSCILLATES,
    RISES,
    choose_by_time,
    cost_verdict,
    mean_accuracy,
    rescale_lmbda,
    round_sig,
    search_eta,
    search_lmbda,
    train_command,
)
from bench.runner import DataCache
from bench.train import run_trial


def spec_for(sizes: tuple[int, ...], data: DataSpec, **train: object) -> TrialSpec:
    return TrialSpec(net=NetSpec(sizes=sizes), train=TrainSpec(backend=FAST, **train), data=data)  # type: ignore[arg-type]


def test_cost_verdicts() -> None:
    assert cost_verdict([5.0, 2.0, 1.0, 0.9]) == FALLS
    assert cost_verdict([5.0, 1.0, 1.5, 0.8]) == OSCILLATES
    assert cost_verdict([5.0, 6.0, 7.0]) == RISES
    assert cost_verdict([5.0, float("nan")]) == RISES
    assert cost_verdict([5.0]) == RISES


def test_rescale_lmbda_keeps_eta_lmbda_over_n() -> None:
    assert rescale_lmbda(1000.0, 50_000, 1000) == pytest.approx(20.0)
    assert round_sig(0.123456) == 0.12


def test_eta_threshold_order_of_magnitude_on_mnist5k() -> None:
    """[784, 30, 10] cross-entropy on mnist5k: the threshold lies in [0.1, 10)."""
    spec = spec_for((784, 30, 10), DataSpec())
    data = DataCache().get(spec)
    search = search_eta(spec, data, epochs=5, refine_steps=1)
    assert search.threshold is not None
    assert 0.1 <= search.threshold < 10
    assert search.recommended == round_sig(search.threshold / 2)
    tried = {p.eta: p for p in search.probes}
    assert tried[0.01].verdict == FALLS  # the book's starting point learns
    above = [p for p in search.probes if p.eta > search.threshold]
    assert above and all(p.verdict != FALLS for p in above)
    # Judged on the training set: epoch 0 is the untrained network's training cost.
    assert all(len(p.costs) == 6 for p in search.probes if p.verdict != RISES)
    assert all(p.trial.config.train.lmbda == 0.0 for p in search.probes)


def test_lmbda_search_on_real_trials_reports_what_it_measured(mnist_small: object) -> None:
    """Real training: the search terminates and its summary agrees with its probes.

    (Which λ it must choose is pinned by the scripted tests in test_known_answers.py.)
    """
    spec = spec_for((784, 10), DataSpec(n_train=500, n_val=200), eta=0.5, epochs=3)
    data = DataCache().get(spec)
    search = search_lmbda(spec, data, refine_steps=1, max_orders=3)
    assert 4 <= len(search.probes) <= 3 + 3 + 2 + 1
    by_lmbda = {p.lmbda: p for p in search.probes}
    assert [p.lmbda for p in search.probes][:3] == [1.0, 10.0, 0.1]
    assert search.probes[-1].lmbda == 0.0  # the baseline is tried last
    assert search.baseline_accuracy == by_lmbda[0.0].accuracy
    assert search.best_accuracy == max(p.accuracy for p in search.probes)
    assert by_lmbda[search.best].accuracy == search.best_accuracy
    for p in search.probes:
        assert p.accuracy == p.trial.summary.best_val_accuracy
        assert p.trial.config.train.lmbda == p.lmbda


def test_chapter_stripped_example_stays_near_chance() -> None:
    """[784, 10], 1,000 images, 100 validation images, η = 10, λ = 1000: noise."""
    spec = spec_for((784, 10), DataSpec(n_train=1000, n_val=100), eta=10.0, lmbda=1000.0, epochs=5)
    data = DataCache().get(spec)
    result = run_trial(spec, data)
    trained = [p.val_accuracy for p in result.curve if p.images_seen > 0]
    assert trained and max(trained) <= 0.2
    # The same data and network with a sensible η and no λ learns: the noise above is the
    # hyper-parameters' doing, not broken training.
    sane = run_trial(replace(spec, train=replace(spec.train, eta=0.5, lmbda=0.0)), data)
    assert sane.summary.best_val_accuracy >= 0.6


def test_choose_by_time_and_mean_accuracy() -> None:
    spec = spec_for((784, 10), DataSpec(n_train=300, n_val=100), epochs=1, monitor_every=100)
    data = DataCache().get(spec)
    trials = [
        run_trial(replace(spec, train=replace(spec.train, mini_batch=mb)), data, label=f"mb={mb}")
        for mb in (10, 100)
    ]
    choice = choose_by_time(trials)
    assert choice.horizon == min(t.curve[-1].train_seconds for t in trials)
    assert choice.areas == {t.label: mean_accuracy(t, choice.horizon) for t in trials}
    assert choice.by_area == max(choice.areas, key=lambda k: choice.areas[k])
    t = trials[0]
    assert mean_accuracy(t, 1e9) == pytest.approx(t.curve[-1].val_accuracy, abs=1e-3)


def run_in(tmp_path: Path, argv: list[str]) -> dict[str, Any]:
    """``mlpbench ARGV --quiet --results-dir TMP_PATH`` in-process, asserting exit status 0;
    the run JSON it saved."""
    assert main([*argv, "--quiet", "--results-dir", str(tmp_path)]) == 0
    run: dict[str, Any] = json.loads(next((tmp_path / "runs").glob("*.json")).read_text())
    return run


def test_train_command_round_trips(tmp_path: Path) -> None:
    spec = spec_for(
        (784, 10),
        DataSpec(n_train=300, n_val=100, digits=(0, 1)),
        eta=0.3,
        lmbda=2.0,
        epochs=1,
        early_stop=10,
    )
    argv = train_command(spec)
    assert argv[:2] == ["mlpbench", "train"]
    cfg = run_in(tmp_path, [*argv[1:], "--no-plot"])["trials"][0]["config"]
    assert cfg["train"]["eta"] == 0.3 and cfg["train"]["early_stop"] == 10
    assert cfg["data"]["digits"] == [0, 1] and cfg["net"]["sizes"] == [784, 10]


def test_strip_preset_on_sweep_announces_lmbda(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = run_in(
        tmp_path, f"sweep --strip --backend {FAST} --epochs 1 --batch-sizes 10 --no-plot".split()
    )
    err = capsys.readouterr().err
    assert "λ rescaled" in err and "ηλ/n" in err
    cfg = run["trials"][0]["config"]
    assert cfg["net"]["sizes"] == [784, 10]
    assert cfg["data"]["digits"] == [0, 1] and cfg["data"]["n_val"] == 100
    assert cfg["data"]["n_train"] <= 1000 and cfg["train"]["monitor_every"] == 1000
    assert cfg["train"]["lmbda"] == pytest.approx(5.0 * cfg["data"]["n_train"] / 4000)


@pytest.mark.parametrize(
    "command",
    [
        "eta --probe-epochs 2 --refine 0",
        "lmbda --eta 0.5 --refine 0 --epochs 1",
        "batch --batch-sizes 10,100 --epochs 1",
        "momentum --mus 0,0.9 --epochs 1",
    ],
    ids=lambda command: command.split()[0],
)
def test_recipe_commands_run(command: str, tmp_path: Path) -> None:
    run_in(tmp_path, [*command.split(), "--strip", "--backend", FAST])
    assert list((tmp_path / "runs").glob("*.png"))


def test_tune_completes_and_writes_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = (f"tune --backend {FAST} --train-size 500 --val-size 200 --probe-epochs 1 "
            "--eta-refine 0 --lmbda-epochs 1 --lmbda-refine 0 --batch-sizes 10,100 "
            "--batch-epochs 1 --patience 2 --max-epochs 2")  # fmt: skip
    run_in(tmp_path, argv.split())
    out = capsys.readouterr().out
    assert "mlpbench train --sizes 784,30,10" in out
    reports = list((tmp_path / "tune").glob("*/report.md"))
    assert len(reports) == 1
    text = reports[0].read_text()
    assert "Reproduce this study" in text and "mlpbench tune" in text
    assert "## Recommended configuration" in text
    for png in ("eta-stripped", "lmbda-stripped", "eta-full", "lmbda-full", "batch", "epochs"):
        assert (reports[0].parent / f"{png}.png").exists()
        assert f"({png}.png)" in text
