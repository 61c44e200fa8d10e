"""The ``compare`` and ``report`` subcommands (registered through
:data:`bench.cli.main.COMMAND_MODULES`).

* ``mlpbench compare A B ...``: pytest-benchmark and run JSON files (or folders of them)
  side by side, one column group per file labelled by its machine, ratios to the first;
  warnings on stderr when versions, dtypes or threads differ; ``--fail-if-slower PCT``
  exits 1 when any entry is more than PCT % slower than in the first file.
* ``mlpbench report RUN ... --format md|html|csv|svg|txt --out PATH``: publishable tables
  (sweep tables of runs, peers and benchmark tables of pytest-benchmark files, samples/s by
  mini-batch) and, with ``--plots``, PNG figures next to ``--out``.

Bad input raises :class:`~bench.config.ConfigError` (exit 2); a regression is exit 1.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bench.config import ConfigError
from bench.grid import is_multi_axis
from bench.progress import stdout_console
from bench.publish.compare import RUN, Source, align, differences, load_sources, ratio
from bench.publish.publish import (
    FORMATS,
    benchmark_table,
    comparison_table,
    peers_table,
    render,
    throughput_series,
    throughput_table,
    write,
)
from bench.publish.significance import UNKNOWN, significant_regressions, untestable
from bench.report import front_table, run_front, sweep_table


def cmd_compare(args: argparse.Namespace) -> int:
    """``mlpbench compare``: print the comparison table; 1 if ``--fail-if-slower`` trips."""
    pct = args.fail_if_slower
    if pct is not None and not pct >= 0:
        raise ConfigError("--fail-if-slower", f"{pct} is not a percentage >= 0, e.g. 10")
    sources = load_sources([Path(p) for p in args.paths])
    if len(sources) < 2:
        raise ConfigError("PATH", f"found {len(sources)} file(s); compare needs two or more")
    if args.filter:
        sources = [_filtered(s, args.filter) for s in sources]
    sources = with_labels(sources, args.label)
    rows = align(sources)
    err = Console(stderr=True)
    for note in differences(sources, rows):
        err.print(f"[yellow]warning:[/] {note}", highlight=False)
    out = Console(width=args.width) if args.width else stdout_console()
    out.print(comparison_table(sources, rows, slower_pct=pct, width=out.width))
    for note in _noise_notes(sources, rows):
        err.print(f"[yellow]note:[/] {escape(note)}", highlight=False)
    if pct is None:
        return 0
    return _gate(sources, rows, pct, out, err)


def _noise_notes(sources: list[Source], rows: list[Any]) -> list[str]:
    """Which files give no significance (one repeat per entry) and which hold unstable
    trials."""
    notes = []
    for i, s in enumerate(sources):
        cells = [r.cells[i] for r in rows]
        if untestable(cells):
            notes.append(
                f"{s.path.name} has a single repeat per entry: no significance can "
                "be given for its differences (more rounds or checkpoints give some)"
            )
        unstable = sum(int((c.extra.get("unstable") or 0) > 0) for c in cells if c is not None)
        if unstable:
            notes.append(f"{s.path.name}: {unstable} entr{'y' if unstable == 1 else 'ies'} timed "
                         "on a busy or unsteady machine (see its stability marks)")  # fmt: skip
    return notes


def _gate(sources: list[Source], rows: list[Any], pct: float, out: Console, err: Console) -> int:
    """``--fail-if-slower``: 1 when an entry is significantly (or, with a single repeat,
    simply) more than ``pct`` % slower than the first file; 0 otherwise."""
    slower = significant_regressions(rows, pct, ratio)
    if not slower:
        out.print(f"no entry is significantly more than {pct:g} % slower than "
                  f"{sources[0].path.name}")  # fmt: skip
        return 0
    err.print(
        f"[bold red]{len(slower)} entr{'y is' if len(slower) == 1 else 'ies are'} more than "
        f"{pct:g} % slower than {sources[0].path.name}:[/]",
        highlight=False,
    )
    by_key = {row.key: row for row in rows}
    for key, index, r, diff in slower:
        how = (f"no significance can be given ({diff.why}): ratio alone" if diff.verdict == UNKNOWN
               else f"significant, Mann-Whitney U p = {diff.p:.2g}")  # fmt: skip
        cells = (by_key[key].cells[0], by_key[key].cells[index])
        if any(c is not None and c.extra.get("unstable") for c in cells):
            how += "; timed on a busy or unsteady machine: repeat on a quiet one to tell why"
        err.print(f"  {escape(key)}: {sources[index].path.name} {r:.2f}× ({how})",
                  highlight=False, soft_wrap=True)  # fmt: skip
    return 1


def with_labels(sources: list[Source], labels: list[str] | None) -> list[Source]:
    """Sources with the user's ``--label`` texts, in order (fewer labels: the rest keep theirs)."""
    from dataclasses import replace

    labels = labels or []
    if len(labels) > len(sources):
        raise ConfigError("--label", f"{len(labels)} labels for {len(sources)} files; give one "
                          "--label per file, in the order of the files")  # fmt: skip
    return [replace(s, label_override=lab) for s, lab in zip(sources, labels, strict=False)] + \
        sources[len(labels):]  # fmt: skip


