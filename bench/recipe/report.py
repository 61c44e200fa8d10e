"""Stage reports of the tuning recipe: one record per stage, as a rich panel or Markdown.

A :class:`StageReport` holds a small table (strings), the findings in sentences and the
figure file, so the same stage renders to the terminal (:func:`stage_panel`) and into the
study report (:func:`markdown_report`). Pure functions: nothing here trains or prints.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from bench.markdown import pipe_table
from bench.recipe.recipe import EtaSearch, LambdaSearch, TimeChoice
from bench.results import TrialResult


@dataclass(frozen=True, kw_only=True)
class StageReport:
    """One stage: title, a table of strings, findings (sentences) and its figure, if any."""

    title: str
    columns: list[str]
    rows: list[list[str]]
    findings: list[str]
    figure: Path | None = None
    values: dict[str, float | int | str | None] = field(default_factory=dict)


def eta_stage(title: str, search: EtaSearch, figure: Path | None) -> StageReport:
    """Table of training cost after each epoch per η, verdicts, threshold, recommendation."""
    cols = ["η", *[f"epoch {e}" for e in range(search.epochs + 1)], "verdict"]
    rows = []
    for p in sorted(search.probes, key=lambda p: p.eta):
        costs = [f"{c:.4g}" for c in p.costs] + ["—"] * (search.epochs + 1 - len(p.costs))
        rows.append([f"{p.eta:g}", *costs, p.verdict])
    if search.threshold is None:
        findings = ["No η tried made the training cost fall; check the network and data."]
    else:
        findings = [
            f"Threshold: η = {search.threshold:g} is the largest η whose training cost falls "
            f"over the first {search.epochs} epochs (cost on the whole training set, λ = 0).",
            f"Recommended η = {search.recommended:g} (half the threshold).",
        ]
    return StageReport(
        title=title,
        columns=cols,
        rows=rows,
        findings=findings,
        figure=figure,
        values={"threshold": search.threshold, "eta": search.recommended},
    )


def lmbda_stage(title: str, search: LambdaSearch, figure: Path | None) -> StageReport:
    """Table of validation accuracy per λ (in the order tried) and the choice."""
    rows = [[f"{p.lmbda:g}", f"{p.accuracy:.2%}", p.trial.stop_reason] for p in search.probes]
    findings = [
        f"Chosen λ = {search.best:g}: best validation accuracy {search.best_accuracy:.2%} "
        f"(λ = 0 gives {search.baseline_accuracy:.2%}) at η = {search.eta:g}."
    ]
    return StageReport(
        title=title,
        columns=["λ", "best val accuracy", "stopped by"],
        rows=rows,
        findings=findings,
        figure=figure,
        values={"lmbda": search.best},
    )


def time_stage(
    title: str, trials: list[TrialResult], choice: TimeChoice, figure: Path | None, what: str
) -> StageReport:
    """Table of time to target and mean accuracy over the common horizon, and the winner."""
    rows = []
    for t in trials:
        ttt = t.summary.time_to_target_seconds
        rows.append(
            [
                t.label,
                f"{t.config.train.eta:g}",
                f"{ttt:.3f}" if ttt is not None else "—",
                f"{choice.areas[t.label]:.2%}",
                f"{t.summary.best_val_accuracy:.2%}",
                f"{t.summary.samples_per_second:,.0f}",
            ]
        )
    target = trials[0].config.train.target if trials else 0.0
    findings = [
        f"Fastest to {target:.0%}: {choice.by_target}."
        if choice.by_target
        else f"No {what} reached {target:.0%}.",
        f"Highest mean accuracy over the first {choice.horizon:.3f} training seconds: "
        f"{choice.by_area} (the chosen {what}).",
    ]
    cols = [what, "η", "to target s", "mean acc (horizon)", "best", "images/s"]
    return StageReport(
        title=title,
        columns=cols,
        rows=rows,
        findings=findings,
        figure=figure,
        values={"winner": choice.by_area},
    )


def stage_table(stage: StageReport) -> Table:
    """The stage's table as a rich Table."""
    table = Table(show_header=True)
    for c in stage.columns:
        table.add_column(c, justify="right")
    for row in stage.rows:
        table.add_row(*row)
    return table


def stage_panel(stage: StageReport) -> Panel:
    """One rich panel per stage: table, findings, the figure's path."""
    parts: list[Table | Text] = [stage_table(stage)] if stage.rows else []
    parts += [Text(f) for f in stage.findings]
    if stage.figure is not None:
        parts.append(Text(f"plot: {stage.figure}", style="dim"))
    return Panel(Group(*parts), title=stage.title, title_align="left")


def markdown_table(columns: list[str], rows: list[list[str]]) -> str:
    """A GitHub-flavoured Markdown table (:func:`bench.markdown.pipe_table`)."""
    return pipe_table(columns, rows)


def markdown_report(
    title: str,
    stages: list[StageReport],
    *,
    command: list[str],
    final: list[str],
    folder: Path,
    preamble: list[str] | None = None,
) -> str:
    """The study report: each stage's table, findings and plot, the reproduction command and
    the final ``mlpbench train`` command. Figure links are relative to ``folder``."""
    out = [f"# {title}", ""]
    out += [*(preamble or []), ""] if preamble else []
    out += ["Reproduce this study with:", "", "```", shlex.join(command), "```", ""]
    for i, s in enumerate(stages, 1):
        out += [f"## {i}. {s.title}", ""]
        if s.rows:
            out += [markdown_table(s.columns, s.rows), ""]
        out += [f"- {f}" for f in s.findings] + [""]
        if s.figure is not None:
            rel = s.figure.relative_to(folder) if s.figure.is_relative_to(folder) else s.figure
            out += [f"![{s.title}]({rel.as_posix()})", ""]
    out += ["## Recommended configuration", "", "```", shlex.join(final), "```", ""]
    return "\n".join(out)
