"""Result records (curve points, trials, runs) and their JSON form, written atomically.

A :class:`Run` is what one ``mlpbench`` command produced: the machine it ran on and a list
of :class:`TrialResult`. Runs are saved after every finished trial, through a temporary
file and ``os.replace``, so an interrupted sweep never leaves a half-written file and loses
at most the trial in flight; files get the mode the umask gives (0644 under umask 022).
:class:`RunFileLock` (``fcntl.flock``) makes one process the only writer of a run file.
``schema_version`` is written into every file and :func:`migrate` upgrades older layouts on
read; :func:`load_run` turns any malformed file into one :class:`RunFileError`. Rendering
lives in ``bench.report``.

Files are strict JSON (:mod:`bench.strict_json`): a NaN field is written ``null`` and read
back as NaN; older files holding bare ``NaN`` still load. A save the disk cannot take keeps
the whole run in the temp folder and says where (:func:`save_run`). The layout is described
by ``docs/schema/run.schema.json``.

Schema history: 1, the first layout; 2, ``eta`` probes evaluate on the training set and say
so (``train_set_accuracy``/``train_set_cost`` in curve points, ``val_*`` NaN, written
``null``) instead of storing training accuracy as ``val_accuracy``.
"""

from __future__ import annotations

import errno
import fcntl
import json
import math
import os
import statistics
import tempfile
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from bench import strict_json
from bench.config import ConfigError, TrialSpec
from bench.stability import Stability
from bench.stop_signals import signals_held
from bench.strict_json import nan_for_null
from bench.write_errors import WriteError, is_write_fault, naming, write_error

SCHEMA_VERSION = 2

# Trial status values.
COMPLETED = "completed"  # stopped by one of its rules (epochs, budget, target, schedule)
DIVERGED = "diverged"  # non-finite or exploding cost/weights
PRUNED = "pruned"  # stopped by a search pruner


@dataclass(frozen=True, kw_only=True)
class CurvePoint:
    """One validation checkpoint of a trial."""

    images_seen: int  # training images processed so far
    epoch: float  # images_seen / training-set size
    train_seconds: float  # kernel time only (what time-to-accuracy uses)
    wall_seconds: float  # elapsed since training started, evaluation included
    val_accuracy: float  # fraction of validation images classified correctly
    val_cost: float  # mean per-sample validation cost plus the L2 term
    train_cost: float | None  # mean per-sample cost of the images since the last point
    eta: float  # learning rate in force after this checkpoint
    # Set (and val_* NaN) when a checkpoint evaluated the training set instead of the
    # validation set (the eta command's probes): fraction correct, mean cost + L2 term.
    train_set_accuracy: float | None = None
    train_set_cost: float | None = None


@dataclass(frozen=True, kw_only=True)
class TrialSummary:
    """Headline numbers of one trial."""

    best_val_accuracy: float
    final_val_accuracy: float
    time_to_target_seconds: float | None  # train seconds at the first point >= target
    images_to_target: int | None
    samples_per_second: float  # training images per kernel second
    gflops: float  # useful GFLOP/s over the kernel time
    images_seen: int
    epochs: float
    train_seconds: float
    wall_seconds: float
    # optional (absent in older runs): the kernel path that ran, how it was chosen
    # (forced | tuned | default), and GFLOP/s in FLOPs that path executes (gflops: model)
    kernel_path: str | None = None
    kernel_path_source: str | None = None
    executed_gflops: float | None = None


