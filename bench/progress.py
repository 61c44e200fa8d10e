"""Terminal output with rich: live progress (one bar per trial) and the console for tables.

Updates happen in the checkpoint hook, outside the timed kernel calls, and go to the
console given (stderr from the CLI) so stdout carries only tables.
"""

from __future__ import annotations

import os
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from bench.config import TrialSpec
from bench.results import CurvePoint, TrialResult


class RichObserver:
    """A :class:`bench.runner.Observer` drawing rich progress bars; use as a context manager."""

    def __init__(self, console: Console, base: TrialSpec) -> None:
        self.progress = Progress(
            TextColumn("[bold]{task.description}", justify="left"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("images"),
            TextColumn("{task.fields[status]}"),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self.overall: TaskID | None = None
        self.task: TaskID | None = None
        self.ahead: TaskID | None = None
        self.epochs = base.train.epochs

    def __enter__(self) -> RichObserver:
        self.progress.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.progress.__exit__(exc_type, exc, tb)

    def compiling_ahead(self, kernels: int, processes: int) -> None:
        """A line for the kernels compiled before the first trial (a cold cache)."""
        self.ahead = self.progress.add_task(
            f"compiling {kernels} kernel sets ahead", total=None,
            status=f"in {processes} processes: a cold cache, kept for the next run",
        )  # fmt: skip

    def trial_started(self, index: int, total: int, label: str, spec: TrialSpec) -> None:
        """Add a bar for the trial (total = epochs × training images, known after loading)."""
        if self.ahead is not None:
            self.progress.update(self.ahead, total=0, completed=0, status="done")
            self.ahead = None
        self.epochs = spec.train.epochs
        self.task = self.progress.add_task(
            f"[{index + 1}/{total}] {label}", total=None, status="compiling…"
        )

    def checkpoint(self, point: CurvePoint) -> None:
        """Advance the bar; show validation accuracy and elapsed training time."""
        if self.task is None:
            return
        total = None
        if point.epoch > 0:
            n_train = point.images_seen / point.epoch
            total = round(n_train * self.epochs)  # the running trial's planned images
        self.progress.update(
            self.task,
            completed=point.images_seen,
            total=total,
            status=f"val {point.val_accuracy:6.2%}  train {point.train_seconds:7.3f}s"
            f"  η={point.eta:g}",
        )

    def trial_finished(self, result: TrialResult) -> None:
        """Mark the bar finished with the trial's outcome."""
        if self.task is None:
            return
        s = result.summary
        reason = result.stop_reason if result.status == "completed" else result.status
        self.progress.update(
            self.task,
            total=max(s.images_seen, 1),
            completed=s.images_seen,
            status=f"best {s.best_val_accuracy:6.2%}  {s.samples_per_second:,.0f} img/s  "
            f"[{'green' if result.status == 'completed' else 'red'}]{reason}[/]",
        )
        self.task = None


def stdout_console() -> Console:
    """Console for tables: the terminal's width, or 120 columns when output is redirected.

    ``COLUMNS`` in the environment always wins (rich reads it).
    """
    console = Console()
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console = Console(width=120)
    return console
