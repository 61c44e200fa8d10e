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


def test_table_marks_a_winner_that_could_flip_within_the_noise_and_the_machine() -> None:
    close, clear = _cell(210_000, 200_000), _cell(300_000, 200_000)
    close["mlpbench"]["rounds"] = [210_000.0, 150_000.0, 160_000.0]  # median 160,000
    close["peers"]["jax"]["rounds"] = [200_000.0, 190_000.0, 180_000.0]  # best above it
    clear["mlpbench"]["rounds"] = [300_000.0, 290_000.0, 295_000.0]
    clear["peers"]["jax"]["rounds"] = [200_000.0, 190_000.0, 180_000.0]
    clear["mlpbench"]["stability"] = {"stable": False, "reasons": ["load 3.1 on 2 CPUs"]}
    text = markdown([{"mode": "pinned", "cells": [close, clear]}], MACHINE, "cmd")
    rows = [r for r in text.splitlines() if r.startswith("| float64")]
    assert "| 1.05 ≈ |" in rows[0] and rows[0].endswith("| — |")  # no state recorded
    assert "| 1.50 |" in rows[1] and rows[1].endswith("| unstable: load 3.1 on 2 CPUs |")
    assert "≈: the winner could flip" in text


def test_bad_options_exit_2_before_any_work() -> None:
    assert main(["--samples", "10"]) == 2
    assert main(["--modes", "gpu"]) == 2
    assert main(["--settle", "-1"]) == 2


