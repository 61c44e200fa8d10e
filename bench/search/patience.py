"""Waiting out a lost connection to the database of a shared study.

A PostgreSQL or MySQL server restarts, fails over, or the network drops for a moment: the
calls a worker makes meanwhile fail with SQLAlchemy's ``OperationalError`` (Optuna re-raises
it as ``StorageInternalError``). :class:`PatientStorage` wraps the storage Optuna builds for
a database URL (its ``RDBStorage`` behind its trial cache) and repeats such a call with
jittered exponential back-off (0.25 s, doubling up to 8 s) until the server answers again,
for at most ``wait`` seconds from the first failure; SQLAlchemy's ``pool_pre_ping`` replaces
the pooled connections the outage broke. The first failure of an outage prints one line and
the first success after it another; past the bound :class:`StorageLostError` (a
:class:`~bench.config.ConfigError`: one line, exit 2) names the storage, password masked.

Heartbeats are not waited for: a beat that fails is noted and the next one, an interval
later, tries again. If the outage outlasts the grace period, the trials running meanwhile
go stale: the first worker back sets them to FAIL and Optuna's
``RetryHeartbeatStaleTrialCallback`` queues a copy of each, so each trial is either finished
by its worker or re-run once (:func:`bench.search.study.work` carries on in the worker
whose trial was taken over).
"""

from __future__ import annotations

import random
import sys
import threading
import time
from collections.abc import Callable, Container, Sequence
from typing import Any, TypeVar

import optuna
from optuna.distributions import BaseDistribution
from optuna.storages import BaseStorage
from optuna.storages._heartbeat import BaseHeartbeat
from optuna.study import StudyDirection
from optuna.study._frozen import FrozenStudy
from optuna.trial import FrozenTrial, TrialState

from bench.config import ConfigError

T = TypeVar("T")
WAIT_S = 120.0  # default bound on one outage, seconds
FIRST_PAUSE_S, MAX_PAUSE_S = 0.25, 8.0  # back-off between tries, seconds


class StorageLostError(ConfigError):
    """The database stayed out of reach for longer than the bound (exit 2, one line)."""

    def __init__(self, where: str, waited: float, cause: str) -> None:
        self.where, self.waited, self.cause = where, waited, cause
        super().__init__(
            "--storage",
            f"lost the database {where} for {waited:.0f} s ({cause}); every finished trial is "
            "kept there (--storage-wait S waits longer)",
        )

    def with_resume(self, command: str) -> ConfigError:
        """The same message ending with the command that resumes the work."""
        return ConfigError(self.option, f"{self.message}; once it answers, resume with: {command}")

    @property
    def message(self) -> str:
        """The message without the option."""
        return str(self).removeprefix(f"{self.option}: ")


def short_error(err: BaseException) -> str:
    """First non-empty line of the database's own error (SQLAlchemy and Optuna wrap it)."""
    cause: BaseException = err
    while isinstance(cause, optuna.exceptions.StorageInternalError) and cause.__cause__:
        cause = cause.__cause__
    orig = getattr(cause, "orig", None) or cause
    lines = [ln.strip() for ln in str(orig).splitlines() if ln.strip()]
    return lines[0] if lines else type(orig).__name__


def connection_lost(err: BaseException) -> bool:
    """Whether ``err`` says the connection to the database failed (worth waiting out):
    SQLAlchemy's OperationalError or InterfaceError, or any DBAPI error that invalidated the
    connection, raised directly or behind Optuna's StorageInternalError, or behind the
    PendingRollbackError of a query Optuna retried on the broken connection."""
    import sqlalchemy.exc as sa_exc

    seen: list[BaseException] = []
    cause: BaseException | None = err
    while cause is not None and cause not in seen:
        seen.append(cause)
        if isinstance(cause, sa_exc.DBAPIError) and cause.connection_invalidated:
            return True
        if isinstance(cause, sa_exc.OperationalError | sa_exc.InterfaceError):
            return True
        if not isinstance(
            cause, optuna.exceptions.StorageInternalError | sa_exc.PendingRollbackError
        ):
            return False
        cause = cause.__cause__ or cause.__context__
    return False


def say_on_stderr(line: str) -> None:
    """Print ``mlpbench: LINE`` on stderr at once."""
    print(f"mlpbench: {line}", file=sys.stderr, flush=True)


