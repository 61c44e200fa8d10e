"""Studies shared by several workers on a real PostgreSQL server (``MLPBENCH_PG_URL``).

CI (``.ci/setup-postgres.sh``) starts the server and exports the URL; there these tests
fail when it is missing. Locally they skip with the reason. Each test gets its own empty
PostgreSQL schema, so workers really race to create Optuna's tables.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import optuna
import pytest
from pg_server import fresh_schema, server_url, states, study_of
from pg_server import spawn as spawn_logged

from bench.cli.main import main
from bench.publish.compare import load_sources
from bench.results import load_run
from bench.search.study import MACHINE_ATTR, SURPLUS_ATTR, WORKER_ATTR

TINY = ["--backend", "numpy", "--strip", "--quiet", "--no-plot"]
HEARTBEAT = ["--heartbeat", "1", "--grace", "3"]
PLAIN = ["search", "--backend", "numpy", "--quiet", "--space", "eta=log:0.1:1"]


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A URL whose search_path is a fresh, empty schema (dropped afterwards)."""
    with fresh_schema(server_url()) as url:
        yield url


def spawn(args: list[str], tmp_path: Path, name: str) -> subprocess.Popen[str]:
    """``mlpbench ARGS`` as a separate process, output in ``tmp_path/name.log``."""
    return spawn_logged(args, tmp_path / f"{name}.log")


def search_args(url: str, study: str, tmp_path: Path, epochs: int, i: int) -> list[str]:
    return [
        "search", *TINY, "--epochs", str(epochs), "--sampler", "random", "--trials", "9",
        "--space", "eta=log:0.01:10", "--space", "lmbda=log:0.01:10",
        "--study", study, "--storage", url, *HEARTBEAT, "--results-dir", str(tmp_path / f"w{i}"),
    ]  # fmt: skip


def finish(procs: list[subprocess.Popen[str]], tmp_path: Path, timeout: float = 300) -> None:
    for p in procs:
        p.wait(timeout=timeout)
    logs = "".join(f.read_text() for f in sorted(tmp_path.glob("*.log")))
    assert "Traceback" not in logs, logs


def test_three_workers_share_the_total(pg_url: str, tmp_path: Path) -> None:
    # 40 epochs, about 1 s a trial: with 1 (0.1 s a trial), a worker that started first (the
    # others still importing and measuring their GEMM peak on the 2 shared cores) once ran
    # all 9 trials alone in CI; seconds of start-up skew must not cover the whole study.
    procs = [
        spawn(search_args(pg_url, "three", tmp_path, 40, i), tmp_path, f"w{i}") for i in range(3)
    ]
    finish(procs, tmp_path)
    assert all(p.returncode == 0 for p in procs)
    study = study_of(pg_url, "three")
    assert states(study) == ["COMPLETE"] * 9
    done = study.get_trials(states=(optuna.trial.TrialState.COMPLETE,))
    assert len({(t.params["eta"], t.params["lmbda"]) for t in done}) == 9
    assert len({t.user_attrs[WORKER_ATTR] for t in done}) >= 2
    assert all("gemm_peak_gflops" in t.user_attrs[MACHINE_ATTR] for t in done)


def test_killed_worker_is_recovered(pg_url: str, tmp_path: Path) -> None:
    procs = [
        spawn(search_args(pg_url, "kill", tmp_path, 40, i), tmp_path, f"w{i}") for i in range(3)
    ]
    victim = None
    deadline = time.monotonic() + 240
    while victim is None and time.monotonic() < deadline:
        time.sleep(0.5)
        try:
            running = study_of(pg_url, "kill").get_trials(states=(optuna.trial.TrialState.RUNNING,))
        except (KeyError, Exception):  # the study or tables may not exist yet
            continue
        victim = next((t for t in running if len(t.params) == 2), None)  # training
    assert victim is not None, "no trial started"
    pid = int(victim.user_attrs[WORKER_ATTR].split(":")[1])
    os.kill(pid, signal.SIGKILL)
    finish(procs, tmp_path)
    study = study_of(pg_url, "kill")
    trials = {t.number: t for t in study.get_trials()}
    assert trials[victim.number].state == optuna.trial.TrialState.FAIL
    assert states(study).count("COMPLETE") == 9
    retried = [t for t in trials.values() if t.system_attrs.get("failed_trial") == victim.number]
    assert len(retried) == 1 and retried[0].state == optuna.trial.TrialState.COMPLETE
    assert retried[0].params == victim.params == trials[victim.number].params
    assert retried[0].user_attrs[WORKER_ATTR] != victim.user_attrs[WORKER_ATTR]


