"""The roofline figure: the machine's ceilings and where each kernel path sits under them.

x: arithmetic intensity (executed FLOPs per byte, :func:`bench.roofline.bytes_per_sample`),
y: GFLOP/s, both log scale. Per dtype and thread count the roof is
``min(compute ceiling, intensity × triad bandwidth)``. Points: each configuration of a run
(its measured executed GFLOP/s, filled) or, without a run, every kernel path at the sweep's
mini-batch sizes placed on its roof (what it could reach at its intensity, hollow).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from bench.plots import label_axes
from bench.roofline import bandwidth, bytes_per_sample, key

# label, dtype, threads, intensity (FLOP/byte), GFLOP/s, measured (or placed on its roof)
Point = tuple[str, str, int, float, float, bool]


def path_points(
    ceil: Mapping[str, Any], sizes: Sequence[int], batches: Sequence[int], threads: Sequence[int]
) -> list[Point]:
    """Every candidate path of the Numba backends at each mini-batch size, on its roof: one
    point per mini-batch size and thread count at the paths' mean intensity (they differ
    only in the update's FLOPs), labelled with the paths."""
    from kernels.paths import candidates, executed_flops_per_update

    machine = {"ceilings": ceil}
    points: list[Point] = []
    for dtype in ("float64", "float32"):
        item = np.dtype(dtype).itemsize
        for t in threads:
            backend = "numba" if t == 1 else "numba-parallel"
            peak = (ceil.get("compute_gflops") or {}).get(key(dtype, t))
            bw = bandwidth(machine, t)
            for mb in batches:
                moved = bytes_per_sample(sizes, mb, item, ceil.get("l2_bytes"))
                paths = candidates(backend, mb, t)
                flops = [executed_flops_per_update(list(sizes), mb, p, 0.0, 1e-4) / mb
                         for p in paths]  # fmt: skip
                x = sum(flops) / len(flops) / moved
                if peak and bw:
                    label = f"mb={mb}: {', '.join(paths)}"
                    points.append((label, dtype, t, x, min(peak, x * bw), False))
    return points


def run_points(run: Any) -> list[Point]:
    """Each configuration of ``run`` at its measured executed GFLOP/s and intensity."""
    from bench.groups import executed_gflops, group_trials

    l2 = (run.machine.get("ceilings") or {}).get("l2_bytes")
    points: list[Point] = []
    for g in group_trials(run.trials):
        spec = g.first.config
        tr = spec.train
        gflops = g.median(lambda t: executed_gflops(t.summary))
        rate = g.median(lambda t: t.summary.samples_per_second)
        if not gflops or not rate:
            continue
        moved = bytes_per_sample(spec.net.sizes, tr.mini_batch, np.dtype(tr.dtype).itemsize, l2)
        path = g.first.summary.kernel_path or tr.backend
        label = f"{path} mb={tr.mini_batch}"
        points.append((label, tr.dtype, tr.threads, gflops * 1e9 / rate / moved, gflops, True))
    return points


def roofline_figure(ceil: Mapping[str, Any], points: Sequence[Point], *, title: str) -> Figure:
    """One panel per dtype: the roofs of every thread count and the points."""
    fig = Figure(figsize=(11, 4.8), layout="constrained")
    axs = fig.subplots(1, 2)
    machine = {"ceilings": ceil}
    xs = np.logspace(-2, 3, 200)
    for ax, dtype in zip(axs, ("float64", "float32"), strict=True):
        for t in ceil.get("threads") or [1]:
            peak = (ceil.get("compute_gflops") or {}).get(key(dtype, t))
            bw = bandwidth(machine, t)
            if peak and bw:
                ax.plot(xs, np.minimum(peak, xs * bw), lw=2, label=f"roof, {t} thread(s): "
                        f"{peak:.0f} GFLOP/s, {bw:.1f} GB/s")  # fmt: skip
        mine = [p for p in points if p[1] == dtype]
        for i, (label, _, t, x, y, measured) in enumerate(mine):
            ax.plot([x], [y], "o" if measured else "s", ms=5, mfc=None if measured else "none",
                    label=f"{label} ({t}t)", color=f"C{(i + 2) % 10}")  # fmt: skip
        label_axes(ax, x="arithmetic intensity, executed FLOPs per byte moved", y="GFLOP/s",
                   title=dtype, log="xy")  # fmt: skip
        ax.legend(fontsize=6, loc="lower right", ncol=2)
    fig.suptitle(title, fontsize=10)
    return fig