@dataclass(frozen=True, kw_only=True)
class TrialResult:
    """A finished trial: its configuration, how it ended, its curve and summary."""

    config: TrialSpec
    status: str  # completed | diverged | pruned
    stop_reason: str  # epochs | time-budget | target | early-stop | eta-schedule | ...
    compile_seconds: float  # first (warm-up) call of the kernels, not in any timing
    # Of those seconds, each compiled kernel the warm-up compiled or loaded (callees
    # included; kernels.compile_report): {} when all were in memory, None in older runs.
    compile_kernels: dict[str, float] | None = None
    curve: list[CurvePoint]
    summary: TrialSummary
    label: str = ""  # free text, e.g. "mb=10" or an Optuna trial number
    params: dict[str, Any] = field(default_factory=dict)  # searched parameters, if any
    # Where this trial ran, when it differs per trial (studies run by several workers):
    # machine info plus ``worker`` and ``concurrent``. None: the run's machine.
    machine: dict[str, Any] | None = None
    # Host↔device copy seconds of a GPU trial (data upload, per-epoch order, cost and
    # parameter read-backs; the copies made inside a timed steps call are part of its
    # train seconds too). None on the CPU backends.
    transfer_seconds: float | None = None
    # The machine during the timed region and the stability verdict (bench.stability);
    # None in runs written before it was recorded.
    stability: Stability | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        extra = {} if self.transfer_seconds is None else {"transfer_seconds": self.transfer_seconds}
        return (
            extra
            | {
                "config": self.config.to_dict(),
                "status": self.status,
                "stop_reason": self.stop_reason,
                "compile_seconds": self.compile_seconds,
                "curve": [asdict(p) for p in self.curve],
                "summary": asdict(self.summary),
                "label": self.label,
                "params": self.params,
            }
            | ({} if self.compile_kernels is None else {"compile_kernels": self.compile_kernels})
            | ({"machine": self.machine} if self.machine is not None else {})
            | ({"stability": self.stability.to_dict()} if self.stability is not None else {})
        )

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TrialResult:
        """Inverse of :meth:`to_dict`."""
        return cls(
            config=TrialSpec.from_dict(d["config"]),
            status=d["status"],
            stop_reason=d["stop_reason"],
            compile_seconds=d["compile_seconds"],
            compile_kernels=d.get("compile_kernels"),
            curve=[CurvePoint(**nan_for_null(CurvePoint, p)) for p in d["curve"]],
            summary=TrialSummary(**nan_for_null(TrialSummary, d["summary"])),
            label=d.get("label", ""),
            params=d.get("params", {}),
            machine=d.get("machine"),
            transfer_seconds=d.get("transfer_seconds"),
            stability=Stability.from_dict(d["stability"]) if d.get("stability") else None,
        )


@dataclass(kw_only=True)
class Run:
    """Everything one command produced: machine, the command line, trials in order."""

    run_id: str
    kind: str  # sweep | train | search | eta | lmbda | tune ...
    created: str  # ISO 8601 UTC
    command: list[str]
    machine: dict[str, Any]
    concurrent: bool = False  # True when trials shared cores (elapsed times not comparable)
    trials: list[TrialResult] = field(default_factory=list)
    notes: dict[str, Any] = field(default_factory=dict)
    schema_version: int = SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "schema_version": self.schema_version,
            "run_id": self.run_id,
            "kind": self.kind,
            "created": self.created,
            "command": self.command,
            "machine": self.machine,
            "concurrent": self.concurrent,
            "notes": self.notes,
            "trials": [t.to_dict() for t in self.trials],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Run:
        """Inverse of :meth:`to_dict` (after :func:`migrate`)."""
        d = migrate(d)
        return cls(
            run_id=d["run_id"],
            kind=d["kind"],
            created=d["created"],
            command=list(d["command"]),
            machine=dict(d["machine"]),
            concurrent=bool(d.get("concurrent", False)),
            notes=dict(d.get("notes", {})),
            trials=[TrialResult.from_dict(t) for t in d["trials"]],
            schema_version=SCHEMA_VERSION,
        )


def on_training_set(trial: TrialResult) -> TrialResult:
    """``trial`` whose checkpoints evaluated the training set, labelled as such.

    The accuracy and cost move to ``train_set_accuracy``/``train_set_cost``; the ``val_*``
    fields and validation summaries become NaN (no validation data was seen), so no file
    calls training accuracy validation accuracy.
    """
    nan = math.nan
    curve = [
        replace(
            p,
            train_set_accuracy=p.val_accuracy,
            train_set_cost=p.val_cost,
            val_accuracy=nan,
            val_cost=nan,
        )
        for p in trial.curve
    ]
    summary = replace(
        trial.summary,
        best_val_accuracy=nan,
        final_val_accuracy=nan,
        time_to_target_seconds=None,
        images_to_target=None,
    )
    return replace(trial, curve=curve, summary=summary)


