"""Sweeps shared by several machines: a list of planned trials run once each through a study.

:func:`run_distributed` takes the trials a sweep would run (whatever grid produced them)
and turns them into a queue study in an Optuna storage: the first worker to arrive queues
every (configuration, seed) once, every worker (on any machine) pops queued trials until
none is left, and a crashed worker's trial is re-queued by the storage's heartbeat. The
whole study is then one run (:func:`bench.search.study.export_run`), with a machine per trial.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import optuna

from bench.data.dataset import DataCache
from bench.results import CurvePoint
from bench.runner import PlannedTrial
from bench.search.storage import StorageTimes, open_storage
from bench.search.study import (
    KIND_ATTR,
    RESULT_ATTR,
    create_or_load,
    enqueue_plan,
    queued_spec,
    stamp_trial,
    trial_machine,
    work,
    worker_identity,
)
from bench.train import run_trial


def _objective(
    size: int, data: DataCache, peak: bool, on_checkpoint: Callable[[CurvePoint], None] | None
) -> Callable[[optuna.Trial], float]:
    worker = worker_identity(0)
    machines: dict[tuple[str, int], dict[str, object]] = {}

    def objective(trial: optuna.Trial) -> float:
        label, spec = queued_spec(trial, size)
        key = (spec.train.dtype, spec.train.threads)
        if key not in machines:
            machines[key] = trial_machine(dtype=key[0], threads=key[1], peak=peak)
        stamp_trial(trial, worker, machines[key])

        def hook(point: CurvePoint) -> bool:
            if on_checkpoint is not None:
                on_checkpoint(point)
            return False

        result = run_trial(spec, data.get(spec), on_checkpoint=hook, label=label)
        result = replace(result, machine=machines[key])
        trial.set_user_attr(RESULT_ATTR, result.to_dict())
        return result.summary.best_val_accuracy

    return objective


def run_distributed(
    plan: list[PlannedTrial],
    *,
    study_name: str,
    storage_url: str | None,
    results_dir: Path,
    kind: str = "sweep",
    times: StorageTimes | None = None,
    peak: bool = True,
    on_checkpoint: Callable[[CurvePoint], None] | None = None,
) -> optuna.Study:
    """Run this worker's share of ``plan`` in the study ``study_name``; returns the study.

    Every worker must be given the same plan (checked by digest). Returns when every
    planned trial has finished, here or elsewhere (or, without a heartbeat, when none is
    left to start here).
    """
    hb = times or StorageTimes()
    data = DataCache()
    for t in plan:  # check every configuration against its data before any work
        data.get(t.spec)
    storage = open_storage(storage_url, results_dir, study_name, hb)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study, created = create_or_load(
        study_name, storage, direction="maximize", sampler=optuna.samplers.RandomSampler()
    )
    if created:
        study.set_user_attr(KIND_ATTR, kind)
    enqueue_plan(study, [(t.label, t.spec) for t in plan], created=created)
    objective = _objective(len(plan), data, peak, on_checkpoint)
    work(study, objective, len(plan), poll=min(1.0, hb.interval / 2), queue_only=True)
    return study
