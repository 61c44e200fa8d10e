"""Studies shared by many workers: identity, the shared trial total, recovery, export.

A *worker* is one process running trials of a study; several may run on one machine and
on many machines at once. Each worker

* derives its own sampler seed from the study seed, its host name, pid and index
  (:func:`worker_identity`), so no two workers propose the same random or TPE start-up
  parameters; the identity and seed are stored with every trial it runs;
* records where each trial ran (:func:`trial_machine`: host, CPU, ISA, cores, library
  versions, GEMM peak) as a trial user attribute and in the trial's result;
* stops when the study holds ``total`` finished trials (:func:`work`): ``--trials`` is the
  study's total over all workers, and a trial that would exceed it is given up before it
  trains (state FAIL, user attribute ``mlpbench_surplus``), so at most ``total`` trials
  train even when workers race;
* waits, while other workers' trials run, for a crashed one to go stale (relational
  storages: heartbeat) and then re-runs its queued copy, so the study still completes;
* carries on, in one line, when its own trial was taken over that way (the database was
  away longer than the grace period): the queued copy counts, the original stays FAIL.

Sweeps become *queue studies* (:func:`run_queue`): the first worker enqueues every planned
(configuration, seed) once, and every worker pops queued trials until none is left.
:func:`export_run` turns a whole study into one :class:`~bench.results.Run` with a machine
per trial; trials that shared a host while running are marked ``concurrent``.
"""

from __future__ import annotations

import hashlib
import os
import platform
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import optuna
from optuna.storages import RetryHeartbeatStaleTrialCallback
from optuna.storages._heartbeat import is_heartbeat_enabled
from optuna.trial import FrozenTrial, TrialState

from bench.config import ConfigError, TrialSpec
from bench.machine import machine_info
from bench.results import Run, TrialResult
from bench.search.patience import StorageLostError, say_on_stderr

RESULT_ATTR = "mlpbench_result"
SURPLUS_ATTR = "mlpbench_surplus"
WORKER_ATTR = "mlpbench_worker"
SEED_ATTR = "mlpbench_sampler_seed"
MACHINE_ATTR = "mlpbench_machine"
KIND_ATTR = "mlpbench_kind"  # study attribute: search | sweep | ...
PLAN_ATTR = "mlpbench_plan"  # study attribute of queue studies: digest and size of the plan
SPEC_ATTR = "mlpbench_spec"  # queued trial: its TrialSpec as a dict
LABEL_ATTR = "mlpbench_label"
DONE = (TrialState.COMPLETE, TrialState.PRUNED)
TAKEN = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING, TrialState.WAITING)


class SurplusTrialError(Exception):
    """Raised inside an objective for a trial the study's total has no room for."""


@dataclass(frozen=True, kw_only=True)
class Worker:
    """Who runs trials: host name, process id, index among the local workers, seed."""

    host: str
    pid: int
    index: int
    seed: int

    @property
    def name(self) -> str:
        """``host:pid:index``, stored with every trial."""
        return f"{self.host}:{self.pid}:{self.index}"


def worker_identity(study_seed: int, index: int = 0) -> Worker:
    """This process as worker ``index``, with a sampler seed unique to (host, pid, index)."""
    host, pid = platform.node(), os.getpid()
    digest = hashlib.blake2b(f"{study_seed}:{host}:{pid}:{index}".encode(), digest_size=4)
    return Worker(host=host, pid=pid, index=index, seed=int.from_bytes(digest.digest()) >> 1)


def trial_machine(*, dtype: str, threads: int, peak: bool = True) -> dict[str, Any]:
    """Machine info of this worker (host, CPU, ISA, cores, versions, GEMM peak in GFLOP/s),
    stored on each of its trials."""
    return machine_info(dtype=dtype, threads=threads, peak=peak, measure_ceilings=False)


def stamp_trial(trial: optuna.Trial, worker: Worker, machine: dict[str, Any]) -> None:
    """Record on ``trial`` which worker runs it, its sampler seed and its machine."""
    trial.set_user_attr(WORKER_ATTR, worker.name)
    trial.set_user_attr(SEED_ATTR, worker.seed)
    trial.set_user_attr(MACHINE_ATTR, machine)


def check_room(study: optuna.Study, trial: optuna.Trial, total: int) -> None:
    """Raise :class:`SurplusTrialError` if ``total`` trials numbered below ``trial`` are taken.

    Trial numbers are handed out by the storage, so of several workers asking at once
    the lower numbers win and exactly ``total`` trials train.
    """
    ahead = sum(
        1
        for t in study.get_trials(deepcopy=False, states=TAKEN)
        if t.number < trial.number and not t.user_attrs.get(SURPLUS_ATTR)
    )
    if ahead >= total:
        trial.set_user_attr(SURPLUS_ATTR, True)
        raise SurplusTrialError(f"trial {trial.number}: the study already has {total} trials")


def heartbeat_enabled(study: optuna.Study) -> bool:
    """Whether the study's storage detects crashed workers by heartbeat (relational ones)."""
    return is_heartbeat_enabled(study._storage)


