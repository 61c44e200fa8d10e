"""Optuna storages for studies shared by several processes and machines.

* ``postgresql://user:pw@host/db``: PostgreSQL through psycopg 3 (``pip install
  'mlpbench[postgres]'``); SQLAlchemy 2 maps the plain scheme to psycopg 3.
* ``mysql+pymysql://user:pw@host/db``: MySQL/MariaDB through PyMySQL (``[mysql]`` extra).
* ``sqlite:///path/study.db``: one host only (file locking; several local workers are fine).
* no URL: the journal file ``<results dir>/studies/<study>.journal`` (one host, or a shared file
  system with working ``open(O_EXCL)``); it has no heartbeat, see
  :func:`bench.search.study.fail_stale`.

Relational storages run Optuna's heartbeat: every running trial records a heartbeat every
``interval`` seconds; a trial silent for ``grace`` seconds is set to FAIL by the next
worker that looks, and :class:`optuna.storages.RetryHeartbeatStaleTrialCallback` queues a
copy of it (same parameters) that a surviving worker runs. Opening a storage checks the
connection; every problem is a :class:`~bench.config.ConfigError` naming the URL with its
password masked and the fix, before any training. Once open, every call waits out a lost
connection for up to ``wait`` seconds (:mod:`bench.search.patience`).
"""

from __future__ import annotations

import random
import re
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import optuna
from optuna.storages import RetryHeartbeatStaleTrialCallback

from bench.config import ConfigError
from bench.search.patience import WAIT_S, Outage, PatientStorage

OPTION = "--storage"
# SQLAlchemy dialect (before any "+driver") -> (module of its default driver, pip extra).
DRIVERS = {"postgresql": ("psycopg", "postgres"), "mysql": ("pymysql", "mysql")}
SCHEMA_TRIES = 8  # concurrent first starts race to create the tables; retry this often


@dataclass(frozen=True, kw_only=True)
class StorageTimes:
    """Relational storages, in seconds: the heartbeat ``interval``, the ``grace`` after which
    a silent trial is stale (> ``interval``), how long a lost connection is waited out."""

    interval: int = 10
    grace: int = 30
    wait: float = WAIT_S


def mask_url(url: str) -> str:
    """``url`` with its password replaced by ``***`` (for messages and run notes)."""
    return re.sub(r"(//[^/:@]*:)[^@/]*@", r"\1***@", url)


def _short(err: BaseException) -> str:
    """First non-empty line of an exception (SQLAlchemy appends long help text)."""
    orig = getattr(err, "orig", None) or err
    lines = [ln.strip() for ln in str(orig).splitlines() if ln.strip()]
    return lines[0] if lines else type(orig).__name__


def _new_rdb(url: str, times: StorageTimes) -> optuna.storages.RDBStorage:
    """Optuna's RDBStorage at ``url`` (connects; creates the tables if missing)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return optuna.storages.RDBStorage(
            url,
            engine_kwargs=_connect_args(url),
            heartbeat_interval=times.interval,
            grace_period=times.grace,
            heartbeat_stale_trial_callback=RetryHeartbeatStaleTrialCallback(),
        )


def _connect_args(url: str) -> dict[str, Any]:
    """Engine arguments: pre-ping pooled connections; a 10 s connect timeout for servers."""
    kwargs: dict[str, Any] = {"pool_pre_ping": True}
    if url.startswith(("postgresql", "mysql")):
        kwargs["connect_args"] = {"connect_timeout": 10}
    return kwargs


def _driver_error(url: str, err: ImportError) -> ConfigError:
    scheme = url.split(":", 1)[0]
    module, extra = DRIVERS.get(scheme.split("+", 1)[0], ("", ""))
    cause = err.__cause__ if isinstance(err.__cause__, ImportError) else err
    found = re.search(r"module named '([^']+)'", str(cause))
    missing = cause.name or (found.group(1).split(".")[0] if found else "the database driver")
    if module and missing.lower() == module:
        fix = f"pip install 'mlpbench[{extra}]'"
    elif module:
        fix = f"write {scheme.split('+', 1)[0]}+{module}:// and pip install 'mlpbench[{extra}]'"
    else:
        fix = f"pip install {missing}"
    return ConfigError(OPTION, f"{mask_url(url)}: database driver {missing} is missing; {fix}")


def open_rdb(
    url: str, times: StorageTimes | None = None, *, reconnect: bool = False
) -> PatientStorage:
    """Connect to the relational storage ``url`` (creating Optuna's tables if needed); the
    storage Optuna would use for it (its trial cache included), waiting out lost connections.

    Workers starting together on an empty database race to create the schema; the losers'
    errors (unique violations, "already exists") are retried with a random back-off. A
    server out of reach is a ConfigError at once, or, with ``reconnect`` (the URL worked
    before in this command), waited for like any later call.
    """
    import sqlalchemy.exc as sa_exc

    hb = times or StorageTimes()
    if hb.grace <= hb.interval:
        raise ConfigError("--grace", f"{hb.grace} s must exceed the heartbeat {hb.interval} s")
    outage = Outage(mask_url(url), hb.wait)
    for attempt in range(SCHEMA_TRIES):
        try:
            rdb = outage.call(_new_rdb, url, hb) if reconnect else _new_rdb(url, hb)
            return PatientStorage(optuna.storages.get_storage(rdb), outage)
        except ConfigError:
            raise
        except ImportError as err:
            raise _driver_error(url, err) from None
        except (sa_exc.ArgumentError, ValueError) as err:
            raise ConfigError(
                OPTION,
                f"{mask_url(url)} is not a database URL ({_short(err)}); "
                "write e.g. postgresql://USER:PASSWORD@HOST/DB or sqlite:///study.db",
            ) from None
        except (sa_exc.IntegrityError, sa_exc.ProgrammingError):
            if attempt == SCHEMA_TRIES - 1:
                raise
            time.sleep(random.uniform(0.1, 0.5) * (attempt + 1))
        except sa_exc.OperationalError as err:
            raise ConfigError(
                OPTION,
                f"cannot connect to {mask_url(url)}: {_short(err)}; check that the server runs "
                "and accepts this host, user and password (see docs/search.md: several machines)",
            ) from None
    raise AssertionError("unreachable")  # pragma: no cover


def journal_path(results_dir: Path, study: str) -> Path:
    """Where the default journal storage of ``study`` lives."""
    return results_dir / "studies" / f"{study}.journal"


def open_storage(
    url: str | None,
    results_dir: Path,
    study: str,
    times: StorageTimes | None = None,
    *,
    reconnect: bool = False,
) -> optuna.storages.BaseStorage:
    """The storage at ``url``, or the journal file of ``study`` under ``results_dir``
    (``reconnect``: see :func:`open_rdb`)."""
    if url:
        if url.startswith(("postgresql", "mysql", "sqlite", "oracle", "mssql")):
            return open_rdb(url, times, reconnect=reconnect)
        raise ConfigError(
            OPTION,
            f"{mask_url(url)}: unsupported scheme; use postgresql://, mysql+pymysql://, "
            "sqlite:/// or leave --storage out for the journal file",
        )
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    from bench.search.journal import check_journal_file

    path = journal_path(results_dir, study)
    path.parent.mkdir(parents=True, exist_ok=True)
    check_journal_file(path)  # a malformed journal: one line, before Optuna replays it
    return JournalStorage(JournalFileBackend(str(path)))


def where(url: str | None, results_dir: Path, study: str) -> str:
    """Human-readable storage location (password masked)."""
    return mask_url(url) if url else str(journal_path(results_dir, study))