class RunFileError(ConfigError):
    """A run file that cannot be used: unreadable, malformed, or of an unknown schema."""


def _training_set_point(p: dict[str, Any]) -> dict[str, Any]:
    """A v1 eta-probe checkpoint with its training-set numbers moved off ``val_*``."""
    return {
        **p,
        "train_set_accuracy": p.get("val_accuracy"),
        "train_set_cost": p.get("val_cost"),
        "val_accuracy": math.nan,
        "val_cost": math.nan,
    }


def _migrate_1_to_2(d: dict[str, Any]) -> dict[str, Any]:
    """Schema 1 stored the eta probes' training-set accuracy as ``val_accuracy``: move it."""
    trials = []
    for t in d.get("trials", []):
        if isinstance(t, dict) and str(t.get("label", "")).startswith("η="):
            summary = {
                **t.get("summary", {}),
                "best_val_accuracy": math.nan,
                "final_val_accuracy": math.nan,
                "time_to_target_seconds": None,
                "images_to_target": None,
            }
            t = {**t, "curve": [_training_set_point(p) for p in t.get("curve", [])],
                 "summary": summary}  # fmt: skip
        trials.append(t)
    return {**d, "trials": trials, "schema_version": 2}


def migrate(d: dict[str, Any]) -> dict[str, Any]:
    """Upgrade a run dict of any known schema version to :data:`SCHEMA_VERSION`.

    Raises ValueError for a missing, non-integer, unknown or future version.
    """
    version = d.get("schema_version")
    if version is None:
        raise ValueError("not an mlpbench run: no 'schema_version' field")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ValueError(f"schema_version {version!r} is not a version number (1, 2, ...)")
    if version > SCHEMA_VERSION:
        raise ValueError(
            f"run schema {version} is newer than this mlpbench ({SCHEMA_VERSION}); upgrade it"
        )
    if version == 1:
        d = _migrate_1_to_2(d)
    return d


