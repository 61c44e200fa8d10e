"""Writes that fail for lack of space or permission: one line naming the file, exit 2,
earlier files intact, the unsaved trials kept in a file ``--resume`` takes.

Each writer gets ``ENOSPC`` injected at the system call it makes (``os.fsync``,
``os.pwrite``, ``os.posix_fallocate``, a file's ``write``) and the test checks what the user
sees and what is left on disk. The last tests fill a real disk: a small tmpfs, where this
process may mount one (root; skipped with the reason elsewhere, required under ``CI=true``
when running as root, as CI does).
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cli_helpers import run_cli

from bench.results import Run, RunFileLock, fallback_path, load_run, save_run
from bench.write_errors import WriteError

TINY = ["--sizes", "784,10", "--train-size", "200", "--val-size", "50", "--epochs", "1",
        "--backend", "numpy", "--quiet", "--no-plot"]  # fmt: skip
NO_SPACE = "No space left on device"


def full_disk_on(match: Callable[[str], bool]) -> Callable[[int], None]:
    """An ``os.fsync`` that fails with ENOSPC for files whose name ``match`` accepts."""
    real = os.fsync

    def fsync(fd: int) -> None:
        if match(Path(os.readlink(f"/proc/self/fd/{fd}")).name):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real(fd)

    return fsync


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def a_run(n: int = 2) -> Run:
    run = Run(run_id="sweep-test-faults", kind="sweep", created="", command=[], machine={})
    run.notes["trials"] = n
    return run


@pytest.fixture
def clean_fallback() -> Iterator[Path]:
    path = fallback_path(a_run())
    path.unlink(missing_ok=True)
    yield path
    path.unlink(missing_ok=True)


# --- each writer, ENOSPC injected -----------------------------------------------------------


def test_run_file_full_keeps_old_file_and_the_run_in_the_temp_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_fallback: Path
) -> None:
    path = tmp_path / "r.json"
    save_run(a_run(1), path)
    monkeypatch.setattr(os, "fsync", full_disk_on(lambda name: name.startswith(".r.json.")))
    with pytest.raises(WriteError) as caught:
        save_run(a_run(2), path)
    err = caught.value
    assert err.filename == str(path) and err.errno == errno.ENOSPC
    assert err.kept == clean_fallback
    assert str(path) in str(err) and str(clean_fallback) in str(err) and "--resume" in str(err)
    assert load_run(path).notes == {"trials": 1}  # the earlier file, intact
    assert load_run(clean_fallback).notes == {"trials": 2}  # what could not be written
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]  # no temporary file left


def test_run_file_and_fallback_both_full_say_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_fallback: Path
) -> None:
    monkeypatch.setattr(os, "fsync", full_disk_on(lambda name: True))
    with pytest.raises(WriteError) as caught:
        save_run(a_run(), tmp_path / "r.json")
    assert caught.value.kept is None
    assert f"could not be kept in {clean_fallback} either" in str(caught.value)
    assert not clean_fallback.exists()


def test_lock_file_on_a_full_disk_names_it_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def pwrite(fd: int, data: bytes, offset: int) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "pwrite", pwrite)
    lock = RunFileLock(tmp_path / "r.json")
    with pytest.raises(WriteError, match=NO_SPACE) as caught:
        lock.acquire()
    assert caught.value.filename == str(lock.lock_path)
    assert list(tmp_path.iterdir()) == []
    monkeypatch.undo()
    with RunFileLock(tmp_path / "r.json"):  # released: the next run can take it
        pass


def test_plot_full_disk_names_the_png(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import matplotlib.pyplot as plt

    from bench.plots import save_figure

    png = tmp_path / "r.png"
    png.write_bytes(b"old")
    monkeypatch.setattr(os, "fsync", full_disk_on(lambda name: True))
    with pytest.raises(WriteError, match=NO_SPACE) as caught:
        save_figure(plt.figure(), png)
    assert caught.value.filename == str(png) and png.read_bytes() == b"old"


def test_report_and_tuning_file_full_disk_name_their_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bench.kernel_tuning import Shape, Tuned, save_wisdom
    from bench.publish.publish import write

    wisdom = tmp_path / "wisdom.json"
    tuned = Tuned(Shape("numba", (4, 3), "float64", 1, 10), {"loops": 1.0}, "loops")
    save_wisdom([tuned], wisdom)
    before = wisdom.read_bytes()
    monkeypatch.setattr(os, "fsync", full_disk_on(lambda name: True))
    for target, call in (
        (wisdom, lambda: save_wisdom([tuned], wisdom)),
        (tmp_path / "t.md", lambda: write([], "md", tmp_path / "t.md")),
    ):
        with pytest.raises(WriteError, match=NO_SPACE) as caught:
            call()
        assert caught.value.filename == str(target)
    assert wisdom.read_bytes() == before and not (tmp_path / "t.md").exists()


def test_site_full_disk_names_the_page_and_keeps_the_old_site(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bench.cli.publish import write_site

    out = tmp_path / "site"
    write_site({"index.html": b"old", "data/a.json": b"{}"}, out)
    real_write = Path.write_bytes

    def write_bytes(self: Path, data: bytes) -> int:
        if self.name == "b.json":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(self, data)

    monkeypatch.setattr(Path, "write_bytes", write_bytes)
    with pytest.raises(WriteError, match=NO_SPACE) as caught:
        write_site({"index.html": b"new", "data/b.json": b"{}"}, out)
    assert caught.value.filename == str(out / "data" / "b.json")
    assert (out / "index.html").read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]  # no half site left


def test_synthetic_cache_full_disk_names_the_file_and_leaves_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bench.data import synthetic

    monkeypatch.setenv("MLPBENCH_CACHE", str(tmp_path))

    def fallocate(fd: int, offset: int, length: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "posix_fallocate", fallocate)
    with pytest.raises(WriteError, match=NO_SPACE) as caught:
        synthetic._generate_cached(300, 5, 3, 0, "float32")
    x_path, _ = synthetic.cache_paths(300, 5, 3, 0, "float32")
    assert caught.value.filename == str(x_path)
    assert list((tmp_path / "synthetic").iterdir()) == []


def test_kernel_cache_full_disk_names_the_cache_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import numba
    from numba.core import caching

    from kernels.numba import cache as numba_cache

    monkeypatch.setattr(numba_cache, "cache_dir", lambda: tmp_path)

    def save_data(self: object, name: str, data: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(caching.IndexDataCacheFile, "_save_data", save_data)
    add_one = numba_cache.cached(numba.njit(lambda x: x + 1))
    with pytest.raises(OSError, match="NUMBA_CACHE_DIR") as caught:
        add_one(1)
    assert caught.value.errno == errno.ENOSPC
    assert str(caught.value.filename).startswith(str(tmp_path))


def test_sweep_whose_run_file_fills_the_disk_exits_2_and_resumes_from_the_kept_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "r.json"
    saves = 0
    real = os.fsync

    def fsync(fd: int) -> None:  # the third save of r.json finds the disk full
        nonlocal saves
        if Path(os.readlink(f"/proc/self/fd/{fd}")).name.startswith(".r.json."):
            saves += 1
            if saves == 3:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    argv = ["sweep", *TINY, "--batch-sizes", "10,20,30,40", "--json", str(path)]
    code, out, err = run_cli(argv, capsys)
    line = one_line(err)
    assert code == 2 and out == ""
    kept = Path(line.split(" is kept in ")[1].split(" ")[0])
    try:
        assert f"cannot write {path}: {NO_SPACE}" in line and f"--json {kept} --resume" in line
        assert [t.label for t in load_run(path).trials] == ["mb=10", "mb=20"]
        assert [t.label for t in load_run(kept).trials] == ["mb=10", "mb=20", "mb=30"]
        before = load_run(kept).trials
        monkeypatch.undo()
        code, _, err = run_cli([*argv[:-1], str(kept), "--resume"], capsys)
        assert code == 0, err
        resumed = load_run(kept)
        assert [t.label for t in resumed.trials] == ["mb=10", "mb=20", "mb=30", "mb=40"]
        assert resumed.trials[:3] == before  # mb=30 trained once, kept, not run again
    finally:
        kept.unlink(missing_ok=True)


def test_search_journal_full_disk_names_the_journal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from optuna.storages.journal import JournalFileBackend

    def append_logs(self: object, logs: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))  # as f.write raises it

    monkeypatch.setattr(JournalFileBackend, "append_logs", append_logs)
    argv = ["search", *TINY, "--trials", "1", "--space", "eta=log:0.1:1", "--study", "s",
            "--results-dir", str(tmp_path)]  # fmt: skip
    code, _, err = run_cli(argv, capsys)
    assert code == 2 and "Traceback" not in err
    line = one_line(err[err.index("mlpbench: error:") :])  # after the study's status line
    assert f"cannot write {tmp_path / 'studies' / 's.journal'}: {NO_SPACE}" in line


# --- a real full disk -----------------------------------------------------------------------


def _mount_tmpfs(where: Path, size: str) -> bool:
    """Mount a tmpfs of ``size`` at ``where``; False (with no mount) where not allowed."""
    where.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                          capture_output=True, text=True)  # fmt: skip
    return done.returncode == 0


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 16 KiB tmpfs (room for a run file of about two trials, not for a third)."""
    disk = tmp_path / "disk"
    if shutil.which("mount") is None or not _mount_tmpfs(disk, "16k"):
        reason = "mounting a tmpfs needs root (CAP_SYS_ADMIN); this process may not mount"
        if os.environ.get("CI") == "true" and os.geteuid() == 0:
            pytest.fail(f"CI runs as root and must mount the small disk: {reason}")
        pytest.skip(reason)
    try:
        yield disk
    finally:
        subprocess.run(["umount", str(disk)], check=True)


