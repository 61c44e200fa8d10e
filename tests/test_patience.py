"""Waiting out a lost database connection, without a server: SQLite with injected faults.

The faults are SQLAlchemy ``OperationalError`` raised from the engine's own event hooks
(before a statement, or after a commit the server made), so Optuna's real ``RDBStorage``
and its cache see them exactly where a dropped PostgreSQL connection would surface. The
real server restart is in ``tests/test_db_restart.py``.
"""

from __future__ import annotations

import argparse
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import optuna
import pytest
import sqlalchemy
import sqlalchemy.exc as sa_exc
from optuna.trial import TrialState

from bench.cli.study import resume_command
from bench.results import Run
from bench.search import patience
from bench.search.patience import Outage, PatientStorage, StorageLostError, connection_lost
from bench.search.storage import StorageTimes, open_rdb
from bench.search.study import RESULT_ATTR, export_run, fail_stale, work

GONE = "server closed the connection unexpectedly"


def lost() -> sa_exc.OperationalError:
    """The error SQLAlchemy raises when the server drops the connection."""
    return sa_exc.OperationalError("SELECT 1", {}, Exception(GONE))


class Faults:
    """Makes every statement on ``engine`` fail as a dropped connection while ``down``."""

    def __init__(self, engine: sqlalchemy.Engine) -> None:
        self.down = False
        self.after_commit = 0  # this many commits succeed, then report a lost connection
        sqlalchemy.event.listen(engine, "before_cursor_execute", self._statement)
        sqlalchemy.event.listen(engine, "commit", self._commit)

    def _statement(self, *args: Any) -> None:
        if self.down:
            raise lost()

    def _commit(self, conn: sqlalchemy.Connection) -> None:
        if self.after_commit:
            self.after_commit -= 1
            conn.connection.dbapi_connection.commit()  # type: ignore[union-attr]
            raise lost()  # the commit happened; its answer is lost

    def outage(self, seconds: float) -> None:
        """Down now, back after ``seconds`` (a timer thread)."""
        self.down = True
        threading.Timer(seconds, lambda: setattr(self, "down", False)).start()


@pytest.fixture
def storage(tmp_path: Path) -> Iterator[tuple[PatientStorage, Faults, list[str]]]:
    """A patient SQLite storage (heartbeat 1 s, grace 2 s, wait 20 s), its faults, its lines."""
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    patient = open_rdb(f"sqlite:///{tmp_path / 's.db'}", StorageTimes(interval=1, grace=2,
                                                                     wait=20))  # fmt: skip
    said: list[str] = []
    patient.outage.say = said.append
    engine = patient._inner._backend.engine  # type: ignore[attr-defined]
    yield patient, Faults(engine), said
    engine.dispose()


def test_connection_errors_are_told_apart() -> None:
    assert connection_lost(lost())
    try:
        try:
            raise lost()
        except sa_exc.OperationalError as err:
            raise optuna.exceptions.StorageInternalError("commit failed") from err
    except optuna.exceptions.StorageInternalError as wrapped:
        assert connection_lost(wrapped)
    try:
        try:
            raise lost()
        except sa_exc.OperationalError:
            raise sa_exc.PendingRollbackError("roll back first") from None
    except sa_exc.PendingRollbackError as pending:
        assert connection_lost(pending)  # via its context
    assert not connection_lost(sa_exc.IntegrityError("INSERT", {}, Exception("duplicate")))
    assert not connection_lost(optuna.exceptions.UpdateFinishedTrialError("finished"))
    assert not connection_lost(optuna.exceptions.StorageInternalError("too long"))


def test_an_outage_is_waited_out_and_said_in_one_line_each_way() -> None:
    said: list[str] = []
    outage = Outage("postgresql://u:***@h/db", 20, said.append)
    failures = [lost(), lost(), lost()]

    def flaky() -> int:
        if failures:
            raise failures.pop()
        return 7

    assert outage.call(flaky) == 7
    assert len(said) == 2, said
    assert said[0].startswith("lost the database postgresql://u:***@h/db (") and GONE in said[0]
    assert said[1].startswith("the database postgresql://u:***@h/db is back after")
    with pytest.raises(ValueError, match="not a connection"):
        outage.call(lambda: (_ for _ in ()).throw(ValueError("not a connection")))