def _counts(study: optuna.Study) -> tuple[int, int, int]:
    trials = study.get_trials(deepcopy=False)
    done = sum(t.state in DONE for t in trials)
    running = sum(t.state == TrialState.RUNNING for t in trials)
    waiting = sum(t.state == TrialState.WAITING for t in trials)
    return done, running, waiting


def requeued(study: optuna.Study, number: int) -> bool:
    """Whether trial ``number`` went stale and a copy of it was queued (by any worker)."""
    return number in retried_numbers(study.get_trials(deepcopy=False))


def storage_lost_in(err: BaseException) -> StorageLostError | None:
    """The :class:`StorageLostError` behind ``err`` (its cause or context chain), if any."""
    seen: list[BaseException] = []
    cause: BaseException | None = err
    while cause is not None and cause not in seen:
        if isinstance(cause, StorageLostError):
            return cause
        seen.append(cause)
        cause = cause.__cause__ or cause.__context__
    return None


def _one_trial(
    study: optuna.Study, objective: Callable[[optuna.Trial], float], say: Callable[[str], None]
) -> None:
    """Run one trial; if another worker failed and re-queued it meanwhile (its heartbeat
    stopped while the database was away), say so in one line instead of raising."""
    numbers: list[int] = []

    def tracked(trial: optuna.Trial) -> float:
        numbers.append(trial.number)
        return objective(trial)

    try:
        study.optimize(tracked, n_trials=1, catch=(SurplusTrialError,), gc_after_trial=False)
    except StorageLostError:
        raise
    except Exception as err:
        if (lost := storage_lost_in(err)) is not None:
            raise lost from None  # Optuna's clean-up failed on it too and raised its own error
        if not isinstance(
            err, optuna.exceptions.UpdateFinishedTrialError | ValueError | AssertionError
        ):
            raise
        # What Optuna raises when the trial it tells is FAIL already: the update refused,
        # "Cannot tell a FAIL trial.", or, when the objective itself succeeded, its own
        # "Should not reach." assertion. Ours to pass over only if the trial was re-queued.
        if not numbers or not requeued(study, numbers[-1]):
            raise
        say(
            f"trial {numbers[-1]} was failed and re-queued while the database was away; "
            "its copy counts instead, carrying on"
        )


def work(
    study: optuna.Study,
    objective: Callable[[optuna.Trial], float],
    total: int,
    *,
    poll: float = 1.0,
    queue_only: bool = False,
    say: Callable[[str], None] = say_on_stderr,
) -> None:
    """Run trials of ``study`` until it holds ``total`` finished (complete/pruned) ones.

    While the remaining trials are all running elsewhere this worker waits: with a
    heartbeat a crashed worker's trial turns FAIL after the grace period and its queued
    copy is run here. Without a heartbeat (journal) it leaves instead. ``queue_only``
    runs only queued (WAITING) trials, never new ones (queue studies).
    """
    optuna.logging.set_verbosity(optuna.logging.ERROR)  # not the give-ups; errors propagate
    wait = heartbeat_enabled(study)
    while True:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            optuna.storages.fail_stale_trials(study)
        done, running, waiting = _counts(study)
        if done >= total:
            return
        if waiting == 0 and (queue_only or done + running >= total):
            if not wait or running == 0:
                return
            time.sleep(poll)
            continue
        _one_trial(study, objective, say)


def fail_stale(study: optuna.Study, older_than: float | None) -> list[int]:
    """Set RUNNING trials of crashed workers to FAIL and queue a copy of each; their numbers.

    With a heartbeat (relational storages) Optuna decides which are stale, and
    ``older_than``, if given, fails every trial running longer than that too (one that never
    beat: a creation whose answer a lost connection swallowed); without a heartbeat
    (journal) ``older_than`` seconds is required and decides alone.
    """
    failed: list[int] = []
    if heartbeat_enabled(study):
        before = {t.number for t in study.get_trials(states=(TrialState.RUNNING,))}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            optuna.storages.fail_stale_trials(study)
        after = {t.number for t in study.get_trials(states=(TrialState.FAIL,))}
        failed = sorted(before & after)
        if older_than is None:
            return failed
    elif older_than is None:
        raise ConfigError("--older-than", "this storage has no heartbeat; give the age in seconds")
    return sorted(failed + _fail_older(study, older_than))


def _fail_older(study: optuna.Study, older_than: float) -> list[int]:
    """Fail and re-queue every trial running for more than ``older_than`` seconds."""
    now = datetime.now()
    failed = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        retry = RetryHeartbeatStaleTrialCallback()
    for t in study.get_trials(states=(TrialState.RUNNING,)):
        age = (now - t.datetime_start).total_seconds() if t.datetime_start else 0.0
        try:
            if age <= older_than or not study._storage.set_trial_state_values(
                t._trial_id, state=TrialState.FAIL
            ):
                continue
        except optuna.exceptions.UpdateFinishedTrialError:
            continue  # it finished meanwhile
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            retry(study, study._storage.get_trial(t._trial_id))
        failed.append(t.number)
    return failed


