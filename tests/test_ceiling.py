"""The measured ceilings (bench/ceiling.py, kernels/ceiling.py) and the roofline shares."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from needs import require

from bench import ceiling as ce
from bench.blas_coretype import cpu_flags, cpu_vector_bits
from bench.groups import group_trials, peak_cell, peak_share
from bench.results import load_run
from bench.roofline import (
    BLAS_GEMM,
    CEILING,
    COMPUTE,
    MEMORY,
    bound,
    bytes_per_sample,
    combine,
    inspect_fma_asm,
    share_text,
    yardstick,
)

require("hypothesis", "test")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

OLD_RUN = Path(__file__).resolve().parents[1] / "results/runs/sweep-20261127-171436-8344f8.json"
KEYS = ("float64/1", "float64/2", "float32/1", "float32/2")


def _record(blas: dict[str, Any], fma: dict[str, float], bw: dict[str, float]) -> dict[str, Any]:
    return combine(
        blas=blas, fma={"gflops": fma}, triad={"gb_per_s": bw}, threads=[1, 2],
        measured_at="2026-12-01T00:00:00+00:00", seconds=1.0, l2_bytes=2**20,
    )  # fmt: skip


gflops = st.floats(min_value=0.5, max_value=5000, allow_nan=False)
figures = st.fixed_dictionaries({k: gflops for k in KEYS})


@settings(max_examples=60, deadline=None)
@given(detected=figures, skylakex=figures, fma=figures, kernel=st.floats(0.0, 1.0))
def test_no_measured_figure_is_above_100_percent_of_the_ceiling(
    detected: dict[str, float], skylakex: dict[str, float], fma: dict[str, float], kernel: float
) -> None:
    blas = {"detected": {"architecture": "Haswell", "gflops": detected},
            "SkylakeX": {"architecture": "SkylakeX", "gflops": skylakex}}  # fmt: skip
    rec = _record(blas, fma, {"1": 20.0, "2": 30.0})
    run_gemm = {k: v * 1.1 for k, v in detected.items()}  # the run's own GEMM, a bit faster
    machine = {"ceilings": rec, "gemm_peak_gflops": run_gemm}
    for k in KEYS:
        dtype, threads = k.split("/")
        stick = yardstick(machine, dtype, int(threads))
        assert stick is not None and stick[1] == CEILING
        for measured in (detected[k], skylakex[k], fma[k], run_gemm[k]):
            assert measured / stick[0] <= 1.0
        # a kernel at most as fast as the best measurement is at most 100 %
        best = max(detected[k], skylakex[k], fma[k])
        assert kernel * best / stick[0] <= 1.0
        one = rec["compute_gflops"][f"{dtype}/1"]
        assert rec["compute_gflops"][k] >= one  # more threads never lower the ceiling
    assert rec["best_coretype"] == ("SkylakeX" if skylakex["float64/1"] > detected["float64/1"]
                                    else "detected")  # fmt: skip


def test_combine_names_the_source_of_each_ceiling() -> None:
    blas = {"detected": {"architecture": "Haswell", "gflops": dict.fromkeys(KEYS, 50.0)},
            "SkylakeX": {"architecture": "SkylakeX", "gflops": dict.fromkeys(KEYS, 90.0)},
            "Cooperlake": {"error": "exit status -4"}}  # fmt: skip
    rec = _record(blas, dict.fromkeys(KEYS, 80.0) | {"float32/1": 200.0}, {"1": 20.0})
    assert rec["compute_gflops"]["float64/1"] == 90.0
    assert rec["compute_source"]["float64/1"] == "blas SkylakeX"
    assert rec["compute_source"]["float32/1"] == "fma"
    assert rec["blas_detected_gflops"]["float64/1"] == 50.0
    assert rec["blas_detected_architecture"] == "Haswell"
    json.dumps(rec, allow_nan=False)  # strict JSON


def test_share_text_labels_the_basis_and_flags_the_impossible() -> None:
    assert share_text(0.54, CEILING, COMPUTE) == "54% compute"
    assert share_text(0.43, BLAS_GEMM) == "43% of BLAS GEMM"
    assert share_text(1.2, CEILING, COMPUTE).startswith("120%!")
    assert share_text(None, CEILING) == "—"


def test_bytes_model_and_bound() -> None:
    p = 784 * 30 + 30 + 30 * 10 + 10
    # parameters in L2: the input row and the label/index only
    assert bytes_per_sample((784, 30, 10), 100, 8, 2**20) == 784 * 8 + 16
    # parameters that do not fit: read and written with their gradient once per mini-batch
    assert bytes_per_sample((784, 30, 10), 100, 8, 1024) == 784 * 8 + 16 + 4 * p * 8 / 100
    machine = {"ceilings": {"compute_gflops": {"float64/1": 60.0},
                            "bandwidth_gb_per_s": {"1": 20.0}}}  # fmt: skip
    assert bound(machine, "float64", 1, 2.9) == MEMORY  # ridge: 60 / 20 = 3 FLOP/byte
    assert bound(machine, "float64", 1, 3.1) == COMPUTE
    assert bound({"gemm_peak_gflops": {"float64/1": 60.0}}, "float64", 1, 3.1) is None


def test_an_old_run_keeps_its_figure_labelled_share_of_blas_gemm() -> None:
    run = load_run(OLD_RUN)
    assert "ceilings" not in run.machine
    g = group_trials(run.trials)[0]
    share, basis, where = peak_share(run, g)
    executed = g.median(lambda t: t.summary.executed_gflops or t.summary.gflops)
    assert share is not None and executed is not None
    assert share == pytest.approx(executed / run.machine["gemm_peak_gflops"]["float64/1"])
    assert basis == BLAS_GEMM and where is None
    assert peak_cell(run, g) == f"{share:.0%} of BLAS GEMM"


def test_a_run_with_a_ceiling_is_a_share_of_it_with_its_bound() -> None:
    run = load_run(OLD_RUN)
    gemm = run.machine["gemm_peak_gflops"]["float64/1"]
    ceil = {"compute_gflops": {"float64/1": 2 * gemm}, "bandwidth_gb_per_s": {"1": 10.0},
            "l2_bytes": 2**20}  # fmt: skip
    run.machine["ceilings"] = ceil
    g = group_trials(run.trials)[0]
    share, basis, where = peak_share(run, g)
    executed = g.median(lambda t: t.summary.executed_gflops or t.summary.gflops)
    assert share == pytest.approx(executed / (2 * gemm)) and basis == CEILING
    # [784, 30, 10] float64: ~96 kFLOP over 6.3 kB a sample, far right of the ridge
    assert where == COMPUTE
    assert peak_cell(run, g) == f"{share:.0%} compute"


def test_fma_asm_inspection_counts_registers_and_memory_operands() -> None:
    asm = "\tvfmadd213pd\t%zmm0, %zmm17, %zmm16\n\tvfmadd231pd\t(%rax), %ymm1, %ymm2\n\tvmovupd"
    got = inspect_fma_asm(asm)
    assert got["fma_instructions"] == 2 and got["vector_register"] == "zmm"
    assert got["by_register"] == {"zmm": 1, "ymm": 1, "xmm": 0}
    assert got["memory_operands"] == 1


def test_fma_kernel_runs_in_the_widest_registers_without_memory_operands() -> None:
    """The real micro-kernel on this CPU: one FMA per accumulator, in zmm on AVX-512."""
    cpus = os.sched_getaffinity(0)
    try:
        got = ce._fma_child({"threads": [1]})  # a child's job: it pins the process it runs in
    finally:
        os.sched_setaffinity(0, cpus)  # the tests after this one keep every core
    widest = {512: "zmm", 256: "ymm"}.get(cpu_vector_bits(cpu_flags()) or 0, "xmm")
    for dtype in ("float64", "float32"):
        asm = got["asm"][dtype]
        assert asm["vector_register"] == widest, asm
        assert asm["by_register"][widest] == got["accumulators"] == asm["fma_instructions"]
        assert asm["memory_operands"] == 0
        assert got["gflops"][f"{dtype}/1"] > 0


def _fake_measure(calls: list[int]) -> Any:
    def measure(threads: Any = None) -> dict[str, Any]:
        calls.append(1)
        return _record({"detected": {"architecture": "SkylakeX",
                                     "gflops": dict.fromkeys(KEYS, 10.0)}},
                       dict.fromkeys(KEYS, 12.0), {"1": 5.0})  # fmt: skip

    return measure


def test_cache_is_used_rebuilt_when_damaged_and_never_trusted_across_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    monkeypatch.setattr(ce, "measure", _fake_measure(calls))
    path = tmp_path / "c.json"
    first = ce.ceilings(path=path)
    assert first is not None and first["cached"] is False and len(calls) == 1
    doc = json.loads(path.read_text(), parse_constant=lambda c: pytest.fail(f"non-JSON {c}"))
    assert doc["format"] == ce.FORMAT
    second = ce.ceilings(path=path)
    assert second is not None and second["cached"] is True and len(calls) == 1
    assert second["compute_gflops"] == first["compute_gflops"]
    path.write_text("{ truncated")  # damaged: measured again, file rebuilt
    assert ce.ceilings(path=path)["cached"] is False and len(calls) == 2  # type: ignore[index]
    key = dict(ce.cache_key()) | {"numpy": "0.0"}  # another numpy: not this entry
    monkeypatch.setattr(ce, "cache_key", lambda: key)
    assert ce.load_cached(path) is None
    assert ce.ceilings(path=path)["cached"] is False and len(calls) == 3  # type: ignore[index]
    assert ce.ceilings(path=path, refresh=True)["cached"] is False  # type: ignore[index]
    assert len(calls) == 4


def test_thread_counts_do_not_key_the_cache_but_the_core_type_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The peers table's children set ``OPENBLAS_NUM_THREADS``: they must find the ceilings
    their parent measured (they fell back to the BLAS GEMM, and printed 110 %); another
    OpenBLAS core type is another machine for the BLAS and must not."""

    def key() -> dict[str, Any]:
        ce.cache_key.cache_clear()
        return dict(ce.cache_key())

    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    monkeypatch.setenv("OPENBLAS_CORETYPE", "Haswell")
    plain = key()
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "1")
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert key() == plain
    assert "OPENBLAS_NUM_THREADS" not in ce.measure_environment()
    monkeypatch.setenv("OPENBLAS_CORETYPE", "SkylakeX")
    assert key()["openblas_env"] != plain["openblas_env"]
    ce.cache_key.cache_clear()


