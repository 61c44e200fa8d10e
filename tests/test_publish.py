"""``mlpbench report`` and the publishing helpers: Markdown and CSV parsed back, the peers
table's ratios, rich exports (html/svg/txt), plots, and atomic files."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from machine_fixtures import BENCH_A, BENCH_B, RUN_A, RUN_B
from rich.console import Console
from rich.table import Table

from bench.cli.main import main
from bench.cli.report import report_tables
from bench.publish.compare import load_source, load_sources
from bench.publish.publish import (
    FORMATS,
    peers_table,
    render,
    throughput_series,
    throughput_table,
    to_csv,
    to_markdown,
)


def parse_markdown(text: str) -> list[list[list[str]]]:
    """Every pipe table in ``text`` as rows of cells (header first, separator dropped)."""
    tables: list[list[list[str]]] = []
    current: list[list[str]] = []
    for line in [*text.splitlines(), ""]:
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
            if not all(set(c) <= set("-:") for c in line.strip("|").split("|")):
                current.append(cells)
        elif current:
            tables.append(current)
            current = []
    return tables


def test_peers_table_ratios_to_best_mlpbench_backend() -> None:
    table = peers_table(load_source(BENCH_A))
    assert isinstance(table, Table)
    [rows] = parse_markdown(to_markdown([table]))
    header, mb10, mb100 = rows
    assert header == ["mini-batch", "mlpbench s", "backend", "nielsen-loop s", "×",
                      "pytorch-eager s", "×"]  # fmt: skip
    assert mb10 == ["10", "0.400", "numba-parallel", "8.000", "20.0×", "2.000", "5.0×"]
    assert mb100 == ["100", "0.200", "numba-parallel", "6.000", "30.0×", "0.400", "2.0×"]


def test_no_peers_table_without_peers_entries() -> None:
    assert peers_table(load_source(RUN_A)) is None


def test_markdown_has_titles_alignment_and_captions() -> None:
    text = render(report_tables(load_sources([RUN_A])), "md")
    assert "### sweep sweep-fixture-a" in text
    assert "|---:|" in text
    tables = parse_markdown(text)
    sweep = tables[0]
    assert sweep[0][:3] == ["batch", "η", "to target s"]
    assert [r[0] for r in sweep[1:]] == ["10", "100"]
    assert sweep[1][2] == "0.110 (0.100–0.120)"  # median (min–max) over two seeds


def test_csv_round_trips_through_the_csv_module() -> None:
    sources = load_sources([BENCH_A])
    text = to_csv(report_tables(sources))
    rows = list(csv.reader(io.StringIO(text)))
    peers_header = rows[0]
    assert peers_header[:3] == ["table", "mini-batch", "mlpbench s"]
    assert rows[1][1:4] == ["10", "0.400", "numba-parallel"]
    bench_rows = [r for r in rows if r[0].startswith("benchmarks bench_machine_a.json")]
    by_name = {r[2]: r for r in bench_rows}
    # a file from before the measured ceiling: peak is its share of BLAS GEMM, so labelled
    row = by_name["test_train_steps[numba-float64-mb10-t1]"]
    assert row[3:] == ["0.02", "100,000", "9.59", "48% of BLAS GEMM", "—"]


def test_throughput_series_by_backend_and_batch() -> None:
    series = throughput_series(load_sources([BENCH_A]))
    assert series["numba float64 t1"] == {10: pytest.approx(100_000), 1000: pytest.approx(200_000)}
    assert series["pytorch-eager float32 t2"][100] == pytest.approx(125_000)
    console = Console(file=io.StringIO(), width=200, color_system=None)
    console.print(throughput_table(series))
    text = console.file.getvalue()  # type: ignore[attr-defined]
    line = next(x for x in text.splitlines() if "numba float64 t1" in x)
    assert "100,000" in line and "200,000" in line


def test_two_machines_get_labelled_series() -> None:
    series = throughput_series(load_sources([BENCH_A, BENCH_B]))
    assert "numba float64 t1 [AMD EPYC 7B13 · 2 cores]" in series


@pytest.mark.parametrize("fmt", FORMATS)
def test_cli_writes_every_format(fmt: str, tmp_path: Path) -> None:
    out = tmp_path / f"report.{fmt}"
    assert main(["report", str(RUN_A), str(BENCH_A), "--format", fmt, "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert "sweep-fixture-a" in text or fmt == "svg"
    if fmt == "html":
        assert text.lstrip().startswith("<!DOCTYPE html>")
    if fmt == "svg":
        assert text.lstrip().startswith("<svg") and "numba" in text
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp files left


def test_cli_prints_without_out(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", str(RUN_B), "--format", "csv"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0][:3] == ["table", "batch", "η"]


def test_cli_plots_next_to_out(tmp_path: Path) -> None:
    out = tmp_path / "table.md"
    assert main(["report", str(RUN_A), str(BENCH_A), "--format", "md", "--out", str(out),
                 "--plots"]) == 0  # fmt: skip
    accuracy, throughput = tmp_path / "table-accuracy.png", tmp_path / "table-throughput.png"
    assert accuracy.read_bytes()[:4] == b"\x89PNG"
    assert throughput.read_bytes()[:4] == b"\x89PNG"
    assert "![table-throughput](table-throughput.png)" in out.read_text()


def test_cli_plots_need_out(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", str(RUN_A), "--plots"]) == 2
    assert "--plots" in capsys.readouterr().err
