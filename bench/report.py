"""Pure functions from results to rich renderables: the sweep table and its verdict.

Trials are grouped by their configuration apart from the seed, so repeated seeds collapse
into one row showing the median and the spread (min–max). Nothing here trains or writes
files; printing is the caller's job.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass, replace

from rich import box
from rich.table import Table
from rich.text import Text

from bench.results import COMPLETED, Run, TrialResult, TrialSummary, median_spread


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


def peak_for(run: Run, dtype: str, threads: int) -> float | None:
    """The run's measured GEMM peak (GFLOP/s) for this dtype and thread count, if known."""
    peaks = run.machine.get("gemm_peak_gflops") or {}
    value = peaks.get(f"{dtype}/{threads}")
    return float(value) if value else None


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


def sweep_table(run: Run, *, title: str | None = None) -> Table:
    """One row per configuration (mini-batch size in a sweep): time to target and speed."""
    target = run.trials[0].config.train.target if run.trials else 0.0
    table = Table(
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        title=title or f"{run.kind} {run.run_id}",
        caption=f"to target: training (kernel) seconds to {target:.1%} validation accuracy, "
        "compile excluded; images: training images seen by then; best/final: validation "
        "accuracy; GFLOP/s: model FLOPs (README); peak: FLOPs the kernel path executed, as a "
        "share of this machine's GEMM GFLOP/s; median (min–max) over seeds",
    )
    for name, justify in (
        ("batch", "right"), ("η", "right"), ("to target s", "right"),
        ("images", "right"), ("best", "right"), ("final", "right"),
        ("samples/s", "right"), ("GFLOP/s", "right"), ("peak", "right"),
        ("compile s", "right"), ("seeds", "right"), ("status", "left"),
    ):  # fmt: skip
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for g in group_trials(run.trials):
        tr = g.first.config.train
        peak = peak_for(run, tr.dtype, tr.threads)
        ttt = [t.summary.time_to_target_seconds for t in g.trials]
        reached = [v for v in ttt if v is not None]
        images = [float(t.summary.images_to_target) for t in g.trials
                  if t.summary.images_to_target is not None]  # fmt: skip
        gflops = [t.summary.gflops for t in g.trials]
        ttt_text = _fmt_spread(reached, ".3f")
        if reached and len(reached) < len(ttt):
            ttt_text += f" [{len(reached)}/{len(ttt)}]"
        table.add_row(
            str(tr.mini_batch),
            f"{tr.eta:g}",
            ttt_text,
            _fmt_spread(images, ",.0f"),
            _fmt_spread([t.summary.best_val_accuracy for t in g.trials], ".2%"),
            _fmt_spread([t.summary.final_val_accuracy for t in g.trials], ".2%"),
            _fmt_spread([t.summary.samples_per_second for t in g.trials], ",.0f"),
            _fmt_spread(gflops, ".2f"),
            f"{statistics.median(executed_gflops(t.summary) for t in g.trials) / peak:.0%}"
            if peak
            else "—",
            _fmt_spread([t.compile_seconds for t in g.trials], ".2f"),
            str(len(g.trials)),
            _status(g),
        )
    return table


def fastest_verdict(run: Run) -> str:
    """One sentence naming the configuration with the lowest median time to target."""
    groups = group_trials(run.trials)
    timed = [(g.median(lambda t: t.summary.time_to_target_seconds), g) for g in groups]
    reached = [(v, g) for v, g in timed if v is not None]
    if not reached:
        best = max(groups, key=lambda g: g.median(lambda t: t.summary.best_val_accuracy) or 0.0)
        acc = best.median(lambda t: t.summary.best_val_accuracy) or 0.0
        return (
            "No configuration reached the target; the best accuracy was "
            f"{acc:.2%} at mini-batch {best.first.config.train.mini_batch}."
        )
    seconds, g = min(reached, key=lambda vg: vg[0])
    tr = g.first.config.train
    return (
        f"Fastest to {tr.target:.0%}: mini-batch {tr.mini_batch} "
        f"(η={tr.eta:g}) in {seconds:.3f} training seconds."
    )
