"""Run files: one writer (fcntl lock), malformed files exit 2 with one line, schema 1 → 2
migration, the umask, atomic writes that survive a failed write, Ctrl-C saves finished trials.

Subprocess tests use the numpy backend and a tiny network so that no Numba compile is paid.
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cli_helpers import run_cli

from bench.results import (
    SCHEMA_VERSION,
    RunFileError,
    RunFileLock,
    atomic_write_bytes,
    atomic_write_text,
    load_run,
)

TINY = ["--sizes", "784,10", "--train-size", "200", "--val-size", "50", "--epochs", "1",
        "--backend", "numpy", "--quiet", "--no-plot"]  # fmt: skip
ENV = {**os.environ, "COLUMNS": "200", "PYTHONUNBUFFERED": "1", "MLPBENCH_CEILINGS": "off"}


def mlpbench(*argv: str) -> list[str]:
    """The command line of a real ``mlpbench`` subprocess."""
    return [
        sys.executable,
        "-c",
        "import sys; from bench.cli.main import main; sys.exit(main())",
        *argv,
    ]


def hold_lock(path: Path) -> subprocess.Popen[str]:
    """A subprocess that takes the lock on ``path``, says ``locked`` and sleeps."""
    code = (
        "import sys, time; from pathlib import Path; from bench.results import RunFileLock\n"
        f"lock = RunFileLock(Path({str(path)!r})); lock.acquire()\n"
        "print('locked', flush=True); time.sleep(120)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    return proc


# --- one writer per run file ---------------------------------------------------------------


def test_second_writer_exits_2_naming_file_and_pid_and_trains_nothing(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    holder = hold_lock(path)
    try:
        second = subprocess.run(
            mlpbench("sweep", *TINY, "--batch-sizes", "10,20", "--json", str(path)),
            capture_output=True, text=True, env=ENV, timeout=120,
        )  # fmt: skip
    finally:
        holder.kill()
        holder.wait()
    assert second.returncode == 2, second.stderr
    lines = second.stderr.strip().splitlines()
    assert len(lines) == 1, second.stderr
    assert str(path) in lines[0] and f"pid {holder.pid}" in lines[0]
    assert not path.exists()  # nothing trained, nothing saved
    assert second.stdout == ""


def test_lock_left_by_a_killed_process_does_not_block(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    holder = hold_lock(path)
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    stale = path.with_name(f".{path.name}.lock")
    assert stale.read_text().strip() == str(holder.pid)  # the lock file outlived its holder
    done = subprocess.run(
        mlpbench("train", *TINY, "--json", str(path)),
        capture_output=True, text=True, env=ENV, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert len(load_run(path).trials) == 1
    assert not stale.exists()  # a clean exit removes it


def test_lock_in_one_process_refuses_a_second_holder(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    with RunFileLock(path), pytest.raises(RunFileError, match=f"pid {os.getpid()}"):
        RunFileLock(path).acquire()
    with RunFileLock(path):  # released: free again
        pass


# --- malformed files ------------------------------------------------------------------------

BAD_FILES: dict[str, bytes] = {
    "truncated": b'{"schema_version": 2, "run_id": "x", "trials": [',
    "not-utf8": b'{"schema_version": 2, "run_id": "\xff\xfe"}',
    "not-an-object": b"[1, 2, 3]\n",
    "schema-string": b'{"schema_version": "x", "trials": []}',
    "schema-future": b'{"schema_version": 99, "trials": []}',
    "schema-zero": b'{"schema_version": 0, "trials": []}',
    "missing-fields": b'{"schema_version": 2, "trials": []}',
    "bad-trial": b'{"schema_version": 2, "run_id": "x", "kind": "train", "created": "", '
    b'"command": [], "machine": {}, "trials": [{"config": 3}]}',
    "empty": b"",
}


@pytest.mark.parametrize("command", ["resume", "compare", "report"])
@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_malformed_file_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str, name: str
) -> None:
    bad = tmp_path / f"{name}.json"
    bad.write_bytes(BAD_FILES[name])
    argv = {
        "resume": ["train", *TINY, "--json", str(bad), "--resume"],
        "compare": ["compare", str(bad), str(bad)],
        "report": ["report", str(bad)],
    }[command]
    code, _, err = run_cli(argv, capsys)
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err and str(bad) in err
    assert bad.read_bytes() == BAD_FILES[name]  # --resume did not overwrite it


def test_load_run_raises_one_error_type(tmp_path: Path) -> None:
    for name, content in BAD_FILES.items():
        path = tmp_path / f"{name}.json"
        path.write_bytes(content)
        with pytest.raises(RunFileError):
            load_run(path)
    with pytest.raises(RunFileError, match="cannot read"):
        load_run(tmp_path / "absent.json")


def test_schema_1_eta_probe_is_migrated_to_training_set_fields(tmp_path: Path) -> None:
    point = {"images_seen": 0, "epoch": 0.0, "train_seconds": 0.0, "wall_seconds": 0.0,
             "val_accuracy": 0.97, "val_cost": 0.12, "train_cost": None, "eta": 0.1}  # fmt: skip
    summary = {"best_val_accuracy": 0.97, "final_val_accuracy": 0.97,
               "time_to_target_seconds": 0.0, "images_to_target": 0, "samples_per_second": 1.0,
               "gflops": 1.0, "images_seen": 0, "epochs": 0.0, "train_seconds": 0.0,
               "wall_seconds": 0.0}  # fmt: skip
    config = {"net": {"sizes": [784, 10]}, "train": {}, "data": {}}
    trial = {"config": config, "status": "completed", "stop_reason": "epochs",
             "compile_seconds": 0.0, "curve": [point], "summary": summary}  # fmt: skip
    trials = [{**trial, "label": "η=0.1"}, {**trial, "label": "mb=10"}]
    v1 = {"schema_version": 1, "run_id": "eta-1", "kind": "eta", "created": "", "command": [],
          "machine": {}, "trials": trials}  # fmt: skip
    path = tmp_path / "v1.json"
    path.write_text(json.dumps(v1))
    run = load_run(path)
    assert run.schema_version == SCHEMA_VERSION == 2
    probe, other = run.trials
    p = probe.curve[0]
    assert (p.train_set_accuracy, p.train_set_cost) == (0.97, 0.12)
    assert math.isnan(p.val_accuracy) and math.isnan(p.val_cost)
    assert math.isnan(probe.summary.best_val_accuracy)
    assert probe.summary.time_to_target_seconds is None
    assert other.curve[0].val_accuracy == 0.97 and other.curve[0].train_set_accuracy is None


# --- writability before any training --------------------------------------------------------


@pytest.mark.parametrize("option", ["--json", "--results-dir"])
def test_unwritable_output_fails_before_any_training(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    option: str,
) -> None:
    import bench.runner

    def no_training(*args: object, **kwargs: object) -> None:
        raise AssertionError("a trial started")

    monkeypatch.setattr(bench.runner, "run_trial", no_training)
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    where = blocker / "r.json" if option == "--json" else blocker / "results"
    code, _, err = run_cli(["sweep", *TINY, "--batch-sizes", "10,20", option, str(where)], capsys)
    assert code == 2 and option in err and len(err.strip().splitlines()) == 1, err


# --- the umask and atomic writes ------------------------------------------------------------


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o027, 0o640), (0o002, 0o664)])
def test_written_files_honour_the_umask(tmp_path: Path, umask: int, mode: int) -> None:
    old = os.umask(umask)
    try:
        atomic_write_text(tmp_path / "new.json", "{}")
        (tmp_path / "old.json").write_text("x")
        os.chmod(tmp_path / "old.json", 0o600)
        atomic_write_bytes(tmp_path / "old.json", b"y")  # replacing: umask again, not 0600
    finally:
        os.umask(old)
    assert (tmp_path / "new.json").stat().st_mode & 0o777 == mode
    assert (tmp_path / "old.json").stat().st_mode & 0o777 == mode


def test_cli_outputs_honour_the_umask(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = os.umask(0o022)
    try:
        path = tmp_path / "r.json"
        argv = ["train", *[a for a in TINY if a != "--no-plot"], "--json", str(path)]
        assert run_cli(argv, capsys)[0] == 0
        report = tmp_path / "r.md"
        assert run_cli(["report", str(path), "--format", "md", "--out", str(report),
                        "--plots"], capsys)[0] == 0  # fmt: skip
        for fmt in ("csv", "html", "svg"):
            assert run_cli(["report", str(path), "--format", fmt, "--out",
                            str(tmp_path / f"r.{fmt}")], capsys)[0] == 0  # fmt: skip
    finally:
        os.umask(old)
    files = sorted(p for p in tmp_path.iterdir() if p.is_file())
    assert {p.suffix for p in files} >= {".json", ".png", ".md", ".csv", ".html", ".svg"}
    assert {p.name: oct(p.stat().st_mode & 0o777) for p in files} == {
        p.name: "0o644" for p in files
    }


def test_a_failed_write_leaves_the_old_file_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The write fails after the new bytes went out (at fsync): an in-place writer has
    already clobbered the file by then, so it fails here; readers must see the old file."""
    path = tmp_path / "a.json"
    path.write_text("old")
    seen: list[str] = []

    def failing_fsync(fd: int) -> None:
        seen.append(path.read_text())  # what a reader sees mid-write
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="No space"):
        atomic_write_text(path, "new and longer")
    assert seen == ["old"]
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]  # no temporary file left


