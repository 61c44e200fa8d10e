"""The autotuner: choices, exclusion, the tuning file's key and robustness, the CLI, the
per-ISA defaults and the brief tune at first use of a shape."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from pathlib import Path

import fake_blas
import numpy as np
import pytest

from bench import kernel_tuning as kt
from bench.cli.main import main
from bench.config import ConfigError, TrainSpec, TrialSpec
from bench.data.dataset import Dataset
from bench.kernel_tuning import (
    Shape,
    choose_path,
    default_source,
    load_wisdom,
    resolve_path,
    save_wisdom,
    tune_shape,
)
from bench.results import TrialResult
from bench.train import run_trial
from kernels.paths import default_path, isa_default

TINY = (12, 6, 3)

# Fake speeds (seconds per call) for the selection logic: gemm is fastest, then blas.
FAKE = {"fused-mb1": 3.0, "loops": 2.0, "regtile": 1.8, "blas": 1.5, "gemm": 1.0}


def fake_timer(backend: str, path: str, sizes: tuple[int, ...], dtype: str, threads: int,
               mb: int, samples: int) -> float:  # fmt: skip
    return FAKE[path]


@pytest.fixture
def wisdom_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "wisdom.json"
    monkeypatch.setenv(kt.WISDOM_ENV, str(path))
    return path


def test_tune_picks_the_fastest_and_another_when_it_is_excluded() -> None:
    shape = Shape("numba", TINY, "float64", 1, 10)
    assert tune_shape(shape, repeats=2, timer=fake_timer).chosen == "gemm"
    assert tune_shape(shape, repeats=2, timer=fake_timer, exclude=("gemm",)).chosen == "blas"
    with pytest.raises(ValueError, match="no kernel path left"):
        tune_shape(shape, timer=fake_timer, exclude=("loops", "blas", "regtile", "gemm"))


def test_real_tune_picks_a_different_path_when_the_winner_is_unavailable() -> None:
    """Timed on this machine: excluding the winner makes tune choose another candidate."""
    shape = Shape("numba", TINY, "float64", 1, 1)
    first = tune_shape(shape, repeats=1, samples=200)
    assert set(first.samples_per_s) == {"fused-mb1", "loops", "blas", "regtile", "gemm"}
    second = tune_shape(shape, repeats=1, samples=200, exclude=(first.chosen,))
    assert second.chosen != first.chosen
    assert first.chosen not in second.samples_per_s


def test_wisdom_round_trip_and_choose(wisdom_file: Path) -> None:
    shape = Shape("numba", TINY, "float64", 1, 10)
    tuned = tune_shape(shape, repeats=1, timer=fake_timer, exclude=("gemm",))
    save_wisdom([tuned])
    assert load_wisdom()[shape.key()]["path"] == "blas"
    assert choose_path(shape) == ("blas", "tuned")
    other = Shape("numba", TINY, "float64", 1, 1000)
    assert choose_path(other) == (default_path("numba", 1000), default_source())
    assert choose_path(shape, "loops") == ("loops", "forced")
    with pytest.raises(ValueError, match="cannot run"):
        choose_path(shape, "fused-mb1")


@pytest.mark.parametrize(
    "text", ["{not json", "[]", '{"format": "other"}', f'{{"format": "{kt.FORMAT}", "choices": 3}}']
)
def test_corrupt_tuning_file_is_ignored_with_a_warning(wisdom_file: Path, text: str) -> None:
    wisdom_file.write_text(text)
    with pytest.warns(UserWarning, match="ignoring kernel tuning file"):
        assert load_wisdom() == {}
    with pytest.warns(UserWarning):
        assert choose_path(Shape("numba", TINY, "float64", 1, 10))[1] == default_source()


def test_foreign_tuning_file_is_ignored_with_a_warning(wisdom_file: Path) -> None:
    shape = Shape("numba", TINY, "float64", 1, 10)
    save_wisdom([tune_shape(shape, repeats=1, timer=fake_timer)])
    doc = json.loads(wisdom_file.read_text())
    doc["key"]["cpu"] = "Some Other CPU"
    doc["key"]["kernels"] = "0" * 16
    wisdom_file.write_text(json.dumps(doc))
    with pytest.warns(UserWarning, match="another machine or software .*cpu, kernels"):
        assert load_wisdom() == {}


def test_kernel_path_option_is_checked() -> None:
    with pytest.raises(ConfigError, match="--kernel-path"):
        TrainSpec(kernel_path="fused-mb1", mini_batch=10)
    with pytest.raises(ConfigError, match="--kernel-path"):
        TrainSpec(kernel_path="warp-speed")
    with pytest.raises(ConfigError, match="--kernel-path"):
        TrainSpec(kernel_path="split-blas", backend="numba")
    assert TrainSpec(kernel_path="split-blas", backend="numba-parallel").kernel_path


def test_cli_tune_then_show(wisdom_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["kernels", "tune", "--backend", "numba", "--sizes", "12,6,3", "--dtype"]
    args += ["float64", "--batch-sizes", "4", "--repeats", "1", "--samples", "64"]
    args += ["--exclude", "gemm"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "loops" in out and "blas" in out and "tuning file saved" in out
    assert main(["kernels", "show"]) == 0
    out = capsys.readouterr().out
    assert "numba|12x6x3|float64|t1|mb4" in out
    assert main(["kernels", "tune", "--batch-sizes", "0"]) == 2


def test_trial_records_its_path_and_executed_flops(mnist_small: Dataset, wisdom_file: Path) -> None:
    """The run JSON names the path; fused mini-batch 1 executes fewer FLOPs than the model."""
    tr = TrainSpec(backend="numba", epochs=1, mini_batch=1, kernel_path="fused-mb1")
    result = run_trial(TrialSpec(train=tr), mnist_small)
    s = result.summary
    assert (s.kernel_path, s.kernel_path_source) == ("fused-mb1", "forced")
    assert s.executed_gflops is not None and 0 < s.executed_gflops < s.gflops
    assert TrialResult.from_dict(result.to_dict()).summary == s
    auto = run_trial(TrialSpec(train=replace(tr, kernel_path="auto")), mnist_small).summary
    assert (auto.kernel_path, auto.kernel_path_source) == ("fused-mb1", default_source())


def test_peak_column_uses_executed_flops_and_stays_below_100_percent(
    mnist_small: Dataset,
) -> None:
    """A real fused mini-batch-1 trial: its executed GFLOP/s are the model GFLOP/s scaled by
    the FLOPs the path executes (same measured seconds), and their share of this machine's
    measured GEMM peak stays below 100 % (older runs, without the executed figure, show the
    model figure)."""
    from bench.groups import executed_gflops
    from bench.machine import gemm_peak_gflops
    from kernels.paths import executed_flops_per_update, model_flops_per_update

    tr = TrainSpec(backend="numba", epochs=1, mini_batch=1, kernel_path="fused-mb1")
    s = run_trial(TrialSpec(train=tr), mnist_small).summary
    sizes, lam = (784, 30, 10), tr.lmbda / mnist_small.n_train
    executed = executed_flops_per_update(sizes, 1, "fused-mb1", tr.mu, lam)
    ratio = executed / model_flops_per_update(sizes, 1)
    assert s.executed_gflops == executed_gflops(s)
    assert s.executed_gflops == pytest.approx(s.gflops * ratio, rel=1e-9) and ratio < 1
    peak = gemm_peak_gflops("float64", 1, n=600)
    assert 0 < executed_gflops(s) / peak < 1.0
    assert executed_gflops(replace(s, executed_gflops=None)) == s.gflops


@pytest.mark.parametrize(("path", "blas"), [("split-blas", 1), ("split-loops", 1), ("blas", 2)])
def test_split_paths_train_with_one_blas_thread(
    path: str, blas: int, mnist_small: Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A trial on 2 threads gives BLAS 2 threads, except on the split paths, whose BLAS calls
    run inside Numba's two worker threads (two pools of two oversubscribed the cores: 6 k
    instead of 111 k samples/s)."""
    from threadpoolctl import threadpool_info

    import bench.train

    seen: list[set[int]] = []

    def probe(*args: object) -> TrialResult:
        seen.append({i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"})
        raise RuntimeError("probed")

    monkeypatch.setattr(bench.train, "_train", probe)
    tr = TrainSpec(backend="numba-parallel", threads=2, mini_batch=40, kernel_path=path)
    with pytest.raises(RuntimeError, match="probed"):
        run_trial(TrialSpec(train=tr), mnist_small)
    assert seen == [{blas}]


AVX512 = fake_blas.NUMBA_AVX512
AVX2 = "-avx512f,+avx2,+fma,+sse2"


@pytest.mark.parametrize(
    ("features", "isa", "mb10"), [(AVX512, "avx512", "regtile"), (AVX2, "avx2", "loops"),
                                  ("+sse2,+sse4.2", "other", "loops")],
)  # fmt: skip
def test_defaults_follow_the_isa_numba_compiles_for(
    features: str, isa: str, mb10: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """NUMBA_CPU_FEATURES (Numba's own override) picks the ISA class and so the defaults."""
    from kernels.paths import ISA_DEFAULTS, candidates, isa_class

    monkeypatch.setenv("NUMBA_CPU_FEATURES", features)
    assert isa_class() == isa and default_source() == f"default:{isa}"
    assert default_path("numba", 10) == mb10
    assert default_path("numba", 1) == "fused-mb1" and default_path("numpy", 10) == "numpy"
    for backend, threads in (("numba", 1), ("numba-parallel", 2)):
        for mb in (1, 2, 10, 31, 32, 100, 128, 300, 316, 1000):
            path, close = isa_default(backend, mb, threads)
            assert path in candidates(backend, mb, threads)
            assert set(close) <= set(candidates(backend, mb, threads)) - {path}
    assert "split" in ISA_DEFAULTS[isa]


def counting_timer(calls: list[str], speeds: dict[str, float]) -> kt.Timer:
    def timer(backend: str, path: str, sizes: tuple[int, ...], dtype: str, threads: int,
              mb: int, samples: int) -> float:  # fmt: skip
        calls.append(path)
        return speeds[path]

    return timer


@pytest.fixture
def brief_on(wisdom_file: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Brief tuning on, the AVX2 table (mini-batch 10: loops, with regtile and gemm never
    measured on that class, so timed)."""
    monkeypatch.setenv(kt.TUNE_ENV, "brief")
    monkeypatch.setenv("NUMBA_CPU_FEATURES", AVX2)
    return wisdom_file


def test_an_unsure_default_is_tuned_briefly_once_then_reused(
    brief_on: Path, caplog: pytest.LogCaptureFixture
) -> None:
    shape = Shape("numba", TINY, "float64", 1, 10)
    assert isa_default("numba", 10) == ("loops", ("regtile", "gemm"))
    calls: list[str] = []
    speeds = {"loops": 0.02, "regtile": 0.015, "gemm": 0.01}
    with caplog.at_level(logging.WARNING, logger="mlpbench.kernels"):
        got = resolve_path(shape, timer=counting_timer(calls, speeds))
    assert got == ("gemm", "brief-tune")
    assert calls == ["loops", "regtile", "gemm"] * kt.BRIEF_REPEATS  # interleaved rounds
    (line,) = [r.getMessage() for r in caplog.records]
    assert shape.key() in line and "gemm" in line and str(brief_on) in line
    assert load_wisdom()[shape.key()]["how"] == "brief"
    assert resolve_path(shape, timer=counting_timer(calls, {})) == ("gemm", "brief-tune")
    assert len(calls) == 3 * kt.BRIEF_REPEATS  # the second run timed nothing
    save_wisdom([tune_shape(shape, repeats=1, timer=fake_timer, exclude=("gemm",))])
    assert choose_path(shape) == ("blas", "tuned")  # a thorough tune replaces it


def test_a_blas_default_is_timed_against_regtile_where_the_blas_runs_narrow(
    wisdom_file: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Where the table is sure of a BLAS path (here gemm at mini-batch 10 with no runner-up,
    as the AVX-512 table was until 3 Dec 2026; measured with AVX-512 BLAS kernels), a BLAS
    on Haswell kernels (OPENBLAS_CORETYPE=Haswell on an AVX-512 CPU) makes a brief tune
    time regtile against it, and say why."""
    from kernels import paths

    table = dict(paths.ISA_DEFAULTS["avx512"])
    table["serial"] = ((1, "fused-mb1", ()), (2, "gemm", ()), (32, "regtile", ()))
    monkeypatch.setitem(paths.ISA_DEFAULTS, "avx512", table)
    monkeypatch.setenv(kt.TUNE_ENV, "brief")
    monkeypatch.setenv("NUMBA_CPU_FEATURES", AVX512)
    monkeypatch.setattr(kt, "cpu_flags", lambda: set(fake_blas.AVX512))
    shape = Shape("numba", TINY, "float64", 1, 10)
    split = Shape("numba-parallel", TINY, "float32", 2, 100)
    assert isa_default("numba", 10) == ("gemm", ())
    monkeypatch.setattr(kt, "blas_info", lambda: fake_blas.openblas("SkylakeX"))
    calls: list[str] = []
    never = counting_timer(calls, {})
    assert resolve_path(shape, timer=never) == ("gemm", "default:avx512")  # as wide: sure
    assert kt.unsure_paths(split) == (("split-regtile",), "")  # not a BLAS path
    monkeypatch.setattr(kt, "blas_info", lambda: fake_blas.openblas("Haswell"))
    assert kt.unsure_paths(split) == (("split-regtile",), "")
    speeds = {"gemm": 0.02, "regtile": 0.01}
    with caplog.at_level(logging.WARNING, logger="mlpbench.kernels"):
        got = resolve_path(shape, timer=counting_timer(calls, speeds))
    assert got == ("regtile", "brief-tune")
    assert calls == ["gemm", "regtile"] * kt.BRIEF_REPEATS
    (line,) = [r.getMessage() for r in caplog.records]
    assert "the BLAS runs Haswell kernels, narrower than the CPU" in line


def test_no_timing_where_the_table_is_sure_forced_or_tuning_is_off(
    brief_on: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    never = counting_timer(calls, {})
    sure = Shape("numba", TINY, "float64", 1, 1)
    assert isa_default("numba", 1)[1] == ()
    assert resolve_path(sure, timer=never) == ("fused-mb1", "default:avx2")
    unsure = Shape("numba", TINY, "float64", 1, 10)
    assert resolve_path(unsure, "loops", timer=never) == ("loops", "forced")
    monkeypatch.setenv(kt.TUNE_ENV, "off")
    assert resolve_path(unsure, timer=never) == ("loops", "default:avx2")
    assert calls == [] and not brief_on.exists()


@pytest.mark.parametrize(("seconds", "rounds"), [(0.01, 3), (0.3, 1), (0.2, 2), (0.6, 1)])
def test_brief_tune_stays_within_its_time_budget(seconds: float, rounds: int) -> None:
    """No round is started that would end past BRIEF_SECONDS at the pace so far."""
    calls: list[str] = []
    shape = Shape("numba", TINY, "float64", 1, 10)
    timer = counting_timer(calls, {"regtile": seconds, "gemm": seconds})
    tuned, spent = kt.brief_tune(shape, ("regtile", "gemm"), timer=timer)
    assert len(calls) == 2 * rounds and spent == pytest.approx(2 * rounds * seconds)
    assert set(tuned.samples_per_s) == {"regtile", "gemm"}


def test_a_real_brief_tune_then_a_trial_that_kernel_path_reproduces(
    brief_on: Path, mnist_small: Dataset
) -> None:
    """Timed on this machine: the trial records the brief tune's path; forcing that path
    with --kernel-path gives the same bits."""
    tr = TrainSpec(backend="numba", epochs=1, mini_batch=10)
    auto = run_trial(TrialSpec(train=tr), mnist_small)
    path, source = auto.summary.kernel_path, auto.summary.kernel_path_source
    assert (path in ("loops", "regtile", "gemm"), source) == (True, "brief-tune")
    rates = load_wisdom()["numba|784x30x10|float64|t1|mb10"]["samples_per_s"]
    assert set(rates) == {"loops", "regtile", "gemm"} and min(rates.values()) > 0
    assert max(rates, key=rates.__getitem__) == path
    forced = run_trial(TrialSpec(train=replace(tr, kernel_path=path)), mnist_small)
    assert forced.summary.kernel_path_source == "forced"
    assert [p.val_cost for p in forced.curve] == [p.val_cost for p in auto.curve]
    assert np.isclose(forced.summary.final_val_accuracy, auto.summary.final_val_accuracy)


def test_no_kernel_tune_option(
    brief_on: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--no-kernel-tune`: the trial runs this ISA class's default, nothing is timed."""
    import os

    monkeypatch.setattr(kt, "brief_tune", None)  # any brief tune would fail
    out = tmp_path / "run.json"
    args = ["train", "--no-kernel-tune", "--batch-size", "10", "--epochs", "1", "--quiet"]
    args += ["--train-size", "100", "--val-size", "50", "--no-plot", "--json", str(out)]
    assert main(args) == 0
    assert os.environ[kt.TUNE_ENV] == "off"
    summary = json.loads(out.read_text())["trials"][0]["summary"]
    assert (summary["kernel_path"], summary["kernel_path_source"]) == ("loops", "default:avx2")
