"""Options from one definition: argparse, spec construction and the reproduction command."""

from __future__ import annotations

import argparse

import pytest
from needs import require

from bench.cli.main import build_parser
from bench.cli.options import GRID_OPTIONS, specs_from_args
from bench.config import (
    DATASETS,
    DTYPES,
    SCHEDULES,
    ConfigError,
    DataSpec,
    NetSpec,
    TrainSpec,
    TrialSpec,
    options,
)
from bench.recipe.recipe import train_command
from kernels import BACKENDS
from kernels.layout import COST_CODES, HIDDEN_CODES, INITIALIZERS
from kernels.paths import AUTO, BACKEND_PATHS

require("hypothesis", "test")  # skips this module where the extra is missing (fails in CI)
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

FLOATS = st.floats(min_value=1e-9, max_value=1e6, allow_nan=False, allow_infinity=False)
SEEDS = st.integers(0, 2**63)
OPT_INT = st.none() | st.integers(1, 10**9)


@st.composite
def trial_specs(draw: st.DrawFn) -> TrialSpec:
    """Any valid spec: every option field drawn from its allowed values."""
    sizes = tuple(draw(st.lists(st.integers(1, 300), min_size=2, max_size=4)))
    net = NetSpec(
        sizes=sizes,
        activation=draw(st.sampled_from(list(HIDDEN_CODES))),
        cost=draw(st.sampled_from(list(COST_CODES))),
        init=draw(st.sampled_from(INITIALIZERS)),
    )
    backend = draw(st.sampled_from(BACKENDS))
    mini_batch = draw(st.integers(1, 10**6))
    path = draw(st.sampled_from((AUTO, *BACKEND_PATHS[backend])))
    if path == "fused-mb1":
        mini_batch = 1
    train = TrainSpec(
        eta=draw(FLOATS),
        lmbda=draw(st.just(0.0) | FLOATS),
        mu=draw(st.floats(0, 1, exclude_max=True)),
        mini_batch=mini_batch,
        epochs=draw(st.integers(1, 10**6)),
        time_budget=draw(st.none() | FLOATS),
        target=draw(st.floats(0, 1, exclude_min=True)),
        stop_at_target=draw(st.booleans()),
        monitor_every=draw(st.integers(1, 10**9)),
        schedule=draw(st.sampled_from(SCHEDULES)),
        plateau_patience=draw(st.integers(1, 10**6)),
        eta_stop_factor=draw(st.floats(1, 1e9, exclude_min=True)),
        early_stop=draw(OPT_INT),
        diverge_factor=draw(st.floats(1, 1e9, exclude_min=True)),
        seed=draw(SEEDS),
        dtype=draw(st.sampled_from(DTYPES)),
        backend=backend,
        threads=draw(st.integers(1, 4096)),
        kernel_path=path,
    )
    digits = draw(st.none() | st.lists(st.integers(0, 9), min_size=2, max_size=10, unique=True))
    source = draw(st.sampled_from(DATASETS))
    data = DataSpec(
        source=source,
        file=draw(st.sampled_from(["mine.npz", "-x.npz"]) if source == "npz" else st.none()),
        synthetic_features=draw(st.integers(1, 5000)),
        synthetic_classes=draw(st.integers(10, 100)),
        digits=tuple(digits) if digits else None,
        n_train=draw(OPT_INT),
        n_val=draw(OPT_INT),
        path=draw(st.none() | st.sampled_from(["data", "-odd dir/x", "/tmp/mnist files"])),
        n_synthetic=draw(st.integers(2, 10**8)),
        seed=draw(SEEDS),
    )
    return TrialSpec(net=net, train=train, data=data)


def parse_train(argv: list[str]) -> TrialSpec:
    """The spec ``mlpbench ARGV`` (a train command) would run."""
    assert argv[:2] == ["mlpbench", "train"]
    args = build_parser().parse_args(argv[1:])
    return specs_from_args(args, mini_batch=args.batch_size)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=trial_specs())
def test_train_command_round_trip(spec: TrialSpec) -> None:
    assert parse_train(train_command(spec)) == spec


def test_command_names_options_tune_used_to_drop() -> None:
    spec = TrialSpec(
        train=TrainSpec(time_budget=2.5, stop_at_target=True, diverge_factor=7.0),
        data=DataSpec(source="synthetic", n_synthetic=1234),
    )
    argv = train_command(spec)
    for piece in ("--time-budget", "--stop-at-target", "--diverge-factor", "--synthetic-size"):
        assert piece in argv
    assert parse_train(argv) == spec


def test_default_spec_command_is_short() -> None:
    argv = train_command(TrialSpec())
    short = "mlpbench train --sizes 784,30,10 --eta 0.5 --lmbda 5 --batch-size 10 --epochs 10"
    assert argv == short.split(" ")


def test_every_spec_field_is_an_option_with_fixed_name() -> None:
    flags = {opt.flag for t in (NetSpec, TrainSpec, DataSpec) for _, opt, _ in options(t)}
    assert flags == {
        "--sizes", "--activation", "--cost", "--init",
        "--eta", "--lmbda", "--mu", "--batch-size", "--epochs", "--time-budget", "--target",
        "--stop-at-target", "--monitor-every", "--schedule", "--plateau-patience",
        "--eta-stop-factor", "--early-stop", "--diverge-factor", "--seed", "--dtype",
        "--backend", "--threads", "--kernel-path",
        "--dataset", "--digits", "--train-size", "--val-size", "--data-dir",
        "--synthetic-size", "--data-seed", "--data-path", "--synthetic-features",
        "--synthetic-classes",
    }  # fmt: skip
    assert GRID_OPTIONS == (
        "sizes", "activation", "cost", "eta", "lmbda", "mu", "dtype", "backend", "threads"
    )  # fmt: skip


def test_parsed_defaults_are_the_spec_defaults() -> None:
    args = build_parser().parse_args(["train"])
    assert specs_from_args(args, mini_batch=args.batch_size) == TrialSpec()
    sweep = build_parser().parse_args(["sweep"])
    assert all(getattr(sweep, name) == [getattr(argparse.Namespace(**vars(args)), name)]
               for name in GRID_OPTIONS)  # fmt: skip


@pytest.mark.parametrize(
    ("field", "value", "flag"),
    [("eta", 0.0, "--eta"), ("mini_batch", 0, "--batch-size"), ("seed", -1, "--seed")],
)
def test_declared_checks_name_the_flag(field: str, value: object, flag: str) -> None:
    with pytest.raises(ConfigError) as err:
        TrainSpec(**{field: value})  # type: ignore[arg-type]
    assert err.value.option == flag
