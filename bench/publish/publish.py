"""Publishable tables (comparison, benchmarks, peers, throughput) and their export formats.

Tables are built as rich :class:`~rich.table.Table` objects from loaded sources
(:mod:`bench.publish.compare`), so the terminal and the files show the same thing. Export:

* ``md``: GitHub Markdown, one pipe table per rich table, its title as a heading and its
  caption as a paragraph; ``csv``: the csv module, one header row per table and a first
  ``table`` column naming it;
* ``html``: real ``<table>`` elements, sortable (:mod:`bench.publish.html`, the site's renderer);
* ``svg``, ``txt``: rich's ``Console(record=True)`` exports.

Files are written atomically. Training, loading and plotting live elsewhere.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

from rich import box
from rich.console import Console, RenderableType
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from bench.markdown import pipe_table
from bench.publish.cells import cell_text, table_cells
from bench.publish.compare import Entry, Row, Source, ratio
from bench.publish.html import tables_page
from bench.publish.significance import SLOWER, difference
from bench.results import atomic_write_text

FORMATS = ("md", "html", "csv", "svg", "txt")
EPOCH = 50_000  # samples in Nielsen's training epoch: the peers table's unit
PEER_ORDER = (
    "numpy-reference", "nielsen-loop", "pytorch-eager", "pytorch-eager-1t", "jax-jit-scan",
    "jax-jit-scan-inside", "sklearn",
)  # fmt: skip
METRICS = ("time s", "samples/s", "GFLOP/s", "peak")


def _fmt(value: float | None, spec: str) -> str:
    return "—" if value is None else format(value, spec)


def _ratio_text(value: float | None, slower_pct: float | None) -> Text:
    if value is None:
        return Text("—")
    limit = 1 + (slower_pct if slower_pct is not None else 5.0) / 100
    style = "red" if value > limit else "green" if value < 1 / limit else ""
    return Text(f"{value:.2f}×", style=style)


def _noise_ratio_text(first: Entry | None, other: Entry | None, slower_pct: float | None) -> Text:
    """The ratio with its noise mark: ``1.02× ~`` within noise (dim), ``1.10× ?`` where no
    significance can be given, plain (coloured) when the rank test says it differs."""
    text = _ratio_text(ratio(first, other), slower_pct)
    if text.plain == "—":
        return text
    diff = difference(first, other)
    if diff.mark == "~":
        return Text(f"{text.plain} ~", style="dim")
    if diff.mark == "?":
        text.append(" ?")
    elif diff.verdict == SLOWER and not text.style:
        text.stylize("red")
    return text


NOISE_CAPTION = (
    " ~: within the noise (Mann-Whitney U over the per-chunk or per-round samples/s, p ≥ 0.01 "
    "or a shift inside the files' own spread); ?: too few repeats in a file to tell."
)
COMPARE_METRICS = ("samples/s", "time s", "peak")  # in the order they are dropped last→first


def comparison_table(
    sources: Sequence[Source],
    rows: Sequence[Row],
    *,
    slower_pct: float | None = None,
    width: int | None = None,
) -> Table:
    """Entries side by side, grouped by benchmark group: per source samples/s, time, peak, ×A.

    Each row is named by its parameters (``mb=10 float64 numba t1``) under a header row
    naming its group; the sources are A, B, … and the caption says which machine each is.
    ``×A`` is the time ratio to the first source (above 1 = slower), red above ``slower_pct``
    % (5 % if not given). With ``width`` the metrics that do not fit are left out (peak first,
    then time) so that no row wraps; names too long are cut with an ellipsis.
    """
    named = _named_rows(rows)
    table = _comparison(sources, named, COMPARE_METRICS, slower_pct)
    if width is None:
        return table
    console = Console(width=10_000, file=io.StringIO())  # measure unclamped
    for k in range(len(COMPARE_METRICS), 0, -1):
        table = _comparison(sources, named, COMPARE_METRICS[:k], slower_pct)
        if Measurement.get(console, console.options, table).maximum <= width:
            break
    return table


def _comparison(
    sources: Sequence[Source],
    named: Sequence[tuple[str, str, Row]],
    metrics: Sequence[str],
    slower_pct: float | None,
) -> Table:
    tags = [chr(ord("A") + i) if i < 26 else f"S{i}" for i in range(len(sources))]
    legend = "; ".join(f"{t} = {s.label} ({s.path.name}, {s.created[:10]})" for t, s in
                       zip(tags, sources, strict=True))  # fmt: skip
    table = Table(
        title="comparison",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        caption_justify="left",
        caption=f"{legend}. time s: median seconds per call (benchmarks) or kernel seconds to "
        "target (runs); peak: share of the machine's measured ceiling, compute/memory: its bound "
        "(older files: of BLAS GEMM); ×A: time / A's time, "
        "above 1 is slower." + NOISE_CAPTION,
    )
    name_width = max([len(n) for _, n, _ in named] + [5])
    table.add_column("entry", no_wrap=True, overflow="ellipsis", max_width=min(name_width, 36))
    for i, tag in enumerate(tags):
        for metric in metrics:
            table.add_column(f"{tag} {metric}", justify="right", no_wrap=True)
        if i > 0:
            table.add_column(f"×{tags[0]}", justify="right", no_wrap=True)
    group = None
    for row_group, name, row in named:
        if row_group != group:
            group = row_group
            table.add_row(Text(group, style="bold"))
        cells: list[RenderableType] = [Text(name)]
        for i, cell in enumerate(row.cells):
            cells += [_compare_cell(cell, m) for m in metrics]
            if i > 0:
                cells.append(_noise_ratio_text(row.cells[0], cell, slower_pct))
        table.add_row(*cells)
    return table


def _named_rows(rows: Sequence[Row]) -> list[tuple[str, str, Row]]:
    """(group, row name, row) sorted by group in first-seen order; names made unique."""
    order: dict[str, int] = {}
    named = []
    for row in rows:
        first = next(c for c in row.cells if c is not None)
        order.setdefault(first.group, len(order))
        named.append((first.group, first.name or row.key, row))
    seen: dict[tuple[str, str], int] = {}
    for g, n, _ in named:
        seen[(g, n)] = seen.get((g, n), 0) + 1
    named = [(g, n if seen[(g, n)] == 1 else r.key.split("::")[-1], r) for g, n, r in named]
    return sorted(named, key=lambda gnr: order[gnr[0]])


def _compare_cell(cell: Entry | None, metric: str) -> str:
    if cell is None:
        return "—"
    if metric == "samples/s":
        return _fmt(cell.samples_per_s, ",.0f")
    if metric == "time s":
        return _fmt(cell.median_s, ".4g")
    return cell.peak_text()


def _metric_cells(cell: Entry | None) -> list[RenderableType]:
    if cell is None:
        return ["—"] * len(METRICS)
    return [
        _fmt(cell.median_s, ".4g"),
        _fmt(cell.samples_per_s, ",.0f"),
        _fmt(cell.gflops, ".2f"),
        cell.peak_text(),
    ]


def benchmark_table(source: Source) -> Table:
    """Every entry of a pytest-benchmark file: group, name, median time and throughput."""
    table = Table(
        title=f"benchmarks {source.path.name} — {source.label}",
        caption="time: median seconds per call; peak: share of this machine's measured ceiling "
        "for the same dtype and threads, and the bound (older files: of its BLAS GEMM); "
        "machine: ok, or unstable and why (docs/noise.md)",
    )
    for name in ("group", "benchmark", *METRICS, "machine"):
        table.add_column(name, justify="right" if name in METRICS else "left")
    for entry in source.entries.values():
        table.add_row(Text(entry.group), Text(entry.key.split("::")[-1]), *_metric_cells(entry),
                      entry_mark(entry))  # fmt: skip
    return table


def entry_mark(entry: Entry) -> Text:
    """A benchmark's stability mark from its ``extra_info["stability"]``: ``ok``,
    ``unstable: TAG`` (the first reason's short form), or ``—`` when the file did not
    record the state."""
    state = entry.extra.get("stability")
    if not isinstance(state, dict) or "stable" not in state:
        return Text("—")
    if state["stable"]:
        return Text("ok", style="green")
    first = (state.get("tags") or state.get("reasons") or ["?"])[0]
    return Text(f"unstable: {first}", style="yellow")


def peer_entries(source: Source) -> dict[tuple[str, int], Entry]:
    """Entries of the peers suite keyed by (peer, mini-batch)."""
    return {
        (str(e.extra["peer"]), int(e.extra["mini_batch"])): e
        for e in source.entries.values()
        if "peer" in e.extra and "mini_batch" in e.extra and e.median_s
    }


def _per_epoch(entry: Entry) -> float:
    samples = int(entry.extra.get("samples_per_call") or EPOCH)
    return float(entry.median_s or 0.0) * EPOCH / samples


def peers_table(source: Source) -> Table | None:
    """Seconds per 50,000-sample epoch by mini-batch: mlpbench's best backend vs its peers.

    Each peer's column is followed by its ratio to mlpbench's best at that mini-batch
    (above 1: the peer is slower). None when the source holds no peers entries.
    """
    entries = peer_entries(source)
    if not entries:
        return None
    batches = sorted({mb for _, mb in entries})
    peers = [p for p in PEER_ORDER if any((p, mb) in entries for mb in batches)]
    samples = {int(e.extra.get("samples_per_call") or 0) for e in entries.values()}
    scaled = "" if samples == {EPOCH} else f" (measured on {min(samples):,} samples, scaled)"
    dtype = ", ".join(sorted({str(e.dtype) for e in entries.values()}))
    table = Table(
        title=f"seconds per epoch of {EPOCH:,} samples — {source.label}",
        caption=f"[784, 30, 10], {dtype}, median over rounds{scaled}; mlpbench: its fastest "
        "backend at each mini-batch; ×: the peer's time / mlpbench's (above 1 = slower)",
    )
    table.add_column("mini-batch", justify="right")
    table.add_column("mlpbench s", justify="right")
    table.add_column("backend", justify="left")
    for p in peers:
        table.add_column(f"{p} s", justify="right")
        table.add_column("×", justify="right")
    for mb in batches:
        ours = {p: e for (p, b), e in entries.items() if b == mb and p.startswith("mlpbench-")}
        best_name, best = min(ours.items(), key=lambda pe: _per_epoch(pe[1]), default=("", None))
        cells: list[RenderableType] = [str(mb)]
        cells += [
            _fmt(_per_epoch(best), ".3f") if best else "—",
            best_name.removeprefix("mlpbench-"),
        ]
        for p in peers:
            e = entries.get((p, mb))
            cells.append(_fmt(_per_epoch(e), ".3f") if e else "—")
            cells.append(f"{_per_epoch(e) / _per_epoch(best):.1f}×" if e and best else "—")
        table.add_row(*cells)
    return table


def throughput_series(sources: Sequence[Source]) -> dict[str, dict[int, float]]:
    """samples/s by mini-batch for each backend (dtype, threads) or peer, from all sources.

    Benchmark entries count when they have a mini-batch and a backend or peer (the batch-size
    and peers suites); run entries always. The median is taken when a series repeats.
    """
    collected: dict[str, dict[int, list[float]]] = {}
    for s in sources:
        for e in s.entries.values():
            mb, sps = e.extra.get("mini_batch"), e.samples_per_s
            name = e.extra.get("peer") or e.extra.get("backend")
            if mb is None or sps is None or name is None or "architecture" in e.group:
                continue
            label = f"{name} {e.dtype} t{e.threads}" + ("" if len(sources) == 1 else
                                                        f" [{s.label}]")  # fmt: skip
            collected.setdefault(label, {}).setdefault(int(mb), []).append(sps)
    return {
        label: {mb: sorted(v)[len(v) // 2] for mb, v in sorted(points.items())}
        for label, points in sorted(collected.items())
    }


def throughput_table(series: dict[str, dict[int, float]]) -> Table:
    """samples/s: one row per series (backend or peer), one column per mini-batch size."""
    batches = sorted({mb for points in series.values() for mb in points})
    table = Table(title="samples/s by mini-batch size", caption="training samples per second")
    table.add_column("backend", justify="left")
    for mb in batches:
        table.add_column(f"mb {mb}", justify="right")
    for label, points in series.items():
        table.add_row(Text(label), *(_fmt(points.get(mb), ",.0f") for mb in batches))
    return table


def to_markdown(tables: Sequence[Table]) -> str:
    """GitHub Markdown: per table a ``###`` title, a pipe table and the caption below."""
    parts = []
    for table in tables:
        headers, rows = table_cells(table)
        right = [c.justify == "right" for c in table.columns]
        block = [f"### {cell_text(table.title)}", ""] if table.title else []
        block.append(pipe_table(headers, rows, right))
        if table.caption:
            block += ["", cell_text(table.caption)]
        parts.append("\n".join(block))
    return "\n\n".join(parts) + "\n"


def to_csv(tables: Sequence[Table]) -> str:
    """CSV: per table a header row (``table`` first) and its rows, tables one after another."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    for table in tables:
        headers, rows = table_cells(table)
        title = cell_text(table.title) if table.title else ""
        writer.writerow(["table", *headers])
        writer.writerows([title, *r] for r in rows)
    return buf.getvalue()


def render(tables: Sequence[Table], fmt: str, *, width: int = 160) -> str:
    """The tables as ``fmt`` (one of :data:`FORMATS`) text."""
    if fmt == "md":
        return to_markdown(tables)
    if fmt == "csv":
        return to_csv(tables)
    if fmt == "html":
        return tables_page(tables)
    console = Console(record=True, width=width, file=io.StringIO(), color_system="truecolor")
    for table in tables:
        console.print(table)
    if fmt == "svg":
        return console.export_svg(title="mlpbench")
    if fmt == "txt":
        return console.export_text()
    raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")


def write(tables: Sequence[Table], fmt: str, path: Path, *, width: int = 160) -> Path:
    """Render ``tables`` as ``fmt`` and write them to ``path`` atomically."""
    atomic_write_text(path, render(tables, fmt, width=width))
    return path