def _filtered(source: Source, text: str) -> Source:
    from dataclasses import replace

    return replace(source, entries={k: e for k, e in source.entries.items() if text in k})


def report_tables(sources: list[Source]) -> list[Table]:
    """Tables for ``report``: per file its sweep, peers and benchmark tables, then samples/s."""
    tables: list[Table] = []
    for s in sources:
        if s.kind == RUN and s.run is not None:
            tables.append(sweep_table(s.run))
            if is_multi_axis(s.run.trials):
                tables.append(front_table(run_front(s.run)[1]))
            continue
        peers = peers_table(s)
        if peers is not None:
            tables.append(peers)
        tables.append(benchmark_table(s))
    series = throughput_series(sources)
    if series:
        tables.append(throughput_table(series))
    return tables


def write_plots(sources: list[Source], out: Path) -> list[Path]:
    """Accuracy-vs-time per run and samples/s-by-mini-batch PNGs named after ``out``."""
    from bench.plots import accuracy_vs_time, samples_per_s_by_batch, save_figure

    written = []
    runs = [s.run for s in sources if s.run is not None]
    for i, run in enumerate(runs):
        suffix = "" if len(runs) == 1 else f"-{i + 1}"
        path = out.with_name(f"{out.stem}-accuracy{suffix}.png")
        written.append(save_figure(accuracy_vs_time(run), path))
    series = throughput_series(sources)
    if series:
        path = out.with_name(f"{out.stem}-throughput.png")
        written.append(save_figure(samples_per_s_by_batch(series), path))
    return written


def cmd_report(args: argparse.Namespace) -> int:
    """``mlpbench report``: render tables as ``--format``, to ``--out`` or stdout."""
    if args.plots and not args.out:
        raise ConfigError("--plots", "needs --out PATH; the figures are written next to it")
    sources = with_labels(load_sources([Path(p) for p in args.paths]), args.label)
    tables = report_tables(sources)
    out = stdout_console()
    if not args.out:
        out.print(render(tables, args.format, width=args.width), end="", markup=False,
                  highlight=False, soft_wrap=True)  # fmt: skip
        return 0
    path = Path(args.out)
    if path.is_dir():
        raise ConfigError("--out", f"{path} is a folder; give a file name such as table.md")
    figures = write_plots(sources, path) if args.plots else []
    if figures and args.format == "md":
        text = render(tables, "md", width=args.width)
        text += "\n" + "\n".join(f"![{p.stem}]({p.name})" for p in figures) + "\n"
        from bench.results import atomic_write_text

        atomic_write_text(path, text)
    else:
        write(tables, args.format, path, width=args.width)
    out.print(f"report saved: {path}")
    for p in figures:
        out.print(f"plot saved: {p}")
    return 0


def register(sub: Any) -> None:
    """Add ``compare`` and ``report`` to the ``mlpbench`` subparsers."""
    compare = sub.add_parser(
        "compare", help="put benchmark/run JSON files from several machines side by side"
    )
    compare.add_argument("paths", nargs="+", metavar="PATH",
                         help="pytest-benchmark or mlpbench run JSON files, or folders of them; "
                         "the first is the baseline")  # fmt: skip
    compare.add_argument("--fail-if-slower", type=float, default=None, metavar="PCT",
                         help="exit 1 if any entry is more than PCT %% slower than the "
                         "baseline")  # fmt: skip
    compare.add_argument("--filter", default=None, metavar="TEXT",
                         help="only entries whose name contains TEXT")  # fmt: skip
    compare.add_argument("--width", type=int, default=None, help="table width in characters")
    compare.add_argument("--label", action="append", default=None, metavar="TEXT",
                         help="machine label for the next file, in order (repeat per file; "
                         "default: CPU model · micro-architecture · ISA · cores)")  # fmt: skip
    compare.set_defaults(handler=cmd_compare)

    report = sub.add_parser("report", help="publishable tables and plots from result files")
    report.add_argument("paths", nargs="+", metavar="RUN",
                        help="mlpbench run or pytest-benchmark JSON files, or folders")  # fmt: skip
    report.add_argument("--format", choices=FORMATS, default="txt",
                        help="md, html, csv, svg or txt (default txt)")  # fmt: skip
    report.add_argument("--out", default=None, metavar="PATH",
                        help="write here (atomically) instead of printing")  # fmt: skip
    report.add_argument("--plots", action="store_true",
                        help="also save accuracy and samples/s PNGs next to --out")  # fmt: skip
    report.add_argument(
        "--label",
        action="append",
        default=None,
        metavar="TEXT",
        help="machine label for the next file, in order (repeat per file)",
    )
    report.add_argument("--width", type=int, default=160,
                        help="text width for txt/html/svg (default 160)")  # fmt: skip
    report.set_defaults(handler=cmd_report)
