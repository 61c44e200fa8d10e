"""``mlpbench machine``: the ceilings table, the roofline plot, bad input."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cli_helpers import run_cli

from bench import ceiling as ce
from bench.roofline import combine

OLD_RUN = Path(__file__).resolve().parents[1] / "results/runs/sweep-20261127-171436-8344f8.json"
KEYS = ("float64/1", "float64/2", "float32/1", "float32/2")


@pytest.fixture
def cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A ceilings cache for this machine and software, with known figures (no measuring)."""
    path = tmp_path / "ceilings.json"
    monkeypatch.setenv(ce.CACHE_ENV, str(path))
    blas = {
        "detected": {"architecture": "Haswell", "gflops": dict.fromkeys(KEYS, 50.0)},
        "SkylakeX": {"architecture": "SkylakeX", "gflops": dict.fromkeys(KEYS, 90.0)},
    }
    record = combine(
        blas=blas, fma={"gflops": dict.fromkeys(KEYS, 80.0), "asm": {}}, threads=[1, 2],
        triad={"gb_per_s": {"1": 20.0, "2": 30.0}}, measured_at="2026-12-01T00:00:00+00:00",
        seconds=25.0, l2_bytes=2**20,
    )  # fmt: skip
    ce._save(record, path)

    def no_measuring(*a: Any, **k: Any) -> None:
        pytest.fail("measured although the cache holds this machine")

    monkeypatch.setattr(ce, "measure", no_measuring)
    return path


def test_machine_prints_the_ceilings_from_the_cache(
    cached: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run_cli(["machine"], capsys)
    assert code == 0
    flat = " ".join(out.split())
    assert "float64 1 50.0 90.0 SkylakeX 80.0 90.0 blas SkylakeX 1.80×" in flat
    assert "1 20.0 4.5" in flat  # triad GB/s and the float64 ridge point 90 / 20
    assert "ceilings from the cache" in flat and str(cached) in flat


def test_machine_plots_the_roofline(
    cached: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    png = tmp_path / "roof.png"
    code, _, _ = run_cli(["machine", "--plot", str(png), "--batch-sizes", "1,10"], capsys)
    assert code == 0 and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = tmp_path / "run.svg"
    code, _, _ = run_cli(["machine", "--plot", str(svg), "--run", str(OLD_RUN)], capsys)
    assert code == 0 and "mb=100" in svg.read_text()  # the run's configurations are drawn


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["machine", "--plot", "."], "--plot: . is a folder"),
        (["machine", "--plot", "roof.txt"], "give a .png, .svg or .pdf"),
        (["machine", "--batch-sizes", "x"], "--batch-sizes: 'x' is not a comma-separated"),
        (["machine", "--run", "/nonexistent/run.json"], "cannot read /nonexistent/run.json"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    cached: Path, argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(argv, capsys)
    assert code == 2 and out == ""
    assert message in " ".join(err.split()) and len(err.strip().splitlines()) == 1