def file_mode() -> int:
    """The mode a new file gets under the process umask: ``0o666 & ~umask`` (0644 usually)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder + rename.

    Readers see either the old file or the new one, never a partial write. The file gets
    mode ``0666 & ~umask`` (0644 under umask 022), as ``open`` would give it; the temporary
    file's private 0600 does not survive the rename. A full disk or a missing permission
    raises :class:`bench.write_errors.WriteError` naming ``path`` (the old file intact).
    """
    with naming(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                os.fchmod(fh.fileno(), file_mode())
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def atomic_write_text(path: Path, text: str) -> None:
    """UTF-8 text version of :func:`atomic_write_bytes`."""
    atomic_write_bytes(path, text.encode("utf-8"))


def fallback_path(run: Run) -> Path:
    """Where :func:`save_run` keeps a run its own file could not take: the temp folder."""
    return Path(tempfile.gettempdir()) / f"mlpbench-unsaved-{run.run_id}.json"


def _kept_elsewhere(err: WriteError, run: Run, text: str) -> WriteError:
    """``err`` after writing ``text`` (the whole run) to :func:`fallback_path` instead."""
    kept = fallback_path(run)
    try:
        atomic_write_text(kept, text)
    except OSError as second:
        hint = (f"its {len(run.trials)} trial(s) could not be kept in {kept} either "
                f"({second.strerror or second})")  # fmt: skip
        return WriteError(err.errno or 0, err.strerror or "", Path(err.filename), None, hint)
    how = (f"continue it with --json {kept} --resume" if run.kind in ("sweep", "train")
           else f"`mlpbench report {kept}` reads it")  # fmt: skip
    hint = f"the run ({len(run.trials)} trial(s)) is kept in {kept} ({how})"
    return WriteError(err.errno or 0, err.strerror or "", Path(err.filename), kept, hint)


def save_run(run: Run, path: Path) -> None:
    """Save ``run`` as indented strict JSON at ``path``, atomically.

    The JSON text is built in full before the file is touched, so a run that cannot be
    serialised leaves the previous file as it was. SIGINT and SIGTERM are held back during
    the write, so Ctrl-C right after a trial still saves that trial (it is delivered just
    after: :func:`bench.stop_signals.signals_held`). When the disk is full or the file not
    writable, the whole run goes to :func:`fallback_path` and the :class:`WriteError`
    raised names both files.
    """
    text = strict_json.dumps(run.to_dict(), indent=1) + "\n"
    try:
        with signals_held():
            atomic_write_text(path, text)
    except WriteError as err:
        raise _kept_elsewhere(err, run, text) from None


def run_from_json(data: object, path: Path) -> Run:
    """A :class:`Run` from parsed JSON; RunFileError naming ``path`` if it is not one."""
    if not isinstance(data, dict):
        raise RunFileError(
            "PATH", f"{path} holds a JSON {type(data).__name__}, not an mlpbench run object"
        )
    try:
        return Run.from_dict(data)
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        what = f"missing field {err}" if isinstance(err, KeyError) else str(err)
        raise RunFileError(
            "PATH", f"{path} is not a readable mlpbench run ({what}); pass a file mlpbench wrote"
        ) from None


def load_run(path: Path) -> Run:
    """Read a run JSON file written by :func:`save_run` (any known schema version).

    Any problem (unreadable, not UTF-8, truncated, not an object, bad or future
    ``schema_version``, missing fields) raises one :class:`RunFileError` naming the file.
    """
    try:
        text = path.read_bytes().decode("utf-8")
        data = json.loads(text)
    except OSError as err:
        raise RunFileError("PATH", f"cannot read {path}: {err.strerror or err}") from None
    except UnicodeDecodeError as err:
        raise RunFileError(
            "PATH", f"{path} is not UTF-8 text (byte {err.start}); pass a run JSON file"
        ) from None
    except json.JSONDecodeError as err:
        raise RunFileError(
            "PATH", f"{path} is not valid JSON ({err.msg} at line {err.lineno}); truncated?"
        ) from None
    return run_from_json(data, path)


class RunFileLock:
    """Exclusive ``fcntl.flock`` on ``.<name>.lock`` beside a run file, for one writer.

    Use as a context manager around everything that writes the run (from before the first
    trial). A second process gets :class:`RunFileError` naming the file and the holder's
    pid. The kernel drops the lock when its holder dies, even by ``kill -9``, so a stale
    lock file never blocks the next run; a clean exit removes it.
    """

    def __init__(self, path: Path, option: str = "--json") -> None:
        self.path = path
        self.lock_path = path.with_name(f".{path.name}.lock")
        self.option = option
        self._fd: int | None = None

    def _open(self) -> int:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            return os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as err:
            raise RunFileError(
                self.option,
                f"{self.path} cannot be written ({err.strerror or err}); choose a writable path",
            ) from None

    def acquire(self) -> None:
        """Take the lock or raise RunFileError (another live writer holds it)."""
        while True:
            fd = self._open()
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as err:
                holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
                os.close(fd)
                if err.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    raise
                raise RunFileError(
                    self.option,
                    f"{self.path} is being written by another mlpbench process (pid {holder}); "
                    "wait for it to finish or choose another path",
                ) from None
            try:  # the holder we waited on may have removed the file: lock the live one
                same = os.fstat(fd).st_ino == os.stat(self.lock_path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        self._fd = fd
        try:  # the pid is for the message of a second writer; a full disk ends the run here
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        except OSError as err:
            self.release()
            if not is_write_fault(err):
                raise
            raise write_error(err, self.lock_path) from None

    def release(self) -> None:
        """Remove the lock file and drop the lock."""
        if self._fd is not None:
            self.lock_path.unlink(missing_ok=True)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> RunFileLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def median_spread(values: list[float]) -> tuple[float, float, float]:
    """``(median, min, max)`` of a non-empty list."""
    return statistics.median(values), min(values), max(values)


def olympic_mean(values: list[float]) -> float:
    """MLPerf's olympic mean: drop the fastest and slowest, average the rest (n >= 3)."""
    if len(values) < 3:
        return statistics.fmean(values)
    return statistics.fmean(sorted(values)[1:-1])
