"""``mlpbench compare`` on committed fixtures from two machines: loading, alignment, the
table's values and ratios, warnings, and ``--fail-if-slower`` exit codes."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest
from machine_fixtures import BENCH_A, BENCH_B, RUN_A, RUN_B
from rich.console import Console

from bench.cli.main import main
from bench.config import ConfigError
from bench.cpu_identity import short_cpu
from bench.publish.compare import (
    PYTEST_BENCHMARK,
    RUN,
    Entry,
    align,
    differences,
    load_source,
    load_sources,
    ratio,
    regressions,
)
from bench.publish.publish import comparison_table

NUMBA_MB10 = "bench_batch_size.py::test_train_steps[numba-float64-mb10-t1]"
NUMPY_MB10 = "bench_batch_size.py::test_train_steps[numpy-float64-mb10-t1]"


def render(table: object, width: int = 250) -> str:
    console = Console(file=io.StringIO(), width=width, color_system=None)
    console.print(table)
    out = console.file.getvalue()  # type: ignore[attr-defined]
    assert isinstance(out, str)
    return out


def test_loads_both_kinds_with_machine_labels() -> None:
    a, run = load_source(BENCH_A), load_source(RUN_B)
    assert a.kind == PYTEST_BENCHMARK and run.kind == RUN
    assert a.label == "Intel Xeon Platinum 8375C · 2 cores"
    assert run.label == "AMD EPYC 7B13 · 2 cores"
    assert a.entries[NUMBA_MB10].median_s == pytest.approx(0.020)
    assert a.entries[NUMBA_MB10].samples_per_s == pytest.approx(100_000)
    assert a.versions["numba"] == "0.68.1"
    assert len(run.entries) == 2  # two mini-batch sizes, seeds grouped


def test_short_cpu_drops_trademarks_and_clock() -> None:
    assert short_cpu("Intel(R) Core(TM) i7-8650U CPU @ 1.90GHz") == "Intel Core i7-8650U"
    assert short_cpu("AMD EPYC 7B13 64-Core Processor") == "AMD EPYC 7B13"


def test_align_and_ratios_benchmarks() -> None:
    sources = load_sources([BENCH_A, BENCH_B])
    rows = {r.key: r for r in align(sources)}
    assert ratio(*rows[NUMBA_MB10].cells) == pytest.approx(1.5)
    assert ratio(*rows[NUMPY_MB10].cells) == pytest.approx(0.8)
    slow = regressions(list(rows.values()), 10)
    assert {k for k, _, _ in slow} == {NUMBA_MB10, NUMBA_MB10.replace("mb10", "mb1000")}
    assert regressions(list(rows.values()), 60) == []


def test_run_entries_use_median_time_to_target() -> None:
    a, b = load_sources([RUN_A, RUN_B])
    rows = align([a, b])
    assert len(rows) == 2
    mb10 = next(r for r in rows if "mb=10 " in r.key)
    assert mb10.cells[0] is not None and mb10.cells[0].median_s == pytest.approx(0.11)
    assert ratio(*mb10.cells) == pytest.approx(0.165 / 0.11)
    mb100 = next(r for r in rows if "mb=100 " in r.key)
    assert ratio(*mb100.cells) == pytest.approx(0.5)
    assert mb100.cells[0] is not None and mb100.cells[0].fraction_of_peak == pytest.approx(0.4)


def test_table_shows_values_labels_and_ratios() -> None:
    sources = load_sources([BENCH_A, BENCH_B])
    text = render(comparison_table(sources, align(sources)))
    assert "A = Intel Xeon Platinum 8375C · 2 cores" in " ".join(text.split())
    assert "B = AMD EPYC 7B13 · 2 cores" in " ".join(text.split())
    lines = text.splitlines()
    group = lines.index(next(x for x in lines if x.strip() == "train mb=10 float64"))
    # files from before the measured ceiling: peak is their share of BLAS GEMM, so labelled
    assert lines[group + 1].split() == ["mb=10", "float64", "numba", "t1", "100,000", "0.02",
                                        "48%", "of", "BLAS", "GEMM", "66,667", "0.03", "40%",
                                        "of", "BLAS", "GEMM", "1.50×", "?"]  # fmt: skip
    assert lines[group + 2].split()[:4] == ["mb=10", "float64", "numpy", "t1"]
    assert lines[group + 2].rstrip().endswith("0.80× ?")  # no rounds in the files: no test


@pytest.mark.parametrize("width", [100, 120])
def test_compare_rows_fit_on_one_line(width: int, capsys: pytest.CaptureFixture[str]) -> None:
    sources = [str(p) for p in (BENCH_A, BENCH_B, RUN_A)]
    assert main(["compare", *sources, "--width", str(width)]) == 0
    lines = capsys.readouterr().out.splitlines()
    start = next(i for i, x in enumerate(lines) if set(x.strip()) == {"─"})
    end = next(i for i in range(start + 1, len(lines)) if not lines[i].strip())
    body = lines[start + 1 : end]
    rows = [r for s in load_sources([BENCH_A, BENCH_B, RUN_A]) for r in s.entries.values()]
    groups = {e.group for e in rows}
    # one line per group header and one per entry (no entry wrapped onto a second line)
    assert len(body) == len(groups) + len({(e.group, e.name) for e in rows})
    assert all(len(x) <= width for x in lines)
    names = {e.name for e in rows}
    assert sum(1 for x in body if any(x.strip().startswith(n) for n in names)) == len(body) - len(
        groups
    )


def test_compare_label_overrides_hardware(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", str(BENCH_A), str(BENCH_B), "--label", "ice lake box",
                 "--width", "200"]) == 0  # fmt: skip
    out = " ".join(capsys.readouterr().out.split())
    assert "A = ice lake box" in out and "B = AMD EPYC 7B13 · 2 cores" in out
    assert main(["compare", str(BENCH_A), str(BENCH_B), *["--label", "x"] * 3]) == 2


def test_differences_name_versions_and_threads() -> None:
    sources = load_sources([BENCH_A, BENCH_B])
    notes = differences(sources, align(sources))
    assert notes == ["numba versions differ: 0.68.1, 0.60.0"]
    mixed = load_sources([BENCH_A, RUN_A])
    notes = differences(mixed, align(mixed))
    assert any(n.startswith("thread counts differ: 2, 1") for n in notes)


def test_cli_fail_if_slower_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", str(BENCH_A), str(BENCH_B), "--fail-if-slower", "10"]) == 1
    err = capsys.readouterr().err
    assert "2 entries are more than 10 % slower" in err
    assert NUMBA_MB10 in err
    assert "numba versions differ" in err


def test_cli_passes_when_within_threshold(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", str(BENCH_A), str(BENCH_B), "--fail-if-slower", "60"]) == 0
    assert main(["compare", str(RUN_B), str(RUN_A), "--fail-if-slower", "110"]) == 0
    assert main(["compare", str(RUN_A), str(RUN_B)]) == 0  # no threshold: never fails
    assert "comparison" in capsys.readouterr().out


def test_cli_reads_folders(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for p in (BENCH_A, BENCH_B):
        shutil.copy(p, tmp_path / p.name)
    assert main(["compare", str(tmp_path), "--fail-if-slower", "10", "--width", "250"]) == 1
    assert "1.50×" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["compare", "missing.json", str(BENCH_A)], "does not exist"),
        (["compare", str(BENCH_A)], "compare needs two or more"),
        (["compare", str(BENCH_A), str(BENCH_B), "--fail-if-slower", "-5"], "--fail-if-slower"),
    ],
)
def test_cli_bad_input_exits_2(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(args) == 2
    assert message in capsys.readouterr().err


def test_unknown_json_is_a_config_error(tmp_path: Path) -> None:
    bad = tmp_path / "other.json"
    bad.write_text(json.dumps({"hello": 1}))
    with pytest.raises(ConfigError, match="neither a pytest-benchmark JSON"):
        load_source(bad)
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    with pytest.raises(ConfigError, match="not valid JSON"):
        load_source(broken)


def test_ratio_uses_throughput_when_samples_per_call_differ() -> None:
    def entry(seconds: float, samples: int) -> Entry:
        return Entry(
            key="k", group="g", median_s=seconds, samples_per_s=samples / seconds,
            gflops=None, fraction_of_peak=None, dtype="float32", threads=2,
            extra={"samples_per_call": samples},
        )  # fmt: skip

    assert ratio(entry(0.01, 2_000), entry(0.02, 2_000)) == pytest.approx(2.0)
    # 25× the samples in 30× the time: 1.2× slower, not 30×
    assert ratio(entry(0.01, 2_000), entry(0.30, 50_000)) == pytest.approx(1.2)