def _overlap(a: FrozenTrial, b: FrozenTrial) -> bool:
    if a.datetime_start is None or b.datetime_start is None:
        return False
    a_end = a.datetime_complete or datetime.now()
    b_end = b.datetime_complete or datetime.now()
    return a.datetime_start < b_end and b.datetime_start < a_end


def concurrent_numbers(trials: list[FrozenTrial]) -> set[int]:
    """Numbers of trials that ran while another trial ran on the same host."""
    host = {t.number: (t.user_attrs.get(MACHINE_ATTR) or {}).get("hostname") for t in trials}
    return {
        a.number
        for a in trials
        for b in trials
        if a.number != b.number and host[a.number] and host[a.number] == host[b.number]
        and _overlap(a, b)
    }  # fmt: skip


def retried_numbers(trials: list[FrozenTrial]) -> set[int]:
    """Numbers of the trials that went stale and were re-queued (a copy stands for each)."""
    return {n for t in trials for n in t.system_attrs.get("retry_history", ())}


def trial_results(study: optuna.Study) -> list[TrialResult]:
    """Every finished trial with a result, in number order, each with its own machine;
    a re-queued trial is left out (its copy counts), even if its worker saved a result
    just before the heartbeat failed it."""
    every = study.get_trials(deepcopy=False)
    retried = retried_numbers(every)
    trials = [
        t
        for t in every
        if t.state in (*DONE, TrialState.FAIL)
        and RESULT_ATTR in t.user_attrs
        and t.number not in retried
    ]
    shared = concurrent_numbers(every)
    out = []
    for t in trials:
        result = TrialResult.from_dict(t.user_attrs[RESULT_ATTR])
        machine = t.user_attrs.get(MACHINE_ATTR)
        if machine is not None:
            machine = dict(machine, worker=t.user_attrs.get(WORKER_ATTR))
            machine["concurrent"] = t.number in shared
            result = replace(result, machine=machine)
        out.append(result)
    return out


def export_run(study: optuna.Study, run: Run) -> Run:
    """Fill ``run`` with every finished trial of ``study``; ``concurrent`` if any shared."""
    run.trials = trial_results(study)
    shared = any((t.machine or {}).get("concurrent") for t in run.trials)
    run.concurrent = shared or bool(study.user_attrs.get("concurrent", False))
    return run


def create_or_load(
    name: str, storage: optuna.storages.BaseStorage, **kwargs: Any
) -> tuple[optuna.Study, bool]:
    """The study ``name`` and whether this call created it (exactly one caller does)."""
    try:
        return optuna.create_study(study_name=name, storage=storage, **kwargs), True
    except optuna.exceptions.DuplicatedStudyError:
        return optuna.load_study(study_name=name, storage=storage, **kwargs_for_load(kwargs)), False


def kwargs_for_load(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The subset of ``create_study`` arguments ``load_study`` takes."""
    return {k: v for k, v in kwargs.items() if k in ("sampler", "pruner")}


def plan_digest(specs: list[tuple[str, TrialSpec]]) -> str:
    """A digest of a planned list of (label, spec): the same sweep has the same digest."""
    text = "\n".join(f"{label}\t{spec!r}" for label, spec in specs)
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def enqueue_plan(
    study: optuna.Study, plan: list[tuple[str, TrialSpec]], *, created: bool, wait_s: float = 60
) -> None:
    """Queue every planned (label, spec) once (by the creator); others check it is the same.

    A worker that did not create the study waits up to ``wait_s`` seconds for the creator
    to finish queueing; a study holding a different plan is a ConfigError.
    """
    digest = plan_digest(plan)
    if created:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            for i, (label, spec) in enumerate(plan):
                study.enqueue_trial(
                    {"index": i}, user_attrs={LABEL_ATTR: label, SPEC_ATTR: spec.to_dict()}
                )
        study.set_user_attr(PLAN_ATTR, {"digest": digest, "size": len(plan)})
        return
    deadline = time.monotonic() + wait_s
    while (found := study.user_attrs.get(PLAN_ATTR)) is None:
        if time.monotonic() > deadline:
            raise ConfigError(
                "--study", f"study {study.study_name} exists but holds no planned sweep; "
                "use a new --study name"
            )  # fmt: skip
        time.sleep(0.2)
    if found["digest"] != digest:
        raise ConfigError(
            "--study",
            f"study {study.study_name} holds a different sweep ({found['size']} trials); "
            "give every worker the same options, or use a new --study name",
        )


def queued_spec(trial: optuna.Trial, size: int) -> tuple[str, TrialSpec]:
    """The (label, spec) a queued trial carries; SurplusTrialError if not from the queue."""
    attrs = trial.user_attrs
    if SPEC_ATTR not in attrs:
        trial.set_user_attr(SURPLUS_ATTR, True)
        raise SurplusTrialError(f"trial {trial.number} is not a queued sweep trial")
    trial.suggest_int("index", 0, max(size - 1, 0))
    return str(attrs.get(LABEL_ATTR, "")), TrialSpec.from_dict(attrs[SPEC_ATTR])
