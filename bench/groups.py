"""Trials grouped by configuration, and the facts of a run that every view reads.

A *group* is the trials of one configuration apart from the seed. The terminal tables
(:mod:`bench.report`), the comparison (:mod:`bench.publish.compare`) and the figures
(:mod:`bench.plots`) all group, name and measure runs with these functions. Imports
:mod:`bench.results`, :mod:`bench.grid`, :mod:`bench.pareto` and :mod:`bench.roofline`
only (no rendering).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from bench.grid import describe, varying_axes
from bench.pareto import FrontPoint, group_curve, pareto_front, trial_curve
from bench.results import Run, TrialResult, TrialSummary
from bench.roofline import CEILING, bound, bytes_per_sample, share_text, yardstick
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
    """The GFLOP/s a figure of this dtype and thread count is a share of: the machine's
    measured ceiling, or for an older run without one its GEMM peak
    (:func:`bench.roofline.yardstick`); for a GPU ``backend`` the GPU's (``machine["cuda"]``,
    :mod:`bench.gpu`)."""
    if backend is not None and backend in BACKENDS and backend_info(backend).device != CPU:
        gpu = run.machine.get("cuda") or {}
        value = (gpu.get("gemm_peak_gflops") or {}).get(dtype)
        return float(value) if value else None
    stick = yardstick(run.machine, dtype, threads)
    return stick[0] if stick else None


def peak_share(run: Run, group: Group) -> tuple[float | None, str | None, str | None]:
    """(share, basis, bound) of a configuration: executed GFLOP/s (median over seeds) over
    :func:`peak_for`; the basis (:data:`bench.roofline.CEILING`, ``BLAS GEMM`` for a run
    without a measured ceiling, ``GPU GEMM``); compute- or memory-bound at the path's
    arithmetic intensity (:mod:`bench.roofline`), None where not known."""
    spec = group.first.config
    tr = spec.train
    peak = peak_for(run, tr.dtype, tr.threads, tr.backend)
    executed = group.median(lambda t: executed_gflops(t.summary))
    if not peak or executed is None:
        return None, None, None
    stick = yardstick(run.machine, tr.dtype, tr.threads)
    if stick is None or (tr.backend in BACKENDS and backend_info(tr.backend).device != CPU):
        return executed / peak, "GPU GEMM", None
    rate = group.median(lambda t: t.summary.samples_per_second)
    where = None
    if rate and stick[1] == CEILING:
        l2 = (run.machine.get("ceilings") or {}).get("l2_bytes")
        moved = bytes_per_sample(spec.net.sizes, tr.mini_batch, np.dtype(tr.dtype).itemsize, l2)
        where = bound(run.machine, tr.dtype, tr.threads, executed * 1e9 / rate / moved)
    return executed / peak, stick[1], where


def peak_cell(run: Run, group: Group) -> str:
    """The peak cell of a configuration (:func:`peak_share`): ``54% compute``, or
    ``43% of BLAS GEMM`` for a run without a measured ceiling."""
    return share_text(*peak_share(run, group))


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
