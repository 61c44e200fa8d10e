"""Matplotlib figures of the tuning recipe and of searches (Agg backend, written to files).

Training cost vs epoch per η (the threshold search), validation accuracy vs λ, validation
accuracy vs elapsed time per labelled trial (mini-batch size or μ), and Optuna's
optimization history. Saving goes through :func:`bench.plots.save_figure`.
"""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from bench.plots import Line, accuracy_time_figure, label_axes
from bench.recipe.recipe import FALLS, EtaSearch, LambdaSearch
from bench.results import TrialResult

if TYPE_CHECKING:
    import optuna


def cost_vs_epoch(search: EtaSearch, *, title: str = "") -> Figure:
    """Training-set cost (log scale) against epoch, one line per η; dashed if it did not fall."""
    fig, ax = plt.subplots(figsize=(7.5, 4.5), layout="constrained")
    for probe in sorted(search.probes, key=lambda p: p.eta):
        costs = [c if math.isfinite(c) else float("nan") for c in probe.costs]
        style = "-" if probe.verdict == FALLS else "--"
        ax.plot(
            range(len(costs)),
            costs,
            style,
            marker="o",
            ms=3,
            label=f"η={probe.eta:g} ({probe.verdict})",
        )
    thr = f"threshold η={search.threshold:g}" if search.threshold else "no η fell"
    label_axes(ax, x="epoch", y="training cost (mean per image)",
               title=title or f"Learning-rate threshold: {thr}", log="y")  # fmt: skip
    ax.legend(fontsize=8)
    return fig


def accuracy_vs_lmbda(search: LambdaSearch, *, title: str = "") -> Figure:
    """Validation accuracy (%) against λ (log scale); λ = 0 as a dotted horizontal line."""
    fig, ax = plt.subplots(figsize=(7.5, 4.5), layout="constrained")
    pts = sorted((p.lmbda, 100 * p.accuracy) for p in search.probes if p.lmbda > 0)
    ax.plot([x for x, _ in pts], [y for _, y in pts], "o-", label="λ tried")
    ax.axhline(100 * search.baseline_accuracy, color="grey", ls=":", label="λ = 0")
    if search.best > 0:
        ax.plot([search.best], [100 * search.best_accuracy], "r*", ms=14, label="chosen")
    label_axes(ax, x="λ (L2 regularisation)", y="best validation accuracy, %",
               title=title or f"λ search at η={search.eta:g}: chose λ={search.best:g}",
               log="x")  # fmt: skip
    ax.legend(fontsize=8)
    return fig


def accuracy_vs_time(trials: list[TrialResult], *, title: str, target: float | None) -> Figure:
    """Validation accuracy (%) against training seconds, one line per trial label
    (:func:`bench.plots.accuracy_time_figure`)."""
    lines = [
        Line(xs=[p.train_seconds for p in t.curve], ys=[100 * p.val_accuracy for p in t.curve],
             label=t.label)
        for t in trials
    ]  # fmt: skip
    return accuracy_time_figure(lines, title=title, target=target)


def optimization_history(study: optuna.Study) -> Figure:
    """Optuna's optimization history (objective: best validation accuracy) as a figure."""
    from optuna.visualization.matplotlib import plot_optimization_history

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ax = plot_optimization_history(study)
    fig = ax.get_figure()
    if not isinstance(fig, Figure):  # pragma: no cover - a SubFigure never comes back here
        raise TypeError("unexpected figure type from optuna")
    fig.set_size_inches(7.5, 4.5)
    fig.set_layout_engine("constrained")
    return fig
