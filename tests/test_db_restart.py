"""A real fault of the shared database: PostgreSQL restarted while three workers search.

``pg_ctl restart -m fast`` on the server of ``.ci/setup-postgres.sh`` (as its owner, so root)
while three ``mlpbench search`` processes share one study: each worker waits the outage out
and carries on; the study ends with exactly the budget COMPLETE, each parameter set once,
every failed trial re-run, and no traceback in any worker's output.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import optuna
from pg_server import (
    fresh_schema,
    pg_ctl,
    search_worker,
    server_files,
    server_url,
    spawn,
    states,
    study_of,
    wait_for_trials,
)

from bench.search.study import SURPLUS_ATTR

TRIALS = 6
STUDY = "restart"


def search_args(url: str, results: Path) -> list[str]:
    """One worker: random search of η and λ, ``TRIALS`` trials of about a second each."""
    return search_worker(url, STUDY, TRIALS, results, "--space", "lmbda=log:0.01:10",
                         "--heartbeat", "1", "--grace", "4")  # fmt: skip


def training(trials: list[optuna.trial.FrozenTrial]) -> bool:
    """One trial is complete and another is training (both parameters drawn)."""
    done = [t for t in trials if t.state == optuna.trial.TrialState.COMPLETE]
    running = [t for t in trials if t.state.name == "RUNNING" and len(t.params) == 2]
    return bool(done and running)


def wait_for_training(url: str) -> None:
    """Return once :func:`training` holds for the study."""
    wait_for_trials(url, STUDY, training, "no trial was training within the time limit")


def test_restart_mid_study_loses_nothing(tmp_path: Path) -> None:
    server_files()  # root and the server's files, or skip (fail under CI) before any work
    with fresh_schema(server_url()) as url:
        logs = [tmp_path / f"w{i}.log" for i in range(3)]
        procs = [spawn(search_args(url, tmp_path / f"w{i}"), log) for i, log in enumerate(logs)]
        try:
            wait_for_training(url)
            pg_ctl("restart", "-m", "fast")
            for p in procs:
                p.wait(timeout=240)
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
        output = "".join(log.read_text() for log in logs)
        assert "Traceback" not in output, output
        assert all(p.returncode == 0 for p in procs), output
        assert "lost the database" in output and "***@" in output, output  # the restart hit
        study = study_of(url, STUDY)
        assert states(study).count("COMPLETE") == TRIALS, states(study)
        kept = [t for t in study.get_trials() if not t.user_attrs.get(SURPLUS_ATTR)]
        done = [t for t in kept if t.state == optuna.trial.TrialState.COMPLETE]
        assert len({(t.params["eta"], t.params["lmbda"]) for t in done}) == TRIALS
        rerun = {t.system_attrs.get("failed_trial") for t in done}
        failed = [t.number for t in kept if t.state == optuna.trial.TrialState.FAIL]
        assert set(failed) <= rerun, (failed, rerun)  # each failed trial re-ran to completion


def outlived(url: str, tmp_path: Path, *options: str) -> tuple[int | None, str, list[str]]:
    """Stop the server while a search with ``options`` trains, start it again once the search
    has ended; the search's exit status, its output and its ``mlpbench: error:`` lines."""
    log = tmp_path / "w.log"
    proc = spawn([*search_args(url, tmp_path / "w"), *options], log)
    try:
        wait_for_training(url)
        pg_ctl("stop", "-m", "fast")
        try:
            proc.wait(timeout=120)
        finally:
            pg_ctl("start")
    finally:
        if proc.poll() is None:
            proc.kill()
    output = log.read_text()
    return proc.returncode, output, [ln for ln in output.splitlines()
                                     if ln.startswith("mlpbench: error:")]  # fmt: skip


def test_database_gone_past_the_wait_is_one_line_and_resumes(tmp_path: Path) -> None:
    server_files()
    with fresh_schema(server_url()) as url:
        returncode, output, error = outlived(url, tmp_path, "--storage-wait", "3")
        assert returncode == 2 and "Traceback" not in output, output
        assert len(error) == 1 and output.rstrip().endswith(error[0]), output
        masked = url.replace("mlpbench-ci", "***")
        assert "mlpbench-ci" not in error[0] and f"lost the database {masked} for " in error[0]
        command = error[0].split("resume with: ", 1)[1]
        assert command.startswith("mlpbench search ") and f"--study {STUDY}" in command
        resume = [a.replace("***", "mlpbench-ci") for a in shlex.split(command)[1:]]
        again = spawn(resume, tmp_path / "again.log")
        assert again.wait(timeout=240) == 0, (tmp_path / "again.log").read_text()
        study = study_of(url, STUDY)
        assert states(study).count("COMPLETE") == TRIALS, states(study)
        kept = [t for t in study.get_trials() if not t.user_attrs.get(SURPLUS_ATTR)]
        rerun = {t.system_attrs.get("failed_trial") for t in kept if t.state.name == "COMPLETE"}
        assert {t.number for t in kept if t.state.name == "FAIL"} <= rerun  # none lost


def test_local_worker_processes_give_up_in_one_line(tmp_path: Path) -> None:
    server_files()
    with fresh_schema(server_url()) as url:
        returncode, output, error = outlived(url, tmp_path, "--storage-wait", "2", "--workers", "2")
        assert returncode == 2 and "Traceback" not in output, output
        assert len(error) == 1 and output.rstrip().endswith(error[0]), output
        assert "worker(s) gave up" in error[0] and "resume with: mlpbench search" in error[0]
