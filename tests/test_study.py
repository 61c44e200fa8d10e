"""Shared-study pieces that need no database server: seeds, the total, stale trials, machines."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState, create_trial

from bench.config import ConfigError, TrialSpec
from bench.publish.compare import from_run, split_by_machine
from bench.results import Run, TrialResult, TrialSummary
from bench.search.storage import mask_url, open_storage
from bench.search.study import (
    MACHINE_ATTR,
    RESULT_ATTR,
    SurplusTrialError,
    check_room,
    concurrent_numbers,
    fail_stale,
    worker_identity,
)


def test_worker_seeds_differ_by_index_and_study_seed() -> None:
    seeds = {worker_identity(s, i).seed for s in (0, 1) for i in range(4)}
    assert len(seeds) == 8
    assert worker_identity(0, 2) == worker_identity(0, 2)  # stable within a process
    assert worker_identity(0, 2).name.endswith(":2")


def test_mask_url_hides_the_password() -> None:
    assert (
        mask_url("postgresql://me:s3cr:et@db.host:5432/x") == "postgresql://me:***@db.host:5432/x"
    )
    assert mask_url("sqlite:///a.db") == "sqlite:///a.db"


def test_surplus_trial_is_given_up() -> None:
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    study = optuna.create_study()
    first, second, third = study.ask(), study.ask(), study.ask()
    check_room(study, first, 2)
    check_room(study, second, 2)
    with pytest.raises(SurplusTrialError):
        check_room(study, third, 2)


def test_fail_stale_on_the_journal_requeues_the_trial(tmp_path: Path) -> None:
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    study = optuna.create_study(storage=open_storage(None, tmp_path, "j"), study_name="j")
    trial = study.ask()
    x = trial.suggest_float("x", 0, 1)
    with pytest.raises(ConfigError):
        fail_stale(study, None)  # no heartbeat: the age must be given
    assert fail_stale(study, 3600) == []
    assert fail_stale(study, 0) == [trial.number]
    trials = study.get_trials()
    assert [t.state for t in trials] == [TrialState.FAIL, TrialState.WAITING]
    assert trials[1].params == {"x": x} and trials[1].system_attrs["failed_trial"] == 0


def test_concurrent_only_on_the_same_host() -> None:
    t0 = datetime(2026, 1, 1)
    spans = [("a", 0, 10), ("a", 5, 15), ("b", 5, 15), ("a", 20, 30)]
    trials = []
    for n, (host, start, end) in enumerate(spans):
        t = create_trial(
            state=TrialState.COMPLETE,
            value=0.5,
            user_attrs={MACHINE_ATTR: {"hostname": host}},
        )
        t.number = n
        t.datetime_start = t0 + timedelta(seconds=start)
        t.datetime_complete = t0 + timedelta(seconds=end)
        trials.append(t)
    assert concurrent_numbers(trials) == {0, 1}


def _result(host: str) -> TrialResult:
    summary = TrialSummary(
        best_val_accuracy=0.9, final_val_accuracy=0.9, time_to_target_seconds=1.0,
        images_to_target=10, samples_per_second=10.0, gflops=1.0, images_seen=10,
        epochs=1.0, train_seconds=1.0, wall_seconds=1.0,
    )  # fmt: skip
    return TrialResult(
        config=TrialSpec(), status="completed", stop_reason="epochs", compile_seconds=0.0,
        curve=[], summary=summary, machine={"hostname": host, "cpu": f"CPU of {host}"},
    )  # fmt: skip


def test_compare_splits_a_shared_run_by_machine(tmp_path: Path) -> None:
    run = Run(
        run_id="r", kind="sweep", created="2026-01-01T00:00:00", command=[],
        machine={"cpu": "exporter", "hostname": "x"},
        trials=[_result("a"), _result("b"), _result("a")],
    )  # fmt: skip
    assert Run.from_dict(run.to_dict()).trials[1].machine == {"hostname": "b", "cpu": "CPU of b"}
    parts = split_by_machine(from_run(run, tmp_path / "study.json"))
    assert [(p.path.name, p.cpu, len(p.run.trials) if p.run else 0) for p in parts] == [
        ("study@a.json", "CPU of a", 2),
        ("study@b.json", "CPU of b", 1),
    ]
    plain = Run(run_id="p", kind="sweep", created="", command=[], machine={"cpu": "c"},
                trials=[_result("a")])  # fmt: skip
    plain.trials = [TrialResult.from_dict({**plain.trials[0].to_dict(), "machine": None})]
    assert "machine" not in plain.trials[0].to_dict()
    assert len(split_by_machine(from_run(plain, tmp_path / "p.json"))) == 1


def test_result_attr_name_is_stable() -> None:
    assert RESULT_ATTR == "mlpbench_result"  # studies written by older versions stay readable