def test_past_the_bound_one_error_names_the_storage(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(patience, "FIRST_PAUSE_S", 0.05)
    outage = Outage("postgresql://u:***@h/db", 0.3, lambda line: None)

    def down() -> None:
        raise lost()

    with pytest.raises(StorageLostError) as caught:
        outage.call(down)
    message = str(caught.value.with_resume("mlpbench search --study s"))
    assert message.startswith("--storage: lost the database postgresql://u:***@h/db for 0 s")
    assert GONE in message and message.endswith("resume with: mlpbench search --study s")
    assert "\n" not in message


def test_resume_command_masks_the_password_and_names_the_study() -> None:
    args = argparse.Namespace(argv=["search", "--storage", "postgresql://u:pw@h/db", "--trials",
                                    "8"])  # fmt: skip
    assert resume_command(args, "search-1") == (
        "mlpbench search --storage 'postgresql://u:***@h/db' --trials 8 --study search-1"
    )
    args.argv += ["--study=mine"]
    assert resume_command(args, "mine").endswith("--study=mine")


def test_a_study_runs_through_an_outage(storage: tuple[PatientStorage, Faults, list[str]]) -> None:
    patient, faults, said = storage
    study = optuna.create_study(storage=patient, study_name="s", direction="maximize")

    def objective(trial: optuna.Trial) -> float:
        x = trial.suggest_float("x", 0, 1)
        if trial.number == 1:
            faults.outage(1.0)  # the server goes away mid-trial: the report waits
        trial.report(x, step=1)
        return x

    work(study, objective, 3)
    assert [t.state for t in study.get_trials()] == [TrialState.COMPLETE] * 3
    assert any(line.startswith("lost the database sqlite") for line in said), said


def test_a_finish_whose_answer_was_lost_counts_once(
    storage: tuple[PatientStorage, Faults, list[str]],
) -> None:
    patient, faults, said = storage
    study = optuna.create_study(storage=patient, study_name="s", direction="maximize")
    trial = study.ask()
    faults.after_commit = 1  # the next commit (the finish) is made, but its answer is lost
    assert patient.set_trial_state_values(trial._trial_id, TrialState.COMPLETE, [0.5])
    assert study.get_trials()[0].state == TrialState.COMPLETE and said
    with pytest.raises(optuna.exceptions.UpdateFinishedTrialError):  # no loss: refused
        patient.set_trial_state_values(trial._trial_id, TrialState.FAIL)


@pytest.mark.parametrize("then", ["returns", "reports"])
def test_a_trial_taken_over_meanwhile_is_one_line_and_its_copy_counts(
    storage: tuple[PatientStorage, Faults, list[str]], then: str
) -> None:
    patient = storage[0]
    study = optuna.create_study(storage=patient, study_name="s", direction="maximize")

    def objective(trial: optuna.Trial) -> float:
        x = trial.suggest_float("x", 0, 1)
        if trial.number == 0:  # another worker found this trial stale and re-queued it
            frozen = patient.get_trial(trial._trial_id)
            patient.set_trial_state_values(trial._trial_id, TrialState.FAIL)
            callback = patient.get_heartbeat_stale_trial_callback()
            assert callback is not None
            callback(study, frozen)
            if then == "reports":  # the next write of the worker is refused
                trial.report(x, step=1)
        return x

    notes: list[str] = []
    work(study, objective, 2, say=notes.append)
    trials = study.get_trials()
    assert [t.state for t in trials] == [TrialState.FAIL, TrialState.COMPLETE, TrialState.COMPLETE]
    assert trials[1].params == trials[0].params and trials[1].system_attrs["failed_trial"] == 0
    assert notes == [
        "trial 0 was failed and re-queued while the database was away; "
        "its copy counts instead, carrying on"
    ]


def test_a_trial_that_never_beat_is_freed_by_age(
    storage: tuple[PatientStorage, Faults, list[str]],
) -> None:
    study = optuna.create_study(storage=storage[0], study_name="s", direction="maximize")
    orphan = study.ask()  # RUNNING, no heartbeat: Optuna's stale check never sees it
    orphan.suggest_float("x", 0, 1)
    assert fail_stale(study, None) == []
    assert fail_stale(study, 3600) == []
    assert fail_stale(study, 0) == [orphan.number]
    copy = study.get_trials()[1]
    assert copy.state == TrialState.WAITING and copy.system_attrs["failed_trial"] == 0


def test_a_result_saved_just_before_the_trial_was_failed_is_not_exported_twice(
    storage: tuple[PatientStorage, Faults, list[str]],
) -> None:
    from test_study import _result

    patient = storage[0]
    study = optuna.create_study(storage=patient, study_name="s", direction="maximize")
    trial = study.ask()
    trial.suggest_float("x", 0, 1)
    trial.set_user_attr(RESULT_ATTR, _result("a").to_dict())  # then the heartbeat fails it:
    frozen = patient.get_trial(trial._trial_id)
    patient.set_trial_state_values(trial._trial_id, TrialState.FAIL)
    callback = patient.get_heartbeat_stale_trial_callback()
    assert callback is not None
    callback(study, frozen)  # the copy inherits the attributes, the result among them
    copy = study.ask()
    assert copy.number == 1 and copy.params == frozen.params
    copy.set_user_attr(RESULT_ATTR, _result("b").to_dict())
    study.tell(copy, 0.9)
    run = export_run(study, Run(run_id="r", kind="search", created="", command=[], machine={}))
    assert [(t.machine or {}).get("hostname") for t in run.trials] == ["b"]
