"""Pure functions from results to rich renderables: the sweep table and its verdict.

Trials are grouped by their configuration apart from the seed, so repeated seeds collapse
into one row showing the median and the spread (min–max). Nothing here trains or writes
files; printing is the caller's job.
"""

from __future__ import annotations

from typing import Any

from rich import box
from rich.table import Table
from rich.text import Text

from bench.grid import AXES, AXIS, BATCH, ETA, Axis, is_multi_axis, varying_axes
from bench.groups import (  # re-exported: the renderer's callers import them from here too
    Group,
    config_name,
    executed_gflops,
    group_key,
    group_trials,
    peak_cell,
    peak_for,
    run_front,
)
from bench.pareto import FrontPoint, front_segments
from bench.results import COMPLETED, Run, median_spread

__all__ = [
    "Group", "config_name", "executed_gflops", "fastest_verdict", "front_table", "group_key",
    "group_trials", "peak_for", "run_front", "sweep_table", "table_axes",
]  # fmt: skip


def _fmt_spread(values: list[float], fmt: str) -> str:
    if not values:
        return "—"
    med, lo, hi = median_spread(values)
    if len(values) == 1 or lo == hi:
        return format(med, fmt)
    return f"{format(med, fmt)} ({format(lo, fmt)}–{format(hi, fmt)})"


def _status(group: Group) -> Text:
    counts: dict[str, int] = {}
    for t in group.trials:
        label = t.status if t.status != COMPLETED else t.stop_reason
        counts[label] = counts.get(label, 0) + 1
    text = ", ".join(f"{n}× {s}" if len(group.trials) > 1 else s for s, n in counts.items())
    style = "red" if any(t.status != COMPLETED for t in group.trials) else "green"
    return Text(text, style=style)


def _group_sort_key(groups: list[Group], axes: list[Axis]) -> dict[str, tuple[int, ...]]:
    """Rows ordered by the varying axes (architecture first), values in first-seen order."""
    order: dict[str, dict[Any, int]] = {a.name: {} for a in axes}
    for g in groups:
        for a in axes:
            order[a.name].setdefault(_key(a.get(g.first.config)), len(order[a.name]))
    return {g.key: tuple(order[a.name][_key(a.get(g.first.config))] for a in axes) for g in groups}


