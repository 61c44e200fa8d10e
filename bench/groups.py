"""Trials grouped by configuration, and the facts of a run that every view reads.

A *group* is the trials of one configuration apart from the seed. The terminal tables
(:mod:`bench.report`), the comparison (:mod:`bench.publish.compare`) and the figures
(:mod:`bench.plots`) all group, name and measure runs with these functions. Imports
:mod:`bench.results`, :mod:`bench.grid` and :mod:`bench.pareto` only (no rendering).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass, replace

from bench.grid import describe, varying_axes
from bench.pareto import FrontPoint, group_curve, pareto_front, trial_curve
from bench.results import Run, TrialResult, TrialSummary
from kernels import BACKENDS, backend_info
from kernels.session import CPU


@dataclass(frozen=True)
class Group:
    """Trials sharing one configuration except the seed."""

    key: str
    trials: list[TrialResult]

    @property
    def first(self) -> TrialResult:
        """A representative trial."""
        return self.trials[0]

    def median(self, get: Callable[[TrialResult], float | None]) -> float | None:
        """Median of ``get`` over trials where it is not None; None if it never is."""
        values = [v for v in (get(t) for t in self.trials) if v is not None]
        return statistics.median(values) if values else None


def group_key(trial: TrialResult) -> str:
    """Identity of a trial's configuration with the seed left out."""
    spec = trial.config
    return repr(replace(spec, train=replace(spec.train, seed=0)))


def group_trials(trials: list[TrialResult]) -> list[Group]:
    """Trials grouped by :func:`group_key`, in first-seen order."""
    groups: dict[str, list[TrialResult]] = {}
    for t in trials:
        groups.setdefault(group_key(t), []).append(t)
    return [Group(k, v) for k, v in groups.items()]


def executed_gflops(summary: TrialSummary) -> float:
    """GFLOP/s in FLOPs the kernel path executed (older runs: the model figure)."""
    return summary.gflops if summary.executed_gflops is None else summary.executed_gflops


def peak_for(run: Run, dtype: str, threads: int, backend: str | None = None) -> float | None:
    """The run's measured GEMM peak (GFLOP/s) for this dtype and thread count, if known;
    for a GPU ``backend`` the GPU's (``machine["cuda"]``, :mod:`bench.gpu`)."""
    if backend is not None and backend in BACKENDS and backend_info(backend).device != CPU:
        gpu = run.machine.get("cuda") or {}
        value = (gpu.get("gemm_peak_gflops") or {}).get(dtype)
        return float(value) if value else None
    peaks = run.machine.get("gemm_peak_gflops") or {}
    value = peaks.get(f"{dtype}/{threads}")
    return float(value) if value else None


def config_name(run: Run, group: Group) -> str:
    """The configuration of ``group`` in words, naming the axes that vary in ``run``."""
    return describe(group.first.config, varying_axes([t.config for t in run.trials]))


def run_front(
    run: Run, time_axis: str = "train_seconds"
) -> tuple[dict[str, list[tuple[float, float]]], list[FrontPoint]]:
    """Per configuration (seeds by median) its checkpoints, and the run's Pareto front."""
    curves = {
        config_name(run, g): group_curve([trial_curve(t, time_axis) for t in g.trials])
        for g in group_trials(run.trials)
    }
    return curves, pareto_front(curves)
