"""Result records (curve points, trials, runs) and their JSON form, written atomically.

A :class:`Run` is what one ``mlpbench`` command produced: the machine it ran on and a list
of :class:`TrialResult`. Runs are saved after every finished trial, through a temporary
file and ``os.replace``, so an interrupted sweep never leaves a half-written file and loses
at most the trial in flight. ``schema_version`` is written into every file and
:func:`migrate` upgrades older layouts on read. Rendering lives in ``bench.report``.
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.config import TrialSpec

SCHEMA_VERSION = 1

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
    curve: list[CurvePoint]
    summary: TrialSummary
    label: str = ""  # free text, e.g. "mb=10" or an Optuna trial number
    params: dict[str, Any] = field(default_factory=dict)  # searched parameters, if any
    # Where this trial ran, when it differs per trial (studies run by several workers):
    # machine info plus ``worker`` and ``concurrent``. None: the run's machine.
    machine: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "config": self.config.to_dict(),
            "status": self.status,
            "stop_reason": self.stop_reason,
            "compile_seconds": self.compile_seconds,
            "curve": [asdict(p) for p in self.curve],
            "summary": asdict(self.summary),
            "label": self.label,
            "params": self.params,
        } | ({"machine": self.machine} if self.machine is not None else {})

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TrialResult:
        """Inverse of :meth:`to_dict`."""
        return cls(
            config=TrialSpec.from_dict(d["config"]),
            status=d["status"],
            stop_reason=d["stop_reason"],
            compile_seconds=d["compile_seconds"],
            curve=[CurvePoint(**p) for p in d["curve"]],
            summary=TrialSummary(**d["summary"]),
            label=d.get("label", ""),
            params=d.get("params", {}),
            machine=d.get("machine"),
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


def migrate(d: dict[str, Any]) -> dict[str, Any]:
    """Upgrade a run dict of any known schema version to :data:`SCHEMA_VERSION`."""
    version = d.get("schema_version")
    if version is None:
        raise ValueError("not an mlpbench run: no 'schema_version' field")
    if version > SCHEMA_VERSION:
        raise ValueError(
            f"run schema {version} is newer than this mlpbench ({SCHEMA_VERSION}); upgrade it"
        )
    return d


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder + rename.

    Readers see either the old file or the new one, never a partial write.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
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


def save_run(run: Run, path: Path) -> None:
    """Save ``run`` as indented JSON at ``path``, atomically."""
    atomic_write_text(path, json.dumps(run.to_dict(), indent=1, allow_nan=True) + "\n")


def load_run(path: Path) -> Run:
    """Read a run JSON file written by :func:`save_run` (any known schema version)."""
    with open(path, encoding="utf-8") as fh:
        return Run.from_dict(json.load(fh))


def median_spread(values: list[float]) -> tuple[float, float, float]:
    """``(median, min, max)`` of a non-empty list."""
    return statistics.median(values), min(values), max(values)


def olympic_mean(values: list[float]) -> float:
    """MLPerf's olympic mean: drop the fastest and slowest, average the rest (n >= 3)."""
    if len(values) < 3:
        return statistics.fmean(values)
    return statistics.fmean(sorted(values)[1:-1])