def test_distributed_sweep_runs_each_point_once(pg_url: str, tmp_path: Path) -> None:
    argv = [
        "sweep", *TINY, "--epochs", "1", "--batch-sizes", "5,10,20", "--repeats", "2",
        "--study", "grid", "--storage", pg_url, *HEARTBEAT,
    ]  # fmt: skip
    procs = [
        spawn([*argv, "--results-dir", str(tmp_path / f"w{i}")], tmp_path, f"w{i}")
        for i in range(2)
    ]
    finish(procs, tmp_path)
    assert all(p.returncode == 0 for p in procs)
    study = study_of(pg_url, "grid")
    assert states(study) == ["COMPLETE"] * 6
    kept = [t for t in study.get_trials() if not t.user_attrs.get(SURPLUS_ATTR)]
    assert sorted(t.params["index"] for t in kept) == list(range(6))  # each point once
    out = tmp_path / "grid.json"
    assert main(["study", "export", "grid", "--storage", pg_url, "--json", str(out)]) == 0
    run = load_run(out)
    assert run.kind == "sweep" and len(run.trials) == 6
    labels = sorted(t.label for t in run.trials)
    assert labels == sorted(f"mb={mb} seed={s}" for mb in (5, 10, 20) for s in (0, 1))
    assert all(t.machine and t.machine["hostname"] for t in run.trials)
    sources = load_sources([out])
    assert sum(len(s.run.trials) for s in sources if s.run) == 6
    assert all("@" in s.path.name for s in sources)
    local = next((tmp_path / "w0" / "runs").glob("*.json"))  # what worker 0 saved
    assert main(["compare", str(out), str(local)]) == 0
    assert main(["report", str(out)]) == 0


def test_wrong_password_exits_2(
    pg_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy.engine import make_url

    monkeypatch.setenv("COLUMNS", "400")
    bad = make_url(pg_url).set(password="wrong-password").render_as_string(hide_password=False)
    code = main([*PLAIN, "--storage", bad,
                 "--results-dir", str(tmp_path)])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and "wrong-password" not in err and "***" in err
    assert len(err.strip().splitlines()) == 1 and "password" in err


@pytest.mark.parametrize(
    "url",
    ["postgresql://u:secret@127.0.0.1:1/db", "nosuchdb://u:secret@h/db", "mysql://u:secret@h/d"],
)
def test_bad_storage_exits_2(url: str, tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "bench.cli.main", *PLAIN,
         "--storage", url, "--results-dir", str(tmp_path)],
        capture_output=True, text=True, env=dict(os.environ, COLUMNS="400"), timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "secret" not in proc.stderr and "u:***@" in proc.stderr


def test_missing_psycopg_names_the_extra(tmp_path: Path) -> None:
    (tmp_path / "psycopg.py").write_text(
        "raise ModuleNotFoundError(\"No module named 'psycopg'\", name='psycopg')\n"
    )
    proc = subprocess.run(
        [sys.executable, "-m", "bench.cli.main", *PLAIN,
         "--storage", "postgresql://u:secret@127.0.0.1/db", "--results-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=120,
        env=dict(os.environ, COLUMNS="400", PYTHONPATH=str(tmp_path)),
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    assert "mlpbench[postgres]" in proc.stderr and "psycopg" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
