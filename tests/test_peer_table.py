"""The issue-8 peers table (suites/peer_table.py): ratios, peak shares, skips, bad options."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

# `pytest tests` does not put the checkout on sys.path (tests/ is not a package); append it
# (not prepend) so the suites package is found while bench/ still comes from the install.
sys.path.append(str(Path(__file__).resolve().parents[1]))

from suites.peer_table import main, markdown

MACHINE = {
    "cpu": "AMD EPYC",
    "label": "AMD EPYC 9xx4 · Zen 4 · AVX-512 · 2 cores",
    "llvm_cpu": "znver4",
    "avx512f": True,
    "numpy": "2",
    "numba": "0",
}


def _cell(ml_rate: float, jax_rate: float, best: str = "numba:gemm") -> dict[str, Any]:
    return {
        "dtype": "float64", "mini_batch": 100, "mode": "pinned", "threads": 1, "samples": 1000,
        "gemm_peak_gflops": {"1": 50.0}, "model_flops_per_sample": 100_000.0,
        "mlpbench": {"best": best, "rate": ml_rate, "rates": {best: ml_rate},
                     "flops_per_sample": 90_000.0},
        "peers": {
            "numpy": {"rate": 1000.0, "threads": 1},
            "pytorch": {"rate": 2000.0, "threads": 1},
            "jax": {"rate": jax_rate, "threads": 1},
            "jax-inside": {"skipped": "JAX is not installed"},
            "sklearn": {"rate": 500.0, "threads": 1},
        },
    }  # fmt: skip


def test_table_marks_cells_a_peer_wins_and_reports_executed_peak() -> None:
    cells = [_cell(300_000, 200_000), _cell(100_000, 200_000)]
    text = markdown([{"mode": "pinned", "cells": cells}], MACHINE, "cmd")
    rows = [r for r in text.splitlines() if r.startswith("| float64")]
    assert "| 1.50 |" in rows[0] and "✗" not in rows[0]
    assert "| 0.50 ✗ |" in rows[1]
    assert "| 54% |" in rows[0]  # 300,000 × 90,000 FLOPs = 27 GFLOP/s of a 50 GFLOP/s peak
    assert "| 40% |" in rows[0]  # JAX: 200,000 × 100,000 model FLOPs = 20 GFLOP/s
    assert "Skipped: jax-inside: JAX is not installed" in text
    assert "AMD EPYC 9xx4 · Zen 4 · AVX-512 · 2 cores (LLVM znver4, AVX-512: yes)" in text
    assert "{" not in text  # every placeholder of the caption filled in


def test_bad_options_exit_2_before_any_work() -> None:
    assert main(["--samples", "10"]) == 2
    assert main(["--modes", "gpu"]) == 2
    assert main(["--settle", "-1"]) == 2