def mlpbench(*argv: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    code = "import sys; from bench.cli.main import main; sys.exit(main())"
    return subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True,
                          env=env, timeout=300)  # fmt: skip


def test_real_full_disk_mid_sweep_keeps_every_trial(small_disk: Path, tmp_path: Path) -> None:
    path = small_disk / "r.json"
    sizes = ["--batch-sizes", "10,20,30,40,50,60,70,80"]
    done = mlpbench("sweep", *TINY, *sizes, "--json", str(path))
    assert done.returncode == 2, done.stderr
    line = one_line(done.stderr)
    assert f"cannot write {path}: {NO_SPACE}" in line
    kept = Path(line.split(" is kept in ")[1].split(" ")[0])
    try:
        saved, unsaved = load_run(path).trials, load_run(kept).trials
        assert 1 <= len(saved) < len(unsaved) < 8
        assert unsaved[: len(saved)] == saved  # the fallback holds every finished trial
        resumed = mlpbench("sweep", *TINY, *sizes, "--json", str(kept), "--resume")
        assert resumed.returncode == 0, resumed.stderr
        assert len(load_run(kept).trials) == 8
    finally:
        kept.unlink(missing_ok=True)


def test_real_full_disk_at_start_fails_before_training(small_disk: Path) -> None:
    filler = small_disk / "filler"
    with filler.open("wb", buffering=0) as fh:  # fill it: the lock's pid cannot be written
        try:
            while True:
                fh.write(b"\0" * 512)
        except OSError as err:
            assert err.errno == errno.ENOSPC
    path = small_disk / "r.json"
    done = mlpbench("train", *TINY, "--json", str(path))
    assert done.returncode == 2 and done.stdout == ""
    line = one_line(done.stderr)
    assert f"cannot write {small_disk / '.r.json.lock'}: {NO_SPACE}" in line
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler"]  # nothing half-written


def test_synthetic_set_larger_than_memory_is_refused_before_anything_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A set that cannot stay in memory (every epoch reads it in shuffled order) is a
    ConfigError naming the sizes and the fix, before the cache folder holds anything."""
    from bench.config import ConfigError
    from bench.data import synthetic

    monkeypatch.setenv("MLPBENCH_CACHE", str(tmp_path))
    need = 300 * (5 * 4 + 8)  # rows × (float32 inputs + int64 label) bytes
    monkeypatch.setattr(synthetic, "physical_memory", lambda: need - 1)
    with pytest.raises(ConfigError, match=r"more than this machine's .* use fewer rows"):
        synthetic._generate_cached(300, 5, 3, 0, "float32")
    assert not (tmp_path / "synthetic").exists() or not any((tmp_path / "synthetic").iterdir())
    monkeypatch.setattr(synthetic, "physical_memory", lambda: need)
    X, _ = synthetic._generate_cached(300, 5, 3, 0, "float32")  # exactly fits: made
    assert X.shape == (300, 5)
