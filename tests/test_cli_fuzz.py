"""CLI fuzzing (hypothesis): any value of any numeric option of the training commands ends
in exit 0 or in exit 2 with one ``mlpbench…: error:`` line, never a traceback.

In-process through ``bench.cli.main.main`` on a tiny problem (numpy backend, [784, 10], 60
training images, a 0.05 s time budget unless the budget itself is fuzzed), with the
machine survey (a GEMM peak measurement, seconds) stubbed out, so a valid value costs
milliseconds.
"""

from __future__ import annotations

import contextlib
import io
import tempfile
from collections.abc import Iterator
from typing import Any

import pytest
from needs import require

import bench.runner
from bench.cli.main import main
from bench.data import synthetic

require("hypothesis", "test")  # skips this module where the extra is missing (fails in CI)
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@pytest.fixture(autouse=True, scope="module")
def no_machine_survey() -> Iterator[None]:
    """Skip the seconds-long machine survey of every new run (not what is fuzzed here)."""

    def stub(**kwargs: Any) -> dict[str, Any]:
        return {"cpu": "fuzz"}

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(bench.runner, "machine_info", stub)
        yield


BASE = {"--sizes": "784,10", "--train-size": "60", "--val-size": "20", "--epochs": "1",
        "--time-budget": "0.05", "--backend": "numpy"}  # fmt: skip

INTS = st.one_of(
    st.integers(-3, 70),
    st.sampled_from([-(2**63), 2**31, 2**63, 10**30]),
).map(str)
FLOATS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(-2.0, 2.0),
    st.sampled_from([0.0, -0.0, 1e-300, 1e300]),
).map(repr)
INT_LIST = st.lists(st.integers(-3, 70) | st.sampled_from([2**63]), max_size=4).map(
    lambda xs: ",".join(map(str, xs))
)
SMALL_COUNTS = st.one_of(st.integers(-3, 2), st.sampled_from([-(2**63)])).map(str)

# Every numeric option of the training options, with its values. Options whose large valid
# values cost real work (more seeds, more images) get small or invalid values only.
TRAINING = {
    "--sizes": st.one_of(
        INT_LIST, st.just("784,10"), st.integers(-3, 40).map(lambda h: f"784,{h},10")
    ),
    "--eta": FLOATS,
    "--lmbda": FLOATS,
    "--mu": FLOATS,
    "--epochs": INTS,
    "--time-budget": st.one_of(FLOATS.filter(lambda v: not float(v) > 0.05), st.just("0.01")),
    "--target": FLOATS,
    "--monitor-every": INTS,
    "--plateau-patience": INTS,
    "--eta-stop-factor": FLOATS,
    "--early-stop": INTS,
    "--diverge-factor": FLOATS,
    "--seed": INTS,
    "--repeats": SMALL_COUNTS,
    "--threads": INTS,
    "--digits": INT_LIST,
    "--train-size": st.one_of(st.integers(-3, 80), st.sampled_from([4001, 2**63])).map(str),
    "--val-size": st.one_of(st.integers(-3, 30), st.sampled_from([1001, 2**63])).map(str),
    "--synthetic-size": INTS,
    "--data-seed": INTS,
}


def run(argv: list[str]) -> tuple[int, str]:
    """Exit status and stderr of ``mlpbench ARGV`` run in this process."""
    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse
            code = exc.code if isinstance(exc.code, int) else 2
    return code, err.getvalue()


def check(command: list[str], options: dict[str, str]) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        argv = [*command, "--quiet", "--no-plot", "--results-dir", tmp]
        for k, v in {**BASE, **options}.items():
            argv += [k, v] if not v.startswith("-") else [f"{k}={v}"]
        code, err = run(argv)
    assert "Traceback" not in err, err
    assert code in (0, 2), (code, err)
    if code == 2:
        lines = err.strip().splitlines()
        assert len(lines) == 1 and "error:" in lines[0], err
    return code


FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("option", sorted(TRAINING))
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_each_training_option(option: str, data: st.DataObject) -> None:
    check(["train"], {option: data.draw(TRAINING[option], label=option)})


@FUZZ
@given(st.data())
def test_train_options_together(data: st.DataObject) -> None:
    names = data.draw(
        st.lists(st.sampled_from(sorted(TRAINING)), min_size=1, max_size=3, unique=True)
    )
    check(["train"], {n: data.draw(TRAINING[n], label=n) for n in names})


@FUZZ
@given(sizes=INT_LIST, scaling=st.sampled_from(["none", "linear", "sqrt"]), eta=FLOATS)
def test_sweep_batch_sizes(sizes: str, scaling: str, eta: str) -> None:
    check(["sweep"], {"--batch-sizes": sizes, "--eta-scaling": scaling, "--eta": eta})


@settings(max_examples=25, deadline=None)
@given(
    start=FLOATS,
    probe_epochs=SMALL_COUNTS,
    refine=SMALL_COUNTS,
    batch=st.one_of(st.integers(-3, 70), st.just(2**63)).map(str),
)
def test_eta_options(start: str, probe_epochs: str, refine: str, batch: str) -> None:
    check(["eta"], {"--start": start, "--probe-epochs": probe_epochs, "--refine": refine,
                    "--batch-size": batch})  # fmt: skip


@settings(max_examples=25, deadline=None)
@given(start=FLOATS, refine=SMALL_COUNTS)
def test_lmbda_options(start: str, refine: str) -> None:
    check(["lmbda"], {"--start": start, "--refine": refine})


@settings(max_examples=25, deadline=None)
@given(mus=st.lists(FLOATS, max_size=3).map(",".join))
def test_momentum_options(mus: str) -> None:
    check(["momentum"], {"--mus": mus})


TUNE_COUNTS = ("--probe-epochs", "--eta-refine", "--lmbda-epochs", "--lmbda-refine",
               "--batch-epochs", "--patience", "--max-epochs")  # fmt: skip


@settings(max_examples=25, deadline=None)
@given(option=st.sampled_from(TUNE_COUNTS), value=st.integers(-(2**63), -1).map(str))
def test_tune_rejects_negative_counts_before_any_work(option: str, value: str) -> None:
    assert check(["tune"], {option: value}) == 2


SYNTHETIC = st.one_of(st.integers(-3, 40), st.sampled_from([2**31, 2**63, 10**30]))


@FUZZ
@given(rows=SYNTHETIC, features=SYNTHETIC, classes=SYNTHETIC)
def test_synthetic_shape_options(rows: int, features: int, classes: int) -> None:
    """Any synthetic size and shape (sizes matching it): exit 0, or 2 before any work."""
    options = {"--dataset": "synthetic", "--synthetic-size": str(rows),
               "--synthetic-features": str(features), "--synthetic-classes": str(classes),
               "--sizes": f"{features},{classes}", "--train-size": "20",
               "--val-size": "2"}  # fmt: skip
    with tempfile.TemporaryDirectory() as cache, pytest.MonkeyPatch.context() as mp:
        mp.setenv("MLPBENCH_CACHE", cache)  # huge sets are refused, never written here:
        mp.setattr(synthetic, "physical_memory", lambda: 2**32)  # as on a 4 GiB machine
        check(["train"], options)
