"""The autotuner: choices, exclusion, the tuning file's key and robustness, the CLI."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from bench import kernel_tuning as kt
from bench.cli.main import main
from bench.config import ConfigError, TrainSpec, TrialSpec
from bench.data.dataset import Dataset
from bench.kernel_tuning import Shape, choose_path, load_wisdom, save_wisdom, tune_shape
from bench.results import TrialResult, TrialSummary
from bench.train import run_trial

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
    assert choose_path(other) == ("blas", "default")
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
        assert choose_path(Shape("numba", TINY, "float64", 1, 10))[1] == "default"


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
    assert (auto.kernel_path, auto.kernel_path_source) == ("fused-mb1", "default")


def test_peak_column_uses_executed_flops_and_stays_below_100_percent() -> None:
    """A run whose model GFLOP/s exceed the GEMM peak still shows the executed share."""
    from bench.report import executed_gflops

    base = TrialSummary(
        best_val_accuracy=0.9, final_val_accuracy=0.9, time_to_target_seconds=None,
        images_to_target=None, samples_per_second=1.0, gflops=12.0, images_seen=1, epochs=1.0,
        train_seconds=1.0, wall_seconds=1.0,
    )  # fmt: skip
    assert executed_gflops(base) == 12.0  # older runs: the model figure
    fused = replace(base, executed_gflops=7.0, kernel_path="fused-mb1")
    peak = 10.0
    assert executed_gflops(fused) / peak <= 1.0 < fused.gflops / peak


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