class _Clock:
    """A fake perf_counter that only the fake models move, and a log of what happened."""

    def __init__(self) -> None:
        self.now = 0.0
        self.log: list[tuple[str, ...]] = []
        self.inside: str | None = None  # the configuration whose thread settings are on

    def perf_counter(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.log.append(("sleep", str(seconds)))


class _Model:
    def __init__(self, clock: _Clock, name: str, durations: list[float], prepare: bool):
        self.clock, self.name, self.durations = clock, name, iter(durations)
        if prepare:
            self.prepare = lambda samples: clock.log.append(("prepare", name))

    def fit(self, samples: int) -> None:
        assert self.clock.inside == self.name, "fit ran outside its own thread settings"
        self.clock.log.append(("fit", self.name))
        self.clock.now += next(self.durations, 0.0)


def test_configurations_take_turns_and_each_keeps_its_best(monkeypatch: Any) -> None:
    import contextlib

    import suites.peer_table as pt

    clock = _Clock()
    monkeypatch.setattr(pt.time, "perf_counter", clock.perf_counter)
    monkeypatch.setattr(pt.time, "sleep", clock.sleep)

    @contextlib.contextmanager
    def threads(name: str) -> Any:
        clock.inside = name
        yield
        clock.inside = None

    # "a" and "c" warm up by a fit, "b" through prepare; then each turn is an untimed fit
    # (9.0 s, must never count) and a timed one
    durations = {
        "a": [0.0, 9.0, 4.0, 9.0, 2.0, 9.0, 3.0],
        "b": [9.0, 5.0, 9.0, 1.0, 9.0, 6.0],
        "c": [0.0, 9.0, 2.0, 9.0, 2.0, 9.0, 0.5],
    }
    configs = {
        name: pt.Config(
            lambda name=name: _Model(clock, name, durations[name], prepare=name == "b"),
            lambda name=name: threads(name),
        )
        for name in durations
    }
    rates = pt.best_rates(configs, 100, repeats=3, settle=0.25)
    assert rates == {"a": 100 / 2.0, "b": 100 / 1.0, "c": 100 / 0.5}
    warm = [("fit", "a"), ("prepare", "b"), ("fit", "c")]
    assert clock.log[:3] == warm  # every model warmed up before any timed call
    turns = [clock.log[i : i + 3] for i in range(3, len(clock.log), 3)]
    assert [t[0] for t in turns] == [("sleep", "0.25")] * 9  # an idle pause every turn
    assert all(t[1] == t[2] for t in turns)  # an untimed call, then the timed one
    assert [t[1][1] for t in turns] == list("abcbcacab")  # turns, one later a round


def test_cell_splits_rates_into_best_path_and_each_peers_best(monkeypatch: Any) -> None:
    import numpy as np

    import suites.harness
    import suites.peer_table as pt

    seen: list[str] = []

    def fake_rates(
        configs: dict[str, Any], samples: int, repeats: int, settle: float, every: Any = None
    ) -> Any:
        seen.extend(configs)
        rates = {name: 1000.0 for name in configs}
        rates["mlpbench:numba:regtile"] = 9000.0
        rates["pytorch:1"] = 700.0
        every.update({name: [rate, rate / 2] for name, rate in rates.items()})
        return rates

    monkeypatch.setattr(pt, "best_rates", fake_rates)
    monkeypatch.setattr(suites.harness, "have_module", lambda name: name == "torch")
    X = np.zeros((2000, 784), np.float32)
    y = np.zeros(2000, np.int64)
    ml, peers = pt.measure_cell(X, y, 100, 2, 2000, 1, 0.0)
    assert ml["best"] == "numba:regtile" and ml["rate"] == 9000.0
    assert ml["rounds"] == [9000.0, 4500.0]  # every round of the best path: its noise
    assert ml["stability"]["cpus"] and "stable" in ml["stability"]  # the machine's state
    assert "numba-parallel:split-regtile" in ml["rates"]  # 2 threads: the parallel paths too
    assert peers["pytorch"] == {"rate": 1000.0, "threads": 2, "rounds": [1000.0, 500.0],
                                "by_threads": {1: 700.0, 2: 1000.0}}  # fmt: skip
    assert peers["numpy"] == {"rate": 1000.0, "threads": 2, "rounds": [1000.0, 500.0]}
    assert peers["jax"] == {"skipped": suites.harness.MISSING["jax"]}
    assert peers["sklearn"] == {"skipped": suites.harness.MISSING["sklearn"]}
    assert not any(name.startswith(("jax", "sklearn")) for name in seen)


def test_numpy_as_installed_and_at_its_best_core_type_are_labelled() -> None:
    """Two numpy columns (the best core type, and as installed from its own child), the
    caption naming each one's kernels; '% ceiling' when the cells carry the ceiling."""
    timed, same = _cell(300_000, 200_000), _cell(300_000, 200_000)
    timed["peers"]["numpy-installed"] = {"rate": 600.0, "threads": 1}
    same["peers"]["numpy-installed"] = {"same": True}
    for c in (timed, same):
        c["ceiling_gflops"] = {"1": 100.0}
    blas = {"architectures": ["SkylakeX"], "openblas_coretype": "SkylakeX", "set_by": "mlpbench"}
    results = [{"mode": "pinned", "cells": [timed, same], "blas": blas,
                "blas_installed": {"architectures": ["Haswell"]}}]  # fmt: skip
    text = markdown(results, MACHINE, "cmd")
    head = text.splitlines()[0]
    assert "| numpy (best core type) | numpy (as installed) |" in head
    assert "mlpbench % ceiling" in head and "% peak" not in head
    rows = [r for r in text.splitlines() if r.startswith("| float64")]
    assert "| 1,000 | 600 |" in rows[0]
    assert "| 1,000 | same as best |" in rows[1]
    assert "| 27% |" in rows[0]  # 300,000 × 90,000 FLOPs = 27 GFLOP/s of a 100 GFLOP/s ceiling
    assert "OpenBLAS SkylakeX kernels (OPENBLAS_CORETYPE=SkylakeX, set by mlpbench)" in text
    assert "numpy (as installed): Haswell." in text


def test_numpy_only_child_times_numpy_alone(monkeypatch: Any) -> None:
    import numpy as np

    import suites.peer_table as pt

    seen: list[str] = []

    def fake_rates(configs: dict[str, Any], samples: int, repeats: int, settle: float) -> Any:
        seen.extend(configs)
        return dict.fromkeys(configs, 800.0)

    monkeypatch.setattr(pt, "best_rates", fake_rates)
    X = np.zeros((2000, 784), np.float64)
    ml, peers = pt.measure_cell(X, np.zeros(2000, np.int64), 10, 1, 2000, 1, 0.0, True)
    assert seen == ["numpy:1"] and ml == {}
    assert peers == {"numpy-installed": {"rate": 800.0, "threads": 1}}
