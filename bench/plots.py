"""Matplotlib figures from results, written to files (Agg backend, no display needed).

The chapter's plot: validation accuracy against real elapsed training time, one line per
configuration (mini-batch size in a sweep), the target as a horizontal line.
"""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from bench.report import group_trials
from bench.results import Run, atomic_write_bytes


def accuracy_vs_time(run: Run, *, time_axis: str = "train_seconds") -> Figure:
    """Validation accuracy vs ``time_axis`` (train_seconds or wall_seconds) per configuration.

    Repeated seeds of one configuration share a colour; the first carries the label.
    """
    fig, ax = plt.subplots(figsize=(7.5, 4.5), layout="constrained")
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, g in enumerate(group_trials(run.trials)):
        tr = g.first.config.train
        for j, t in enumerate(g.trials):
            xs = [getattr(p, time_axis) for p in t.curve]
            ys = [100 * p.val_accuracy for p in t.curve]
            label = f"mini-batch {tr.mini_batch} (η={tr.eta:g})" if j == 0 else None
            style = "--" if t.status != "completed" else "-"
            ax.plot(xs, ys, style, color=colors[i % len(colors)], label=label, lw=1.5, alpha=0.9)
    if run.trials:
        target = run.trials[0].config.train.target
        ax.axhline(100 * target, color="grey", ls=":", lw=1, label=f"target {target:.0%}")
    ax.set_xlabel("training time, seconds" if time_axis == "train_seconds" else "wall time, s")
    ax.set_ylabel("validation accuracy, %")
    ax.set_title(f"Validation accuracy vs elapsed time — {run.run_id}", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    return fig


def save_figure(fig: Figure, path: Path) -> Path:
    """Save ``fig`` at ``path`` (format from the suffix: png, svg, pdf) atomically; close it."""
    buf = io.BytesIO()
    fig.savefig(buf, format=path.suffix.lstrip(".") or "png", dpi=120)
    plt.close(fig)
    atomic_write_bytes(path, buf.getvalue())
    return path


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
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("mini-batch size")
    ax.set_ylabel("training samples per second")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3, which="both")
    if series:
        ax.legend(loc="best", fontsize=7)
    return fig
