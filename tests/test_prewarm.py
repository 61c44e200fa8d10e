"""Compiling a sweep's kernels ahead, in parallel processes (bench.prewarm).

The known-answer tests check how the work is planned and shared out; the sweep test runs
the real thing twice from empty kernel caches, with and without compiling ahead, and
checks that the run says what was compiled where, and that every figure the kernels
produced is bit-for-bit the same (a kernel loaded from the cache that another process
wrote runs the same machine code).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import fake_blas
import needs
import pytest

from bench.config import DataSpec, NetSpec, TrainSpec, TrialSpec
from bench.data.dataset import load
from bench.prewarm import Unit, plan_units, share_out, usable_cores

ROOT = Path(__file__).resolve().parents[1]
SPEC = TrialSpec(net=NetSpec(sizes=(64, 16, 10)), train=TrainSpec(backend="numba"),
                 data=DataSpec(source="digits"))  # fmt: skip


def _spec(path: str, mb: int = 10, backend: str = "numba", eta: float = 0.5) -> TrialSpec:
    return replace(SPEC, train=replace(SPEC.train, backend=backend, kernel_path=path,
                                       mini_batch=mb, eta=eta))  # fmt: skip


def test_units_are_one_per_compiled_shape_heaviest_first() -> None:
    data = load(DataSpec(source="digits", n_train=105, n_val=20), "float64", 0)
    specs = [_spec("loops"), _spec("loops", eta=3.0), _spec("regtile", mb=100),
             _spec("numpy", backend="numpy")]  # fmt: skip
    units = plan_units(specs, [data] * len(specs))
    # η does not change the compiled code; numpy compiles nothing; one evaluation (the
    # same kernel whatever the path), planned with the first trial's spec
    assert [(u.spec.train.kernel_path, u.batches, u.evaluation) for u in units] == [
        ("loops", (10, 5), False),
        ("regtile", (100, 5), False),
        ("loops", (), True),
    ]
    float32 = replace(specs[0], train=replace(specs[0].train, dtype="float32"))
    assert sum(u.evaluation for u in plan_units([*specs, float32], [data] * 5)) == 2


def test_a_brief_tunes_candidates_are_compiled_ahead_once_each(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where a brief tune will choose the path (here: the AVX-512 default gemm at
    mini-batch 10, under a BLAS on Haswell kernels), every path it times is planned, each
    compiled shape once (regtile at 10 and at 100 run the same driver); nothing is timed."""
    from bench import kernel_tuning as kt

    monkeypatch.setenv(kt.WISDOM_ENV, str(tmp_path / "wisdom.json"))
    monkeypatch.setenv(kt.TUNE_ENV, "brief")
    monkeypatch.setenv("NUMBA_CPU_FEATURES", fake_blas.NUMBA_AVX512)
    monkeypatch.setattr(kt, "cpu_flags", lambda: set(fake_blas.AVX512))
    monkeypatch.setattr(kt, "blas_info", lambda: fake_blas.openblas("Haswell"))
    monkeypatch.setattr(kt, "brief_tune", None)  # any timing would fail
    data = load(DataSpec(source="digits", n_train=300, n_val=20), "float64", 0)
    specs = [_spec("auto", mb=10), _spec("auto", mb=100), _spec("auto", mb=200)]
    units = plan_units(specs, [data] * len(specs))
    assert sorted((u.spec.train.kernel_path, u.batches) for u in units if not u.evaluation) == [
        ("gemm", (10,)), ("regtile", (10,)), ("regtile", (200, 100))]  # fmt: skip
    assert sum(u.evaluation for u in units) == 1
    assert not (tmp_path / "wisdom.json").exists()


def test_work_is_shared_out_by_weight_the_workers_starting_late() -> None:
    units = [Unit(_spec(p, mb=1 if p == "fused-mb1" else 10), (10,))
             for p in ("fused-mb1", "regtile", "gemm")]  # fmt: skip
    units.append(Unit(_spec("gemm"), (), evaluation=True))
    groups = share_out(units, 2)
    names = [[u.spec.train.kernel_path + "/eval" * u.evaluation for u in g] for g in groups]
    # the evaluation goes after regtile, whose blocks it reuses (8 + 1.5); then fused-mb1
    # (5) and gemm (2), heaviest first, each to the group that would finish first; the
    # worker starts at 0.5: regtile + evaluation -> 0 (9.5), fused-mb1 -> 1 (5.5), gemm -> 1
    # (7.5)
    assert names == [["regtile", "gemm/eval"], ["fused-mb1", "gemm"]]
    assert share_out(units[:1], 2) == [[units[0]]]  # no empty group
    # no regtile of the evaluation's shape (that one runs on numba-parallel): it weighs 3
    # alone. loops (8.5) -> 0, regtile (8) -> 1 (8.5), fused-mb1 (5) -> 0 (13.5), the
    # evaluation -> 1 (11.5), gemm (2) -> 1 (13.5)
    other = [units[0], Unit(_spec("loops"), (10,)), units[2],
             Unit(_spec("regtile", backend="numba-parallel"), (10,)), units[3]]  # fmt: skip
    names = [[u.spec.train.kernel_path + "/eval" * u.evaluation for u in g]
             for g in share_out(other, 2)]  # fmt: skip
    assert names == [["loops", "fused-mb1"], ["regtile", "gemm/eval", "gemm"]]


def _sweep(tmp: Path, prewarm: str) -> dict[str, Any]:
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp / "numba"), MLPBENCH_PREWARM=prewarm,
               PYTHONPATH=str(ROOT), NUMBA_NUM_THREADS="2")  # fmt: skip
    env.pop("NUMBA_DISABLE_JIT", None)  # about compiled code
    argv = ["sweep", "--dataset", "digits", "--sizes", "64,16,10", "--batch-sizes", "1,100",
            "--epochs", "2", "--monitor-every", "500", "--results-dir", str(tmp / "res"),
            "--no-plot", "--quiet"]  # fmt: skip
    out = subprocess.run([sys.executable, "-m", "bench.cli.entry", *argv], env=env, cwd=ROOT,
                         capture_output=True, text=True, timeout=900)  # fmt: skip
    assert out.returncode == 0, out.stderr[-3000:]
    (path,) = (tmp / "res" / "runs").glob("*.json")
    run: dict[str, Any] = json.loads(path.read_text())
    run["stdout"] = out.stdout
    return run


def test_a_cold_sweep_compiles_ahead_in_parallel_with_the_same_bits(tmp_path: Path) -> None:
    if usable_cores() < 2:
        needs.missing("compiling ahead needs two cores", "the CI machine (2 cores)")
    ahead = _sweep(tmp_path / "ahead", "on")
    plain = _sweep(tmp_path / "plain", "off")
    record = ahead["notes"]["compile_ahead"]
    assert record["processes"] == 2 and record["seconds"] > 0
    drivers = [k for k in record["kernels"] if "_train" in k]
    assert len(drivers) >= 2, record  # each trial's driver, compiled before the first trial
    assert any(k.startswith("evaluate") for k in record["kernels"])
    assert "compile_ahead" not in plain["notes"]
    assert "in 2 processes" in ahead["stdout"]
    for a, p in zip(ahead["trials"], plain["trials"], strict=True):
        assert a["summary"]["kernel_path"] == p["summary"]["kernel_path"]
        for field in ("val_accuracy", "val_cost", "train_cost"):
            assert [c[field] for c in a["curve"]] == [c[field] for c in p["curve"]], field
        # the trial itself only loaded what was compiled ahead
        assert sum(a["compile_kernels"].values()) < sum(p["compile_kernels"].values())