# --- Ctrl-C ---------------------------------------------------------------------------------


def started_with(disposition: signal.Handlers) -> Callable[[], None]:
    """``preexec_fn`` giving the child SIGINT's ``disposition`` whatever this process has:
    SIG_DFL as from a terminal, SIG_IGN as a background job of a non-interactive shell."""

    def preexec() -> None:
        signal.signal(signal.SIGINT, disposition)

    return preexec


def sweep_with_two_trials_saved(path: Path, sigint: signal.Handlers) -> subprocess.Popen[str]:
    """A 40-trial sweep into ``path``, started with SIGINT ``sigint``, once 2 are saved."""
    sizes = ",".join(str(mb) for mb in range(1, 41))  # 40 trials: the sweep is still running
    # 100 epochs a trial: seconds of numpy training left when the signal comes (with 5, a
    # fast machine finished all 40 within the test's 1 s pause and the SIGTERM met a process
    # already past main(), in interpreter shutdown: the default action, exit -15)
    proc = subprocess.Popen(
        mlpbench("sweep", *TINY, "--epochs", "100", "--batch-sizes", sizes, "--json", str(path)),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV,
        preexec_fn=started_with(sigint),
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if path.exists() and len(json.loads(path.read_text())["trials"]) >= 2:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the sweep ended before it could be interrupted"
    return proc


def assert_finished_trials_saved_in_order(path: Path) -> None:
    run = load_run(path)
    assert 2 <= len(run.trials) < 40
    labels = [t.label for t in run.trials]
    assert labels == [f"mb={mb}" for mb in range(1, len(labels) + 1)]  # all finished, in order
    assert not path.with_name(f".{path.name}.lock").exists()


def test_sigint_mid_sweep_exits_130_with_finished_trials_saved(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    proc = sweep_with_two_trials_saved(path, signal.SIG_DFL)  # as started from a terminal
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "interrupted" in err
    assert_finished_trials_saved_in_order(path)


def test_background_job_ignores_sigint_and_stops_on_sigterm_with_trials_saved(
    tmp_path: Path,
) -> None:
    """Started with SIGINT ignored (``mlpbench … &`` in a script), mlpbench keeps it
    ignored, as the shell asked; SIGTERM (``kill PID``) stops it like Ctrl-C: exit 143."""
    path = tmp_path / "r.json"
    proc = sweep_with_two_trials_saved(path, signal.SIG_IGN)
    proc.send_signal(signal.SIGINT)
    time.sleep(1.0)
    assert proc.poll() is None, "an ignored SIGINT stopped the sweep"
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert "Traceback" not in err and "terminated (SIGTERM)" in err
    assert len(err.strip().splitlines()) == 1, err
    assert_finished_trials_saved_in_order(path)


# --- honest labels --------------------------------------------------------------------------


def no_value(v: object) -> bool:
    """``null`` (strict files) or NaN (older files and in-memory records)."""
    return v is None or (isinstance(v, float) and math.isnan(v))


def assert_no_training_accuracy_as_validation(raw: dict[str, object]) -> None:
    """Every eta probe (label ``η=…``) keeps its training-set numbers out of ``val_*``."""
    for t in raw["trials"]:  # type: ignore[attr-defined]
        if not t["label"].startswith("η="):
            continue
        for p in t["curve"]:
            assert no_value(p["val_accuracy"]) and no_value(p["val_cost"]), p
            assert 0.0 <= p["train_set_accuracy"] <= 1.0 and p["train_set_cost"] > 0, p
        assert no_value(t["summary"]["best_val_accuracy"])
        assert t["summary"]["time_to_target_seconds"] is None


def reject_constant(word: str) -> object:
    """``parse_constant`` of a strict parser: NaN, Infinity and -Infinity are not JSON."""
    raise ValueError(f"{word} is not JSON")


def test_eta_probes_record_training_set_accuracy_under_training_fields(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["eta", *TINY, "--probe-epochs", "2", "--refine", "0", "--results-dir", str(tmp_path)]
    argv.remove("--quiet")
    code, _, err = run_cli(argv, capsys)
    assert code == 0, err
    [path] = (tmp_path / "runs").glob("eta-*.json")
    raw = json.loads(path.read_text(), parse_constant=reject_constant)  # strict JSON
    assert raw["trials"] and all(t["label"].startswith("η=") for t in raw["trials"])
    assert_no_training_accuracy_as_validation(raw)
    # The probes' costs are the training-set costs after epochs 0, 1, 2.
    assert all(len(t["curve"]) == 3 for t in raw["trials"] if t["status"] == "completed")
    assert "best train-set" in err and "best val" not in err
    run = load_run(path)  # and it reads back, null as NaN
    assert all(math.isnan(p.val_accuracy) for t in run.trials for p in t.curve)


def test_no_published_run_file_calls_training_accuracy_validation() -> None:
    runs = sorted((Path(__file__).parents[1] / "results").rglob("*.json"))
    for path in runs:
        raw = json.loads(path.read_text())
        if isinstance(raw, dict) and "trials" in raw and "schema_version" in raw:
            run = load_run(path)  # migrated: schema 1 eta probes are relabelled on read
            assert_no_training_accuracy_as_validation(
                json.loads(json.dumps(run.to_dict(), allow_nan=True))
            )


# --- search --study journal files -----------------------------------------------------------


def _journal_lines(tmp_path: Path) -> list[bytes]:
    """The records of a real Optuna journal: a study and one finished trial."""
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    path = tmp_path / "real.journal"
    storage = JournalStorage(JournalFileBackend(str(path)))
    study = optuna.create_study(study_name="real", storage=storage)
    trial = study.ask()
    study.tell(trial, trial.suggest_float("eta", 0.1, 1.0))
    return path.read_bytes().splitlines(keepends=True)


def _bad_journals(lines: list[bytes]) -> dict[str, bytes]:
    return {
        "truncated-middle": lines[0] + lines[1][: len(lines[1]) // 2] + b"\n" + b"".join(lines[2:]),
        "not-utf8": b"\xff\xfe" + b"".join(lines),
        "not-json": b"hello\n",
        "not-an-object": b"[0, 1]\n",
        "unknown-op": b'{"op_code": 99, "worker_id": "w"}\n',
        "no-create-first": b"".join(lines[1:]),
    }


def test_malformed_study_journal_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = _journal_lines(tmp_path)
    assert len(lines) >= 3
    capsys.readouterr()  # Optuna's own log lines
    for name, content in _bad_journals(lines).items():
        results = tmp_path / name
        (results / "studies").mkdir(parents=True)
        journal = results / "studies" / f"{name}.journal"
        journal.write_bytes(content)
        argv = ["search", "--backend", "numpy", "--sizes", "784,10", "--train-size", "100",
                "--epochs", "1", "--trials", "1", "--space", "eta=log:0.1:1", "--study", name,
                "--quiet", "--results-dir", str(results)]  # fmt: skip
        code, _, err = run_cli(argv, capsys)
        assert code == 2, (name, err)
        assert len(err.strip().splitlines()) == 1 and str(journal) in err, (name, err)
        assert journal.read_bytes() == content
        assert not (results / "runs").exists()  # nothing trained


def test_well_formed_journal_passes_the_check(tmp_path: Path) -> None:
    from bench.search.journal import check_journal_file

    lines = _journal_lines(tmp_path)
    path = tmp_path / "ok.journal"
    path.write_bytes(b"".join(lines))
    check_journal_file(path)
    path.write_bytes(b"".join(lines) + b'{"op_code": 4, "work')  # a write in progress
    check_journal_file(path)


@pytest.fixture
def python_sigint() -> Iterator[None]:
    """SIGINT raises KeyboardInterrupt in this process, whatever it was started with (a
    background job of a non-interactive shell starts with SIGINT ignored)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


@pytest.mark.usefixtures("python_sigint")
def test_ctrl_c_during_a_save_is_held_until_the_file_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bench.results import Run, save_run

    path = tmp_path / "r.json"
    run = Run(run_id="r", kind="train", created="", command=[], machine={})
    save_run(run, path)
    run.notes["second"] = True
    real_fsync = os.fsync

    def fsync_after_ctrl_c(fd: int) -> None:
        os.kill(os.getpid(), signal.SIGINT)  # mid-write
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync_after_ctrl_c)
    with pytest.raises(KeyboardInterrupt):
        save_run(run, path)
    assert load_run(path).notes == {"second": True}  # the write finished first
