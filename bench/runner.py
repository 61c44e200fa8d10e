"""Run trials one after another, saving the run after each, and report progress to an observer.

Trials run serially by default: concurrent trials share the machine's cores and distort the
elapsed times this tool exists to measure. The run file is rewritten (atomically) after
every trial, so an interrupted sweep loses at most the trial in flight, and ``resume``
skips trials already recorded with the same label and configuration. Data sets are loaded
once per (data spec, dtype). Nothing here prints: the CLI passes an :class:`Observer`.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from bench.config import TrialSpec, scaled_eta
from bench.data.dataset import DataCache as DataCache  # re-exported: it lived here before
from bench.machine import machine_info
from bench.results import CurvePoint, Run, TrialResult, load_run, save_run
from bench.train import run_trial


class Observer(Protocol):
    """Receives progress; implementations render it (rich) or ignore it."""

    def trial_started(self, index: int, total: int, label: str, spec: TrialSpec) -> None:
        """A trial is about to start (after its data is loaded)."""

    def checkpoint(self, point: CurvePoint) -> None:
        """A validation checkpoint of the running trial."""

    def compiling_ahead(self, kernels: int, processes: int) -> None:
        """``kernels`` trial shapes are being compiled in ``processes`` processes before the
        first trial (:func:`bench.prewarm.compile_ahead`); the next call is a trial start."""

    def trial_finished(self, result: TrialResult) -> None:
        """A trial ended and was saved."""


class QuietObserver:
    """Observer that ignores everything (tests, scripts)."""

    def trial_started(self, index: int, total: int, label: str, spec: TrialSpec) -> None:
        """Ignore."""

    def checkpoint(self, point: CurvePoint) -> None:
        """Ignore."""

    def compiling_ahead(self, kernels: int, processes: int) -> None:
        """Ignore."""

    def trial_finished(self, result: TrialResult) -> None:
        """Ignore."""


@dataclass(frozen=True, kw_only=True)
class PlannedTrial:
    """A trial to run: its label (unique in the run) and full configuration."""

    label: str
    spec: TrialSpec


def plan_sweep(
    base: TrialSpec, batch_sizes: tuple[int, ...], repeats: int, eta_scaling: str = "none"
) -> list[PlannedTrial]:
    """One trial per mini-batch size and seed; η optionally scaled from batch size 10."""
    trials = []
    for r in range(repeats):
        for mb in batch_sizes:
            train = replace(
                base.train,
                mini_batch=mb,
                eta=scaled_eta(base.train.eta, mb, eta_scaling),
                seed=base.train.seed + r,
            )
            label = f"mb={mb}" + (f" seed={train.seed}" if repeats > 1 else "")
            trials.append(PlannedTrial(label=label, spec=replace(base, train=train)))
    return trials


def new_run(
    kind: str, *, dtype: str, threads: int, peak: bool = True, gpu_peak: bool = False
) -> Run:
    """An empty run stamped with time, command line and machine info (``gpu_peak``: also
    the CUDA device's measured GEMM peak, for runs with a GPU backend)."""
    stamp = datetime.now(UTC)
    return Run(
        run_id=f"{kind}-{stamp:%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:6]}",
        kind=kind,
        created=stamp.isoformat(timespec="seconds"),
        command=["mlpbench", *sys.argv[1:]],
        machine=machine_info(
            dtype=dtype,
            threads=threads,
            peak=peak,
            gpu_peak=peak and gpu_peak,
            measure_ceilings=False,  # measured by `mlpbench machine`: a first sweep stays quick
        ),
    )


def run_each(
    trials: list[PlannedTrial],
    observer: Observer,
    data: DataCache | None = None,
    skip: frozenset[tuple[str, str]] = frozenset(),
) -> Iterator[TrialResult]:
    """Run ``trials`` serially and yield each result (the one trial loop of the harness).

    All data sets are loaded and every trial checked against its data before the first
    trial starts, so bad input fails before any training. Trials whose ``(label,
    repr(spec))`` is in ``skip`` are not run (resume). ``observer`` sees each start and
    checkpoint; the caller reports the finish (after saving, where it saves).
    """
    data = data or DataCache()
    sets = [data.get(t.spec) for t in trials]
    for i, (planned, dataset) in enumerate(zip(trials, sets, strict=True)):
        if (planned.label, repr(planned.spec)) in skip:
            continue
        observer.trial_started(i, len(trials), planned.label, planned.spec)

        def hook(point: CurvePoint) -> bool:
            observer.checkpoint(point)
            return False

        yield run_trial(planned.spec, dataset, on_checkpoint=hook, label=planned.label)


def run_planned(
    trials: list[PlannedTrial],
    run: Run,
    path: Path | None,
    observer: Observer,
    data: DataCache | None = None,
    *,
    compile_first: bool = False,
) -> Run:
    """Run ``trials`` serially into ``run``, saving ``run`` at ``path`` after each one.

    All data sets are loaded and every trial checked against its data before the first
    trial starts, so bad input fails before any training. Trials already in ``run`` with
    the same label and configuration are skipped (resume). ``compile_first``: with a cold
    kernel cache, compile every trial's kernels first, in parallel processes
    (:func:`bench.prewarm.compile_ahead`; recorded in ``run.notes["compile_ahead"]``).
    """
    done = frozenset((t.label, repr(t.config)) for t in run.trials)
    if compile_first:
        from bench.prewarm import compile_ahead

        data = data or DataCache()
        todo = [t for t in trials if (t.label, repr(t.spec)) not in done]
        record = compile_ahead([t.spec for t in todo], [data.get(t.spec) for t in todo],
                               on_start=observer.compiling_ahead)  # fmt: skip
        if record is not None:
            run.notes["compile_ahead"] = record
    for result in run_each(trials, observer, data, done):
        run.trials.append(result)
        if path is not None:
            save_run(run, path)
        observer.trial_finished(result)
    return run


def resume_or_new(path: Path | None, kind: str, *, dtype: str, threads: int) -> Run:
    """Load the run at ``path`` to resume it, or start a new one."""
    if path is not None and path.exists():
        return load_run(path)
    return new_run(kind, dtype=dtype, threads=threads)