def test_switched_off_records_no_ceiling(monkeypatch: pytest.MonkeyPatch) -> None:
    from bench.machine import machine_info

    monkeypatch.setenv(ce.CACHE_ENV, "off")
    assert ce.ceilings() is None
    info = machine_info(dtype="float64", threads=1)
    assert info["ceilings"] is None and info["gemm_peak_gflops"]["float64/1"] > 0


def test_a_sweep_never_measures_the_ceilings_but_names_the_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A first sweep stays quick: with an empty cache, the run's machine_info records no
    ceiling (peak falls back to the BLAS GEMM) and one line names ``mlpbench machine``;
    once cached, the same call uses them."""
    from bench.runner import new_run

    calls: list[int] = []
    monkeypatch.setattr(ce, "measure", _fake_measure(calls))
    monkeypatch.setenv(ce.CACHE_ENV, str(tmp_path / "c.json"))
    run = new_run("sweep", dtype="float64", threads=1)
    assert run.machine["ceilings"] is None and calls == []
    assert "mlpbench machine" in capsys.readouterr().err
    ce.ceilings()  # what `mlpbench machine` does
    run = new_run("sweep", dtype="float64", threads=1)
    assert run.machine["ceilings"]["compute_gflops"]["float64/1"] == 12.0 and len(calls) == 1


def test_a_run_and_a_benchmark_record_the_ceilings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """machine_info (the run JSON's machine) carries the cached ceilings and the core type
    that ran; the suites' extra_info names the basis of fraction_of_peak and the bound."""
    import sys

    from bench.machine import machine_info

    sys.path.append(str(Path(__file__).resolve().parents[1]))  # the suites package
    from suites import harness

    calls: list[int] = []
    monkeypatch.setattr(ce, "measure", _fake_measure(calls))
    monkeypatch.setenv(ce.CACHE_ENV, str(tmp_path / "c.json"))
    info = machine_info(dtype="float64", threads=1)
    assert info["ceilings"]["compute_gflops"]["float64/1"] == 12.0 and len(calls) == 1
    assert info["blas_coretype"]["architectures"]  # which OpenBLAS kernels ran
    json.dumps(info, allow_nan=False)
    work = harness.Work(sizes=(784, 30, 10), samples=1000, updates=10)
    monkeypatch.setattr(harness, "CEILINGS", {})
    assert harness.peak_basis(work, "float64", 1, "numba", 5.0, 50_000.0)["peak_basis"] == BLAS_GEMM
    monkeypatch.setattr(harness, "CEILINGS", info["ceilings"])
    got = harness.peak_basis(work, "float64", 1, "numba", 5.0, 50_000.0)
    assert got == {"peak_basis": CEILING, "bound": COMPUTE}  # 100 kFLOP / 6.3 kB > 12 / 5


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(("n", "chunks"), [(10, 3), (7, 7), (5, 8), (1000, 2)])
def test_triad_is_b_plus_s_times_c_in_every_chunk(dtype: str, n: int, chunks: int) -> None:
    import numpy as np

    from kernels.ceiling import triad

    rng = np.random.default_rng(n)
    b, c = rng.random(n).astype(dtype), rng.random(n).astype(dtype)
    a = np.full(n, np.nan, dtype)
    triad(a, b, c, 3.0, chunks)
    np.testing.assert_allclose(a, b + np.asarray(3.0, dtype) * c, rtol=1e-6)
