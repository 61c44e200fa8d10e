"""The PostgreSQL server that ``.ci/setup-postgres.sh`` starts, for the tests that use it.

Imported as ``pg_server`` (``tests/`` is on ``sys.path`` under pytest). The setup script
exports ``MLPBENCH_PG_URL`` (the ``mlpbench`` role's URL on 127.0.0.1), ``MLPBENCH_PG_BIN``
(the server's programs) and ``MLPBENCH_PG_DIR`` (its data folder, log and socket). Under
``CI=true`` a missing server fails the test; elsewhere it skips, naming the reason.
:func:`fresh_schema` gives each test an empty schema; :func:`pg_ctl` and :func:`admin_sql`
drive the server as its owner (the ``postgres`` user, through ``su``: root only).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import optuna
from needs import missing

from bench.search.study import SURPLUS_ATTR


def need(reason: str) -> None:
    """Fail under ``CI=true`` (where everything must run), else skip; ``reason`` says why."""
    __tracebackhide__ = True
    missing(reason, ".ci/setup-postgres.sh (run as root by .ci/run)")


def server_url() -> str:
    """``MLPBENCH_PG_URL``; fails (CI) or skips without it."""
    url = os.environ.get("MLPBENCH_PG_URL")
    if not url:
        need("MLPBENCH_PG_URL is not set: .ci/setup-postgres.sh did not run")
    return str(url)


def server_files() -> tuple[Path, Path]:
    """(programs folder, cluster folder) of the server, for tests that restart it (root)."""
    server_url()
    bin_dir, pg_dir = os.environ.get("MLPBENCH_PG_BIN"), os.environ.get("MLPBENCH_PG_DIR")
    if not bin_dir or not pg_dir:
        need("MLPBENCH_PG_BIN or MLPBENCH_PG_DIR is not set (.ci/setup-postgres.sh exports both)")
    if os.geteuid() != 0:
        need("controlling the server needs root (su postgres), as .ci/run runs")
    return Path(str(bin_dir)), Path(str(pg_dir))


def as_postgres(command: list[str], timeout: float = 60) -> str:
    """Run ``command`` as the server's owner; its output (CalledProcessError on failure)."""
    import shlex

    proc = subprocess.run(
        ["su", "postgres", "-s", "/bin/sh", "-c", shlex.join(command)],
        capture_output=True, text=True, timeout=timeout, check=True, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    return proc.stdout


def pg_ctl(action: str, *options: str) -> None:
    """``pg_ctl ACTION`` on the test cluster, waiting for it to finish (log to its log file)."""
    bin_dir, pg_dir = server_files()
    as_postgres([str(bin_dir / "pg_ctl"), "-D", str(pg_dir / "data"), "-l", str(pg_dir / "log"),
                 "-w", *options, action])  # fmt: skip


def admin_sql(sql: str) -> str:
    """``sql`` run by the superuser over the cluster's Unix socket; psql's output."""
    bin_dir, pg_dir = server_files()
    port = os.environ.get("MLPBENCH_PG_PORT", "55432")
    return as_postgres([str(bin_dir / "psql"), "-qAt", "-h", str(pg_dir), "-p", port,
                        "-U", "postgres", "-c", sql])  # fmt: skip


@contextmanager
def fresh_schema(url: str) -> Iterator[str]:
    """``url`` whose search_path is a new, empty schema (dropped afterwards)."""
    import sqlalchemy

    schema = f"t_{uuid.uuid4().hex[:10]}"
    engine = sqlalchemy.create_engine(url, pool_pre_ping=True)
    with engine.begin() as conn:
        conn.execute(sqlalchemy.text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in url else "?"
    try:
        yield f"{url}{sep}options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as conn:
            conn.execute(sqlalchemy.text(f"DROP SCHEMA {schema} CASCADE"))
        engine.dispose()


def spawn(args: list[str], log: Path, prefix: list[str] | None = None) -> subprocess.Popen[str]:
    """``mlpbench ARGS`` as a separate process (after ``prefix``, e.g. a namespace), output
    in ``log``."""
    out = open(log, "w")  # noqa: SIM115 (closed with the process)
    return subprocess.Popen(
        [*(prefix or []), sys.executable, "-m", "bench.cli.main", *args],
        stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True,
        env=dict(os.environ, COLUMNS="200"),
    )  # fmt: skip


def search_worker(url: str, study: str, trials: int, results: Path, *options: str) -> list[str]:
    """``mlpbench search`` arguments of one worker of ``study`` at ``url``: random search of η
    (and whatever ``options`` add) with numpy on the stripped problem, 40 epochs (about a
    second) a trial, until the study holds ``trials`` finished trials; files in ``results``."""
    return [
        "search", "--backend", "numpy", "--strip", "--quiet", "--no-plot", "--epochs", "40",
        "--sampler", "random", "--trials", str(trials), "--space", "eta=log:0.01:10",
        "--study", study, "--storage", url, "--results-dir", str(results), *options,
    ]  # fmt: skip


def wait_for_trials(
    url: str,
    study: str,
    ready: Callable[[list[optuna.trial.FrozenTrial]], bool],
    failure: str,
    timeout: float = 240,
) -> None:
    """Poll the trials of ``study`` at ``url`` every 0.2 s until ``ready(trials)``; after
    ``timeout`` seconds, AssertionError(``failure``)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(0.2)
        try:
            trials = study_of(url, study).get_trials(deepcopy=False)
        except Exception:  # the tables or the study may not exist yet
            continue
        if ready(trials):
            return
    raise AssertionError(failure)


def study_of(url: str, name: str) -> optuna.Study:
    """The study ``name`` as stored at ``url``."""
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    return optuna.load_study(study_name=name, storage=url)


def states(study: optuna.Study) -> list[str]:
    """States of the study's trials, leaving out those given up for the study's total."""
    return [t.state.name for t in study.get_trials() if not t.user_attrs.get(SURPLUS_ATTR)]