def _key(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def table_axes(run: Run) -> list[Axis]:
    """The configuration columns of the sweep table: the varying axes, architecture first,
    with ``batch`` and ``η`` always shown (the one-axis sweep's columns)."""
    varying = varying_axes([t.config for t in run.trials])
    return [a for a in AXES if a in varying or a in (BATCH, ETA)]


def sweep_table(run: Run, *, title: str | None = None) -> Table:
    """One row per configuration, grouped by the axes that vary: time to target and speed.

    A sweep over mini-batch sizes alone has the columns batch and η; each further axis with
    more than one value (network, activation, cost, dtype, backend, threads, λ, μ) gets its
    own column, and rows are grouped by them, architecture first (a rule between networks).
    """
    target = run.trials[0].config.train.target if run.trials else 0.0
    table = Table(
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        title=title or f"{run.kind} {run.run_id}",
        caption=f"to target: training (kernel) seconds to {target:.1%} validation accuracy, "
        "compile excluded; images: training images seen by then; best/final: validation "
        "accuracy; GFLOP/s: model FLOPs (docs/results-format.md); peak: FLOPs the kernel path "
        "executed, as a share of this machine's measured ceiling, and whether the path is "
        "compute- or memory-bound at its arithmetic intensity (docs/machine-ceilings.md; older "
        "runs: share of their BLAS GEMM, so labelled); median (min–max) over seeds; machine: ok, "
        "or unstable with the first reason (load, stolen or foreign CPU time, chunk spread: "
        "docs/noise.md)",
    )
    axes = table_axes(run)
    for a in axes:  # configuration cells are never wrapped or cut
        width = max((len(a.text(a.get(t.config))) for t in run.trials), default=1)
        table.add_column(a.column, justify="left" if a.part == "net" else "right",
                         min_width=max(width, len(a.column)), no_wrap=True)  # fmt: skip
    for name in ("to target s", "images", "best", "final", "samples/s", "GFLOP/s", "peak",
                 "compile s", "seeds"):  # fmt: skip
        table.add_column(name, justify="right")
    table.add_column("status", justify="left")
    table.add_column("machine", justify="left")  # the stability mark (bench.stability)
    groups = group_trials(run.trials)
    sort_key = _group_sort_key(groups, axes)
    groups.sort(key=lambda g: sort_key[g.key])
    arch = AXIS["sizes"]
    for i, g in enumerate(groups):
        spec = g.first.config
        new_arch = i + 1 < len(groups) and arch.get(groups[i + 1].first.config) != arch.get(spec)
        table.add_row(
            *(a.text(a.get(spec)) for a in axes),
            *_measures(run, g),
            end_section=arch in axes and new_arch,
        )
    return table


def _measures(run: Run, g: Group) -> list[str | Text]:
    """The measured cells of one row: time to target … seeds, status."""
    ttt = [t.summary.time_to_target_seconds for t in g.trials]
    reached = [v for v in ttt if v is not None]
    images = [float(t.summary.images_to_target) for t in g.trials
              if t.summary.images_to_target is not None]  # fmt: skip
    gflops = [t.summary.gflops for t in g.trials]
    ttt_text = _fmt_spread(reached, ".3f")
    if reached and len(reached) < len(ttt):
        ttt_text += f" [{len(reached)}/{len(ttt)}]"
    return [
        ttt_text,
        _fmt_spread(images, ",.0f"),
        _fmt_spread([t.summary.best_val_accuracy for t in g.trials], ".2%"),
        _fmt_spread([t.summary.final_val_accuracy for t in g.trials], ".2%"),
        _fmt_spread([t.summary.samples_per_second for t in g.trials], ",.0f"),
        _fmt_spread(gflops, ".2f"),
        peak_cell(run, g),
        _fmt_spread([t.compile_seconds for t in g.trials], ".2f"),
        str(len(g.trials)),
        _status(g),
        stability_mark(g.trials),
    ]


def stability_mark(trials: list[Any]) -> Text:
    """``ok`` when every trial ran on a quiet machine, ``unstable: TAG`` (the first reason's
    short form, e.g. ``others 71%``) when any did not, ``—`` for runs recorded before the
    state was measured."""
    measured = [t.stability for t in trials if t.stability is not None]
    bad = [s for s in measured if not s.stable]
    if not measured:
        return Text("—")
    if not bad:
        return Text("ok", style="green")
    return Text(bad[0].mark, style="yellow")


def fastest_verdict(run: Run) -> str:
    """The configuration with the lowest median time to target; on a grid over more than
    the mini-batch size, also the most accurate one (highest median best accuracy)."""
    groups = group_trials(run.trials)
    best = max(groups, key=lambda g: g.median(lambda t: t.summary.best_val_accuracy) or 0.0)
    acc = best.median(lambda t: t.summary.best_val_accuracy) or 0.0
    timed = [(g.median(lambda t: t.summary.time_to_target_seconds), g) for g in groups]
    reached = [(v, g) for v, g in timed if v is not None]
    multi = is_multi_axis(run.trials)
    if not reached:
        where = (
            config_name(run, best) if multi else f"mini-batch {best.first.config.train.mini_batch}"
        )
        return f"No configuration reached the target; the best accuracy was {acc:.2%} at {where}."
    seconds, g = min(reached, key=lambda vg: vg[0])
    tr = g.first.config.train
    text = f"Fastest to {tr.target:.0%}: {config_name(run, g)} in {seconds:.3f} training seconds."
    if multi:
        text += f"\nMost accurate: {config_name(run, best)}, best validation accuracy {acc:.2%}."
    return text


COMPILE_NOTE_FROM = 1.0  # total compile seconds of a run from which it says what compiled


def compile_note(run: Run) -> str | None:
    """One line naming what the run's warm-ups compiled and for how long (seconds, slowest
    first, from each trial's ``compile_kernels``), when that took ``COMPILE_NOTE_FROM``
    seconds or more (a cold kernel cache); None otherwise, or for runs that did not record it.
    """
    ahead = run.notes.get("compile_ahead") or {}
    seconds: dict[str, float] = dict(ahead.get("kernels", {}))
    for trial in run.trials:
        for name, s in (trial.compile_kernels or {}).items():
            seconds[name] = seconds.get(name, 0.0) + s
    total = sum(seconds.values())
    if total < COMPILE_NOTE_FROM:
        return None
    parts = ", ".join(f"{n} {s:.1f} s" for n, s in sorted(seconds.items(), key=lambda x: -x[1]))
    how = ""
    if ahead:
        wall, procs = ahead["seconds"], ahead["processes"]
        how = f"; {wall:.1f} s wall before the first trial, in {procs} processes"
    return (f"Compiled {total:.1f} s (kept out of every timing{how}; cached for the next run): "
            f"{parts}.")  # fmt: skip


def front_table(front: list[FrontPoint]) -> Table:
    """The configurations on the time–accuracy front, in time order: from which budget each
    is the most accurate, and the accuracy it holds over its stretch."""
    table = Table(
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        title="time–accuracy Pareto front",
        caption="training-time budgets in which the configuration is the most accurate so far",
    )
    table.add_column("from s", justify="right")
    table.add_column("to s", justify="right")
    table.add_column("accuracy", justify="right")
    table.add_column("configuration", justify="left")
    for name, first, last in front_segments(front):
        acc = f"{first.accuracy:.2%}"
        if last.accuracy != first.accuracy:
            acc += f"–{last.accuracy:.2%}"
        table.add_row(f"{first.seconds:.3f}", f"{last.seconds:.3f}", acc, name)
    return table
