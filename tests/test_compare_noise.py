"""``mlpbench compare`` tells a difference from noise (bench.publish.significance).

Issue 23's test: two runs of the same code on this machine show no significant difference
("~") and pass the gate; a run slowed on purpose by 1.5× (a sleep of half the kernel time
inside the timed region, injected here by patching ``bench.train.timed_steps``: nothing in
the production code reads a test switch) is a significant slowdown and fails the gate.
The trials of the three runs take turns (A, B, slow, then B, slow, A, …), as the peers
table does, so a slow spell of a shared machine falls on all three alike.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import FAST

import bench.train
from bench.cli.main import main
from bench.config import TrainSpec, TrialSpec
from bench.data.dataset import Dataset
from bench.publish.compare import Entry
from bench.publish.significance import (
    FASTER,
    NOISE,
    SLOWER,
    UNKNOWN,
    difference,
    min_p_value,
    noise_floor,
)
from bench.results import Run, TrialResult, save_run
from bench.train import run_trial

SEEDS = tuple(range(12))  # four full rotations: each run takes each turn position four
# times, so a slow spell of a shared VM is diluted (seen: one run 1.15x slower over three
# rounds; with two rotations, on 3 Dec 2026 in CI, A and B of the same code 0.88x apart)


def _slowed(factor: float) -> Any:
    """``timed_steps`` that sleeps ``factor - 1`` times the kernel's time inside the clock."""
    real = bench.train.timed_steps

    def timed_steps(*args: Any, **kwargs: Any) -> tuple[float, float]:
        t = time.perf_counter()
        cost, seconds = real(*args, **kwargs)
        time.sleep((factor - 1) * seconds)
        return cost, time.perf_counter() - t

    return timed_steps


def _run(trials: list[TrialResult]) -> Run:
    return Run(run_id="r", kind="train", created="2026-12-01T00:00:00", command=[],
               machine={"cpu": "test CPU"}, trials=trials)  # fmt: skip


@pytest.fixture(scope="module")
def three_runs(
    tmp_path_factory: pytest.TempPathFactory, mnist5k: Dataset
) -> tuple[Path, Path, Path]:
    """Runs A, B (the same code) and slow (1.5× by an injected delay), trials in turns."""
    patch = pytest.MonkeyPatch()
    spec = TrialSpec(train=TrainSpec(backend=FAST, epochs=10, mini_batch=10, monitor_every=2000))
    run_trial(spec, mnist5k)  # compile
    runs: dict[str, list[TrialResult]] = {"a": [], "b": [], "slow": []}
    try:
        for k, seed in enumerate(SEEDS):
            s = replace(spec, train=replace(spec.train, seed=seed))
            names = list(runs)[k:] + list(runs)[:k]  # each round starts one run later
            for name in names:
                if name == "slow":
                    patch.setattr(bench.train, "timed_steps", _slowed(1.5))
                runs[name].append(run_trial(s, mnist5k, label=f"seed {seed}"))
                patch.undo()
    finally:
        patch.undo()
    folder = tmp_path_factory.mktemp("noise")
    paths = folder / "a.json", folder / "b.json", folder / "slow.json"
    for path, trials in zip(paths, runs.values(), strict=True):
        save_run(_run(trials), path)
    return paths


def _gate(
    old: Path, new: Path, capsys: pytest.CaptureFixture[str], *, status: int
) -> tuple[str, str, str]:
    """Run ``mlpbench compare OLD NEW --fail-if-slower 10``, assert it exits with ``status``;
    its mb=10 row, stdout and stderr."""
    code = main(["compare", str(old), str(new), "--fail-if-slower", "10", "--width", "250"])
    out, err = capsys.readouterr()
    assert code == status, out + err
    return next(line for line in out.splitlines() if "mb=10" in line), out, err


def test_same_code_twice_is_within_noise_and_passes_the_gate(
    three_runs: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    row, out, _ = _gate(three_runs[0], three_runs[1], capsys, status=0)
    assert row.rstrip().endswith("~"), row
    assert "no entry is significantly more than 10 % slower" in out


def test_a_run_slowed_1_5x_is_a_significant_slowdown_and_fails_the_gate(
    three_runs: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    a, _, slow = three_runs
    row, _, err = _gate(a, slow, capsys, status=1)
    ratio = float(row.split()[-1].rstrip("×"))
    assert ratio > 1.2, row  # time to target: 1.5× slower kernel, noise either way
    assert "significant, Mann-Whitney U p =" in " ".join(err.split())
    # and the other way round it is significantly faster, never a regression
    assert main(["compare", str(slow), str(a), "--fail-if-slower", "10"]) == 0
    capsys.readouterr()


def _entry(rates: list[float]) -> Entry:
    return Entry(key="k", group="g", median_s=None, samples_per_s=None, gflops=None,
                 fraction_of_peak=None, dtype="float64", threads=1,
                 extra={"rates": rates})  # fmt: skip


def test_difference_needs_repeats_a_significant_p_and_a_shift_beyond_the_spread() -> None:
    base = [100.0 + i % 7 for i in range(30)]  # 100–106
    assert difference(_entry(base), _entry([r / 1.5 for r in base])).verdict == SLOWER
    assert difference(_entry(base), _entry([r * 1.5 for r in base])).verdict == FASTER
    # significant by rank (every sample 1 % lower) but inside the files' spread: noise
    tiny = difference(_entry(base), _entry([r * 0.99 for r in base]))
    assert tiny.verdict == NOISE and tiny.mark == "~"
    # a single repeat, or no rates at all: no significance can be given
    one = difference(_entry([100.0]), _entry([50.0]))
    assert one.verdict == UNKNOWN and one.mark == "?" and "1 repeat" in one.why
    assert "no per-chunk" in difference(_entry([]), _entry(base)).why
    assert min_p_value(3, 3) == pytest.approx(0.1) and min_p_value(5, 5) < 0.01
    assert noise_floor([100.0, 100.0, 100.0, 100.0]) == pytest.approx(0.02)


def test_a_file_with_a_single_repeat_says_no_significance_can_be_given(
    tmp_path: Path, mnist_small: Dataset, capsys: pytest.CaptureFixture[str]
) -> None:
    # one checkpoint at the end: one chunk, one seed
    spec = TrialSpec(train=TrainSpec(backend=FAST, epochs=1, monitor_every=10_000))
    trial = run_trial(spec, mnist_small)
    for name in ("one.json", "two.json"):
        save_run(_run([trial]), tmp_path / name)
    code = main(["compare", str(tmp_path / "one.json"), str(tmp_path / "two.json"),
                 "--width", "250"])  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 0
    assert "one.json has a single repeat per entry: no significance can be given" in " ".join(
        err.split()
    )
    row = next(line for line in out.splitlines() if "mb=10" in line)
    assert row.rstrip().endswith("?"), row
