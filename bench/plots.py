"""Matplotlib figures from results, written to files (Agg backend, no display needed).

The chapter's plot: validation accuracy against real elapsed training time, one line per
configuration (mini-batch size in a sweep), the target as a horizontal line; on a grid over
architectures and other settings, colour by architecture, line style by mini-batch size and
the time–accuracy Pareto front over it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from bench.grid import AXIS, BATCH, is_multi_axis, varying_axes
from bench.groups import config_name, group_trials, run_front
from bench.results import Run, atomic_write_bytes


@dataclass(frozen=True, kw_only=True)
class Line:
    """One accuracy curve: x (seconds), y (accuracy, %), legend label and how it is drawn."""

    xs: list[float]
    ys: list[float]
    label: str | None
    style: str = "-"
    color: str | None = None  # None: the next colour of the cycle
    alpha: float | None = None


def accuracy_time_figure(
    lines: list[Line], *, title: str, target: float | None, time_axis: str = "train_seconds"
) -> Figure:
    """The one accuracy-vs-time figure: ``lines``, the target as a dotted line, the title.

    Used by the sweep's figure (:func:`accuracy_vs_time`) and the recipe's
    (:func:`bench.recipe.plots.accuracy_vs_time`).
    """
    fig, ax = plt.subplots(figsize=(7.5, 4.5), layout="constrained")
    for ln in lines:
        ax.plot(ln.xs, ln.ys, ln.style, color=ln.color, label=ln.label, lw=1.5, alpha=ln.alpha)
    _finish(ax, target, time_axis)
    ax.set_title(title, fontsize=10)
    ax.legend(loc="lower right", fontsize=8)
    return fig


def accuracy_vs_time(run: Run, *, time_axis: str = "train_seconds") -> Figure:
    """Validation accuracy vs ``time_axis`` (train_seconds or wall_seconds) per configuration.

    A sweep over mini-batch sizes alone: one colour per size. A grid over more axes: colour
    by architecture, line style by mini-batch size, a marker per value of the other axes,
    the time–accuracy Pareto front drawn over it (black steps); with more than
    :data:`MAX_LINES` configurations and several architectures, one panel per architecture.
    Repeated seeds of one configuration share colour and style; the first carries the label.
    """
    if is_multi_axis(run.trials):
        return _grid_figure(run, time_axis)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    lines = []
    for i, g in enumerate(group_trials(run.trials)):
        tr = g.first.config.train
        for j, t in enumerate(g.trials):
            lines.append(Line(
                xs=[getattr(p, time_axis) for p in t.curve],
                ys=[100 * p.val_accuracy for p in t.curve],
                label=f"mini-batch {tr.mini_batch} (η={tr.eta:g})" if j == 0 else None,
                style="--" if t.status != "completed" else "-",
                color=colors[i % len(colors)], alpha=0.9,
            ))  # fmt: skip
    return accuracy_time_figure(
        lines, title=f"Validation accuracy vs elapsed time — {run.run_id}",
        target=_target(run), time_axis=time_axis,
    )  # fmt: skip


def _target(run: Run) -> float | None:
    """The run's target accuracy (its first trial's), or None for an empty run."""
    return run.trials[0].config.train.target if run.trials else None


MAX_LINES = 8  # more configurations than this: one panel per architecture
LINE_STYLES = ("-", "--", ":", "-.")
MARKERS = ("", "o", "s", "^", "D", "v", "x")


def _finish(ax: Axes, target: float | None, time_axis: str) -> None:
    """Target line, axis labels and grid."""
    if target is not None:
        ax.axhline(100 * target, color="grey", ls=":", lw=1, label=f"target {target:.0%}")
    ax.set_xlabel("training time, seconds" if time_axis == "train_seconds" else "wall time, s")
    ax.set_ylabel("validation accuracy, %")
    ax.grid(alpha=0.3)


def _grid_figure(run: Run, time_axis: str) -> Figure:
    """The multi-axis figure: see :func:`accuracy_vs_time`."""
    groups = group_trials(run.trials)
    arch_axis = AXIS["sizes"]
    archs = list(dict.fromkeys(tuple(g.first.config.net.sizes) for g in groups))
    batches = list(dict.fromkeys(g.first.config.train.mini_batch for g in groups))
    others = [a for a in varying_axes([t.config for t in run.trials])
              if a not in (arch_axis, BATCH)]  # fmt: skip
    rest = list(dict.fromkeys(tuple(a.get(g.first.config) for a in others) for g in groups))
    panels = len(archs) if len(groups) > MAX_LINES and len(archs) > 1 else 1
    cols = min(panels, 3)
    rows = -(-panels // cols)
    fig, axs = plt.subplots(rows, cols, figsize=(5.0 * cols if panels > 1 else 8.5,
                            4.2 * rows if panels > 1 else 5.0), sharex=True, sharey=True,
                            squeeze=False, layout="constrained")  # fmt: skip
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    _, front = run_front(run, time_axis)
    for g in groups:
        spec = g.first.config
        a_i = archs.index(tuple(spec.net.sizes))
        ax = axs.flat[a_i if panels > 1 else 0]
        style = LINE_STYLES[batches.index(spec.train.mini_batch) % len(LINE_STYLES)]
        marker = MARKERS[rest.index(tuple(a.get(spec) for a in others)) % len(MARKERS)]
        for j, t in enumerate(g.trials):
            ax.plot([getattr(p, time_axis) for p in t.curve],
                    [100 * p.val_accuracy for p in t.curve], ls=style, marker=marker,
                    markevery=0.2, ms=4, color=colors[a_i % len(colors)], lw=1.4, alpha=0.85,
                    label=config_name(run, g) if j == 0 else None)  # fmt: skip
    for k, ax in enumerate(axs.flat):
        if k >= panels:
            ax.set_visible(False)
            continue
        if front:
            ax.plot([p.seconds for p in front], [100 * p.accuracy for p in front], color="black",
                    lw=2.2, alpha=0.6, drawstyle="steps-post", label="Pareto front")  # fmt: skip
        _finish(ax, _target(run), time_axis)
        if panels > 1:
            ax.set_title(arch_axis.label(archs[k]), fontsize=10)
        ax.legend(loc="lower right", fontsize=7 if panels > 1 else 8)
    fig.suptitle(f"Validation accuracy vs elapsed time — {run.run_id}", fontsize=10)
    return fig


def save_figure(fig: Figure, path: Path) -> Path:
    """Save ``fig`` at ``path`` (format from the suffix: png, svg, pdf) atomically; close it."""
    buf = io.BytesIO()
    fig.savefig(buf, format=path.suffix.lstrip(".") or "png", dpi=120)
    plt.close(fig)
    atomic_write_bytes(path, buf.getvalue())
    return path


def label_axes(ax: Axes, *, x: str, y: str, title: str, log: str = "") -> None:
    """The house style of a panel: axis labels ``x`` and ``y`` (units in the text), the
    ``title`` (10 pt), a light grid on major and minor ticks; ``log`` names the axes on a log
    scale ("x", "y", "xy" or "")."""
    if "x" in log:
        ax.set_xscale("log")
    if "y" in log:
        ax.set_yscale("log")
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3, which="both")


def samples_per_s_by_batch(
    series: dict[str, dict[int, float]], *, title: str = "Training throughput"
) -> Figure:
    """Training samples/s (log scale) against mini-batch size (log scale), one line per series.

    ``series`` maps a label (backend, dtype, threads, or a peer) to ``{mini_batch: samples/s}``.
    """
    fig, ax = plt.subplots(figsize=(7.5, 4.5), layout="constrained")
    for label, points in series.items():
        batches = sorted(points)
        ax.plot(batches, [points[b] for b in batches], "o-", lw=1.5, ms=4, label=label)
    label_axes(ax, x="mini-batch size", y="training samples per second", title=title, log="xy")
    if series:
        ax.legend(loc="best", fontsize=7)
    return fig