class Outage:
    """This process's view of one database: reachable, or out of reach since when.

    Shared by every thread of the process, so an outage is announced once however many
    calls hit it. Times are ``time.monotonic`` seconds.
    """

    def __init__(self, where: str, wait: float, say: Callable[[str], None] = say_on_stderr):
        self.where, self.wait, self.say = where, wait, say
        self._lock = threading.Lock()
        self._since: float | None = None

    def noted(self, err: BaseException) -> float:
        """Record a failed call; seconds the outage has lasted (announced when it starts)."""
        now = time.monotonic()
        with self._lock:
            if self._since is None:
                self._since = now
                self.say(
                    f"lost the database {self.where} ({short_error(err)}); "
                    f"waiting up to {self.wait:g} s for it to come back"
                )
            return now - self._since

    def pause(self, err: BaseException, attempt: int) -> None:
        """After failed try ``attempt`` (0, 1, …): sleep the back-off, or raise
        :class:`StorageLostError` once the outage has lasted ``wait`` seconds."""
        lasted = self.noted(err)
        left = self.wait - lasted
        if left <= 0:
            raise StorageLostError(self.where, lasted, short_error(err)) from None
        step = min(MAX_PAUSE_S, FIRST_PAUSE_S * 2**attempt) * random.uniform(0.5, 1.0)
        time.sleep(min(left, step))

    def back(self) -> None:
        """Record a call that worked: ends (and announces the end of) an outage."""
        if self._since is None:  # the common case, without the lock
            return
        with self._lock:
            if self._since is not None:
                self.say(
                    f"the database {self.where} is back after "
                    f"{time.monotonic() - self._since:.1f} s; carrying on"
                )
                self._since = None

    def call(
        self,
        method: Callable[..., T],
        *args: Any,
        after_loss: Callable[[Exception], T] | None = None,
        **kwargs: Any,
    ) -> T:
        """``method(*args, **kwargs)``, tried again while the connection is lost.

        ``after_loss`` decides about another error that follows a lost connection (the first
        try may have been done by the server though its answer never came).
        """
        attempt = 0
        while True:
            try:
                result = method(*args, **kwargs)
            except Exception as err:
                if connection_lost(err):
                    self.pause(err, attempt)
                    attempt += 1
                    continue
                if attempt and after_loss is not None:
                    return after_loss(err)
                raise
            self.back()
            return result


