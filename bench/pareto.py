"""The time–accuracy Pareto front of a sweep: which configurations are worth their time.

For every configuration, the best validation accuracy reached within a training-time budget
T is a non-decreasing step function of T (:func:`best_within`). A point (T, accuracy) of
one configuration is *dominated* when another point reaches at least that accuracy in at
most that time, and is better in one of the two. The non-dominated points form the front
(:func:`pareto_front`): for every budget, the best accuracy any configuration reached, and
which one reached it. Two configurations reaching the same accuracy at the same time are
both on the front. Seeds of one configuration are combined by the median at every budget
(:func:`group_curve`). Times are kernel (training) seconds; accuracies are fractions.
Nothing here prints or draws.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from bench.results import TrialResult

Curve = Sequence[tuple[float, float]]  # (seconds, validation accuracy) checkpoints


@dataclass(frozen=True, kw_only=True)
class FrontPoint:
    """A non-dominated point: ``config`` reached ``accuracy`` within ``seconds``."""

    seconds: float
    accuracy: float
    config: str


def best_within(curve: Curve) -> list[tuple[float, float]]:
    """The best-so-far steps of ``curve``: (time, best accuracy up to that time), only where
    it improves, in time order. Unordered input is sorted by time first."""
    steps: list[tuple[float, float]] = []
    best = float("-inf")
    for t, a in sorted(curve, key=lambda p: p[0]):
        if a > best:
            best = a
            if steps and steps[-1][0] == t:
                steps[-1] = (t, a)
            else:
                steps.append((t, a))
    return steps


def accuracy_at(steps: Sequence[tuple[float, float]], budget: float) -> float | None:
    """Best accuracy reached within ``budget`` seconds (None before the first checkpoint)."""
    found = None
    for t, a in steps:
        if t > budget:
            break
        found = a
    return found


def group_curve(curves: Sequence[Curve]) -> list[tuple[float, float]]:
    """One configuration's best-within steps over several seeds: the median at each budget.

    Budgets are every checkpoint time of every seed; a seed without a checkpoint yet counts
    as 0 accuracy there. One seed gives its own :func:`best_within` steps.
    """
    per_seed = [best_within(c) for c in curves if c]
    if len(per_seed) == 1:
        return per_seed[0]
    budgets = sorted({t for s in per_seed for t, _ in s})
    merged = [(b, statistics.median(accuracy_at(s, b) or 0.0 for s in per_seed)) for b in budgets]
    return best_within(merged)


def pareto_front(curves: Mapping[str, Curve]) -> list[FrontPoint]:
    """The non-dominated (time, accuracy) points over all configurations, by time.

    ``curves`` maps a configuration name to its checkpoints. Each step of each
    configuration's :func:`best_within` curve is a candidate; the front keeps those that
    raise the best accuracy seen at that time or earlier; ties at one time all stay.
    """
    points = [(t, a, name) for name, c in curves.items() for t, a in best_within(c)]
    points.sort(key=lambda p: (p[0], -p[1]))
    front: list[FrontPoint] = []
    best = float("-inf")
    i = 0
    while i < len(points):
        t = points[i][0]
        same_time = [p for p in points[i:] if p[0] == t]
        top = same_time[0][1]
        if top > best:
            front += [FrontPoint(seconds=t, accuracy=a, config=n) for _, a, n in same_time
                      if a == top]  # fmt: skip
            best = top
        i += len(same_time)
    return front


def front_segments(front: Sequence[FrontPoint]) -> list[tuple[str, FrontPoint, FrontPoint]]:
    """Consecutive front points of one configuration merged: (config, first, last)."""
    segments: list[tuple[str, FrontPoint, FrontPoint]] = []
    for p in front:
        if segments and segments[-1][0] == p.config:
            segments[-1] = (p.config, segments[-1][1], p)
        else:
            segments.append((p.config, p, p))
    return segments


def trial_curve(trial: TrialResult, time_axis: str = "train_seconds") -> list[tuple[float, float]]:
    """A trial's (seconds, validation accuracy) checkpoints after training started (the
    checkpoint before any training is the same untrained guess for every configuration)."""
    return [(float(getattr(p, time_axis)), p.val_accuracy) for p in trial.curve
            if p.images_seen > 0]  # fmt: skip


def front_record(
    curves: Mapping[str, Curve], front: Sequence[FrontPoint], time_axis: str = "train_seconds"
) -> dict[str, Any]:
    """JSON-ready record for the run's notes: time axis, per-configuration steps, front."""
    return {
        "time_axis": time_axis,
        "best_within": {name: [list(s) for s in best_within(c)] for name, c in curves.items()},
        "front": [asdict(p) for p in front],
    }
