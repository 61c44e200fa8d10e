"""SVG figures for the static site (:mod:`bench.publish.site`), byte-for-byte reproducible.

Matplotlib writes SVG with a creation date and random element ids by default; here the
date is left out and the id salt fixed, so the same results give the same files.
"""

from __future__ import annotations

import io
import statistics
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from bench.plots import accuracy_vs_time, samples_per_s_by_batch
from bench.publish.compare import Source
from bench.publish.publish import peer_entries, throughput_series
from bench.results import Run


def svg_bytes(fig: Figure) -> bytes:
    """``fig`` as SVG without a date and with fixed ids; the figure is closed."""
    buf = io.BytesIO()
    with plt.rc_context({"svg.hashsalt": "mlpbench", "svg.fonttype": "path"}):
        fig.savefig(buf, format="svg", metadata={"Date": None})
    plt.close(fig)
    return buf.getvalue()


def throughput_svg(sources: Sequence[Source], title: str) -> bytes | None:
    """samples/s by mini-batch per backend (dtype, threads) and peer; newest source wins."""
    series: dict[str, dict[int, float]] = {}
    for s in sources:
        series.update(throughput_series([s]))
    return svg_bytes(samples_per_s_by_batch(series, title=title)) if series else None


def peers_svg(source: Source, title: str) -> bytes | None:
    """The peers chart: samples/s by mini-batch for mlpbench's backends and every peer."""
    series: dict[str, dict[int, float]] = {}
    for (peer, mb), e in sorted(peer_entries(source).items()):
        if e.samples_per_s:
            series.setdefault(peer, {})[mb] = e.samples_per_s
    return svg_bytes(samples_per_s_by_batch(series, title=title)) if series else None


def accuracy_svg(run: Run) -> bytes:
    """Validation accuracy vs training seconds, one line per configuration of the run."""
    return svg_bytes(accuracy_vs_time(run))


def commits_svg(points: dict[str, list[tuple[str, float]]], title: str) -> bytes | None:
    """Throughput over commits: each entry's samples/s relative to its first commit (thin),
    and the median over entries (bold). ``points``: entry → [(commit, samples/s)] in order.
    """
    commits: list[str] = []
    for series in points.values():
        for c, _ in series:
            if c not in commits:
                commits.append(c)
    if len(commits) < 2:
        return None
    fig, ax = plt.subplots(figsize=(7.5, 4.0), layout="constrained")
    rel: dict[int, list[float]] = {}
    for series in points.values():
        if len(series) < 2:
            continue
        first = series[0][1]
        xs = [commits.index(c) for c, _ in series]
        ys = [v / first for _, v in series]
        ax.plot(xs, ys, "-", color="grey", lw=0.6, alpha=0.5)
        for x, y in zip(xs, ys, strict=True):
            rel.setdefault(x, []).append(y)
    xs = sorted(rel)
    ax.plot(xs, [statistics.median(rel[x]) for x in xs], "o-", lw=2, label="median of entries")
    ax.set_xticks(range(len(commits)), [c[:7] for c in commits], rotation=30, fontsize=8)
    ax.set_ylabel("samples/s relative to the first commit")
    ax.axhline(1.0, color="black", lw=0.8, ls=":")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    return svg_bytes(fig)
