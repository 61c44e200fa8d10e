"""Run records: JSON round trip, atomic writes, schema checks, statistics."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_helpers import FAST

from bench.config import DataSpec, TrainSpec, TrialSpec
from bench.data.dataset import Dataset
from bench.results import (
    SCHEMA_VERSION,
    Run,
    load_run,
    median_spread,
    olympic_mean,
    save_run,
)
from bench.runner import DataCache, QuietObserver, new_run, plan_sweep, run_planned
from bench.train import run_trial


def _run(mnist_small: Dataset) -> Run:
    spec = TrialSpec(
        train=TrainSpec(backend=FAST, epochs=1, monitor_every=250),
        data=DataSpec(n_train=500, n_val=200, digits=(0, 1, 7)),
    )
    run = new_run("train", dtype="float64", threads=1, peak=False)
    run.trials.append(run_trial(spec, mnist_small, label="mb=10"))
    return run


def test_run_json_round_trips(tmp_path: Path, mnist_small: Dataset) -> None:
    run = _run(mnist_small)
    path = tmp_path / "runs" / "r.json"
    save_run(run, path)
    back = load_run(path)
    assert back.to_dict() == run.to_dict()
    assert back.trials[0].config == run.trials[0].config
    assert back.trials[0].config.data.digits == (0, 1, 7)
    raw = json.loads(path.read_text())
    assert raw["schema_version"] == SCHEMA_VERSION
    assert {"cpu", "cores", "numpy", "numba", "llvmlite", "threading_layer",
            "numba_threads", "git_commit", "python"} <= set(raw["machine"])  # fmt: skip
    summary = raw["trials"][0]["summary"]
    for key in ("best_val_accuracy", "final_val_accuracy", "time_to_target_seconds",
                "images_to_target", "samples_per_second"):  # fmt: skip
        assert key in summary
    assert raw["trials"][0]["curve"][1]["images_seen"] == 250


def test_newer_schema_and_foreign_json_are_rejected(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text(json.dumps({"benchmarks": []}))
    with pytest.raises(ValueError, match="schema_version"):
        load_run(path)
    path.write_text(json.dumps({"schema_version": SCHEMA_VERSION + 1}))
    with pytest.raises(ValueError, match="newer"):
        load_run(path)


def test_runner_saves_after_each_trial_and_resumes(tmp_path: Path) -> None:
    base = TrialSpec(
        train=TrainSpec(backend=FAST, epochs=1),
        data=DataSpec(n_train=300, n_val=100),
    )
    trials = plan_sweep(base, (10, 50), repeats=1)
    path = tmp_path / "run.json"
    run = new_run("sweep", dtype="float64", threads=1, peak=False)
    run_planned(trials[:1], run, path, QuietObserver(), DataCache())
    assert [t.label for t in load_run(path).trials] == ["mb=10"]
    resumed = load_run(path)
    run_planned(trials, resumed, path, QuietObserver(), DataCache())
    final = load_run(path)
    assert [t.label for t in final.trials] == ["mb=10", "mb=50"]
    assert final.trials[0].curve == run.trials[0].curve  # kept, not re-run


def test_plan_sweep_scales_eta_and_seeds() -> None:
    base = TrialSpec(train=TrainSpec(eta=0.5, seed=7))
    trials = plan_sweep(base, (1, 10, 100), repeats=2, eta_scaling="linear")
    assert [t.spec.train.eta for t in trials[:3]] == pytest.approx([0.05, 0.5, 5.0])
    assert [t.spec.train.seed for t in trials] == [7, 7, 7, 8, 8, 8]
    assert len({t.label for t in trials}) == 6


def test_median_spread_and_olympic_mean() -> None:
    assert median_spread([3.0, 1.0, 2.0]) == (2.0, 1.0, 3.0)
    assert olympic_mean([1.0, 2.0, 3.0, 100.0]) == 2.5
    assert olympic_mean([1.0, 3.0]) == 2.0