class PatientStorage(BaseStorage, BaseHeartbeat):
    """An Optuna storage whose calls wait out a lost database connection (see the module)."""

    def __init__(self, inner: BaseStorage, outage: Outage) -> None:
        if not isinstance(inner, BaseHeartbeat):
            raise TypeError("PatientStorage wraps a storage with a heartbeat (RDBStorage)")
        self._inner: BaseStorage = inner
        self._beat: BaseHeartbeat = inner
        self.outage = outage

    def create_new_study(
        self, directions: Sequence[StudyDirection], study_name: str | None = None
    ) -> int:
        """See :meth:`optuna.storages.BaseStorage.create_new_study`."""
        return self.outage.call(self._inner.create_new_study, directions, study_name)

    def delete_study(self, study_id: int) -> None:
        """See :meth:`optuna.storages.BaseStorage.delete_study`."""
        self.outage.call(self._inner.delete_study, study_id)

    def set_study_user_attr(self, study_id: int, key: str, value: Any) -> None:
        """See :meth:`optuna.storages.BaseStorage.set_study_user_attr`."""
        self.outage.call(self._inner.set_study_user_attr, study_id, key, value)

    def set_study_system_attr(self, study_id: int, key: str, value: Any) -> None:
        """See :meth:`optuna.storages.BaseStorage.set_study_system_attr`."""
        self.outage.call(self._inner.set_study_system_attr, study_id, key, value)

    def get_study_id_from_name(self, study_name: str) -> int:
        """See :meth:`optuna.storages.BaseStorage.get_study_id_from_name`."""
        return self.outage.call(self._inner.get_study_id_from_name, study_name)

    def get_study_name_from_id(self, study_id: int) -> str:
        """See :meth:`optuna.storages.BaseStorage.get_study_name_from_id`."""
        return self.outage.call(self._inner.get_study_name_from_id, study_id)

    def get_study_directions(self, study_id: int) -> list[StudyDirection]:
        """See :meth:`optuna.storages.BaseStorage.get_study_directions`."""
        return self.outage.call(self._inner.get_study_directions, study_id)

    def get_study_user_attrs(self, study_id: int) -> dict[str, Any]:
        """See :meth:`optuna.storages.BaseStorage.get_study_user_attrs`."""
        return self.outage.call(self._inner.get_study_user_attrs, study_id)

    def get_study_system_attrs(self, study_id: int) -> dict[str, Any]:
        """See :meth:`optuna.storages.BaseStorage.get_study_system_attrs`."""
        return self.outage.call(self._inner.get_study_system_attrs, study_id)

    def get_all_studies(self) -> list[FrozenStudy]:
        """See :meth:`optuna.storages.BaseStorage.get_all_studies`."""
        return self.outage.call(self._inner.get_all_studies)

    def create_new_trial(self, study_id: int, template_trial: FrozenTrial | None = None) -> int:
        """See :meth:`optuna.storages.BaseStorage.create_new_trial`."""
        return self.outage.call(self._inner.create_new_trial, study_id, template_trial)

    def set_trial_param(
        self,
        trial_id: int,
        param_name: str,
        param_value_internal: float,
        distribution: BaseDistribution,
    ) -> None:
        """See :meth:`optuna.storages.BaseStorage.set_trial_param`."""
        self.outage.call(
            self._inner.set_trial_param, trial_id, param_name, param_value_internal, distribution
        )

    def get_trial_id_from_study_id_trial_number(self, study_id: int, trial_number: int) -> int:
        """See :meth:`optuna.storages.BaseStorage.get_trial_id_from_study_id_trial_number`."""
        return self.outage.call(
            self._inner.get_trial_id_from_study_id_trial_number, study_id, trial_number
        )

    def set_trial_state_values(
        self, trial_id: int, state: TrialState, values: Sequence[float] | None = None
    ) -> bool:
        """See :meth:`optuna.storages.BaseStorage.set_trial_state_values`; a finish the server
        made before the connection broke (its answer lost) counts as done."""

        def already_done(err: Exception) -> bool:
            stored = self.get_trial(trial_id)
            wanted = None if values is None else [float(v) for v in values]
            if (
                isinstance(err, optuna.exceptions.UpdateFinishedTrialError)
                and stored.state == state
                and stored.values == wanted
            ):
                return True
            raise err

        return self.outage.call(
            self._inner.set_trial_state_values,
            trial_id,
            state,
            values,
            after_loss=already_done,
        )

    def set_trial_intermediate_value(
        self, trial_id: int, step: int, intermediate_value: float
    ) -> None:
        """See :meth:`optuna.storages.BaseStorage.set_trial_intermediate_value`."""
        self.outage.call(self._inner.set_trial_intermediate_value, trial_id, step,
                         intermediate_value)  # fmt: skip

    def set_trial_user_attr(self, trial_id: int, key: str, value: Any) -> None:
        """See :meth:`optuna.storages.BaseStorage.set_trial_user_attr`."""
        self.outage.call(self._inner.set_trial_user_attr, trial_id, key, value)

    def set_trial_system_attr(self, trial_id: int, key: str, value: Any) -> None:
        """See :meth:`optuna.storages.BaseStorage.set_trial_system_attr`."""
        self.outage.call(self._inner.set_trial_system_attr, trial_id, key, value)

    def get_trial(self, trial_id: int) -> FrozenTrial:
        """See :meth:`optuna.storages.BaseStorage.get_trial`."""
        return self.outage.call(self._inner.get_trial, trial_id)

    def get_all_trials(
        self,
        study_id: int,
        deepcopy: bool = True,
        states: Container[TrialState] | None = None,
    ) -> list[FrozenTrial]:
        """See :meth:`optuna.storages.BaseStorage.get_all_trials`."""
        return self.outage.call(self._inner.get_all_trials, study_id, deepcopy, states)

    def get_best_trial(self, study_id: int) -> FrozenTrial:
        """See :meth:`optuna.storages.BaseStorage.get_best_trial`."""
        return self.outage.call(self._inner.get_best_trial, study_id)

    def remove_session(self) -> None:
        """See :meth:`optuna.storages.BaseStorage.remove_session`."""
        self._inner.remove_session()

    def record_heartbeat(self, trial_id: int) -> None:
        """Beat for ``trial_id``; while the database is away, note it and skip this beat."""
        try:
            self._beat.record_heartbeat(trial_id)
        except Exception as err:
            if not connection_lost(err):
                raise
            self.outage.noted(err)
            return
        self.outage.back()

    def _get_stale_trial_ids(self, study_id: int) -> list[int]:
        return self.outage.call(self._beat._get_stale_trial_ids, study_id)

    def get_heartbeat_interval(self) -> int | None:
        """See :meth:`optuna.storages.RDBStorage.get_heartbeat_interval`."""
        return self._beat.get_heartbeat_interval()

    def get_heartbeat_stale_trial_callback(
        self,
    ) -> Callable[[optuna.Study, FrozenTrial], None] | None:
        """See :meth:`optuna.storages.RDBStorage.get_heartbeat_stale_trial_callback`."""
        return self._beat.get_heartbeat_stale_trial_callback()
