"""The sweep grid (construction, labels, η scaling), grouping of the table, the
time–accuracy Pareto front on hand-built curves, and compare keys of multi-axis runs.
Nothing here trains."""

from __future__ import annotations

import io
import re
from dataclasses import replace

import pytest
from rich.console import Console

from bench.cli.main import build_parser
from bench.cli.options import specs_from_args, sweep_plan
from bench.config import ConfigError, NetSpec, TrainSpec, TrialSpec
from bench.grid import BATCH, ETA, grid_trials, is_multi_axis, varying_axes
from bench.pareto import FrontPoint, best_within, group_curve, pareto_front
from bench.publish.compare import from_run
from bench.report import fastest_verdict, run_front, sweep_table
from bench.results import CurvePoint, Run, TrialResult, TrialSummary
from bench.runner import plan_sweep

A30, A100, A3030 = (784, 30, 10), (784, 100, 10), (784, 30, 30, 10)


def render(table: object) -> str:
    console = Console(file=io.StringIO(), width=220, color_system=None)
    console.print(table)
    out = console.file.getvalue()  # type: ignore[attr-defined]
    assert isinstance(out, str)
    return out


# --- grid construction -------------------------------------------------------------------


def test_grid_is_the_cartesian_product_architecture_first() -> None:
    grid = {"sizes": [A30, A100, A3030], "batch_sizes": [1, 10, 100]}
    trials = grid_trials(TrialSpec(), grid, repeats=2)
    assert len(trials) == 18
    assert [t.label for t in trials[:4]] == [
        "[784,30,10] mb=1 seed=0", "[784,30,10] mb=10 seed=0",
        "[784,30,10] mb=100 seed=0", "[784,100,10] mb=1 seed=0",
    ]  # fmt: skip
    assert [t.spec.train.seed for t in trials] == [0] * 9 + [1] * 9
    assert {(t.spec.net.sizes, t.spec.train.mini_batch) for t in trials} == {
        (s, mb) for s in (A30, A100, A3030) for mb in (1, 10, 100)
    }
    assert len({t.label for t in trials}) == 18


def test_eta_scaling_applies_per_batch_size_to_each_eta() -> None:
    trials = grid_trials(
        TrialSpec(), {"eta": [0.5, 1.0], "batch_sizes": [1, 100]}, eta_scaling="linear"
    )
    assert [(t.label, t.spec.train.eta) for t in trials] == [
        ("η=0.5 mb=1", pytest.approx(0.05)), ("η=1 mb=1", pytest.approx(0.1)),
        ("η=0.5 mb=100", pytest.approx(5.0)), ("η=1 mb=100", pytest.approx(10.0)),
    ]  # fmt: skip


def test_every_axis_reaches_the_spec() -> None:
    grid = {
        "sizes": [A100], "activation": ["tanh"], "cost": ["log-likelihood"],
        "dtype": ["float32"], "backend": ["numpy"], "threads": [2], "eta": [0.1],
        "lmbda": [0.0], "mu": [0.9], "batch_sizes": [7],
    }  # fmt: skip
    [t] = grid_trials(TrialSpec(), grid)
    assert t.spec.net == NetSpec(sizes=A100, activation="tanh", cost="log-likelihood")
    tr = t.spec.train
    assert (tr.dtype, tr.backend, tr.threads, tr.eta, tr.lmbda, tr.mu, tr.mini_batch) == (
        "float32", "numpy", 2, 0.1, 0.0, 0.9, 7,
    )  # fmt: skip
    assert t.label == "mb=7"  # nothing varies but the (single) batch size


def test_batch_only_grid_matches_the_old_sweep_plan() -> None:
    base = TrialSpec(train=TrainSpec(eta=0.5, seed=3))
    old = plan_sweep(base, (1, 10, 100), 2, "sqrt")
    new = grid_trials(base, {"batch_sizes": [1, 10, 100]}, 2, "sqrt")
    assert [(t.label, t.spec) for t in new] == [(t.label, t.spec) for t in old]


def test_default_sweep_command_plans_the_same_three_trials() -> None:
    args = build_parser().parse_args(["sweep"])
    base, trials = sweep_plan(args)
    old = plan_sweep(specs_from_args(args_first(args), mini_batch=1), (1, 10, 100), 1)
    assert [(t.label, t.spec) for t in trials] == [(t.label, t.spec) for t in old]
    assert base.net.sizes == A30


def args_first(args: object) -> object:
    import argparse

    assert isinstance(args, argparse.Namespace)
    first = {k: v[0] for k, v in vars(args).items()
             if k in ("sizes", "activation", "cost", "eta", "lmbda", "mu", "dtype", "backend",
                      "threads")}  # fmt: skip
    return argparse.Namespace(**(vars(args) | first))


def test_sweep_options_take_several_values_and_train_keeps_one() -> None:
    parser = build_parser()
    args = parser.parse_args(["sweep", "--sizes", "784,30,10", "784,100,10", "--eta", "0.1",
                              "0.5", "--batch-sizes", "10"])  # fmt: skip
    _, trials = sweep_plan(args)
    assert [t.label for t in trials] == [
        "[784,30,10] η=0.1 mb=10", "[784,30,10] η=0.5 mb=10",
        "[784,100,10] η=0.1 mb=10", "[784,100,10] η=0.5 mb=10",
    ]  # fmt: skip
    with pytest.raises(SystemExit):
        parser.parse_args(["train", "--sizes", "784,30,10", "784,100,10"])
    assert parser.parse_args(["sweep", "--batch-sizes", "1,10", "100"]).batch_sizes == [1, 10, 100]


@pytest.mark.parametrize(
    ("grid", "option", "text"),
    [
        ({"eta": [0.5, 0.5]}, "--eta", "given twice"),
        ({"sizes": [[784, 30, 10], [784, 30, 10]]}, "--sizes", "784,30,10 is given twice"),
        ({"mu": [0.0, 1.0]}, "--mu", "[0, 1)"),
        ({"activation": ["sigmoid", "gelu"]}, "--activation", "gelu"),
        ({"sizes": [A30, (784,)]}, "--sizes", "fewer than 2"),
        ({"batch_sizes": []}, "--batch-sizes", "no values"),
    ],
)
def test_bad_grid_values_raise_config_errors(grid: dict, option: str, text: str) -> None:
    with pytest.raises(ConfigError) as info:
        grid_trials(TrialSpec(), grid)
    assert info.value.option == option and text in str(info.value)


# --- varying axes and grouping -------------------------------------------------------------


def fake_trial(
    sizes: tuple[int, ...] = A30,
    mb: int = 10,
    curve: list[tuple[float, float]] | None = None,
    *,
    eta: float = 0.5,
    lmbda: float = 5.0,
    seed: int = 0,
    label: str = "",
) -> TrialResult:
    """A finished trial with the given configuration and (seconds, accuracy) checkpoints."""
    curve = curve or [(0.1, 0.5), (0.2, 0.8)]
    points = [CurvePoint(images_seen=0, epoch=0.0, train_seconds=0.0, wall_seconds=0.0,
                         val_accuracy=0.1, val_cost=1.0, train_cost=None, eta=eta)]  # fmt: skip
    points += [
        CurvePoint(images_seen=1000 * (i + 1), epoch=0.25 * (i + 1), train_seconds=t,
                   wall_seconds=t, val_accuracy=a, val_cost=1.0, train_cost=1.0, eta=eta)
        for i, (t, a) in enumerate(curve)
    ]  # fmt: skip
    best = max(a for _, a in curve)
    summary = TrialSummary(
        best_val_accuracy=best, final_val_accuracy=curve[-1][1],
        time_to_target_seconds=next((t for t, a in curve if a >= 0.9), None),
        images_to_target=None, samples_per_second=1000.0, gflops=1.0,
        images_seen=points[-1].images_seen, epochs=points[-1].epoch,
        train_seconds=curve[-1][0], wall_seconds=curve[-1][0],
    )  # fmt: skip
    spec = TrialSpec(net=NetSpec(sizes=sizes),
                     train=TrainSpec(mini_batch=mb, eta=eta, lmbda=lmbda, seed=seed))  # fmt: skip
    return TrialResult(config=spec, status="completed", stop_reason="epochs",
                       compile_seconds=0.0, curve=points, summary=summary,
                       label=label)  # fmt: skip


def fake_run(trials: list[TrialResult]) -> Run:
    return Run(run_id="sweep-x", kind="sweep", created="", command=[], machine={}, trials=trials)


def test_eta_set_by_batch_size_alone_is_not_an_axis() -> None:
    scaled = [fake_trial(mb=1, eta=0.05), fake_trial(mb=10, eta=0.5)]
    assert varying_axes([t.config for t in scaled]) == [BATCH]
    assert not is_multi_axis(scaled)
    tuned = [*scaled, fake_trial(mb=10, eta=1.0)]
    assert varying_axes([t.config for t in tuned]) == [BATCH, ETA]
    assert is_multi_axis(tuned)


def table_rows(text: str) -> list[str]:
    return [line for line in text.splitlines() if re.match(r"\s*784,", line)]


def test_table_groups_rows_by_architecture_and_adds_only_varying_columns() -> None:
    trials = [fake_trial(A30, 10), fake_trial(A100, 10), fake_trial(A30, 100),
              fake_trial(A100, 100)]  # fmt: skip
    text = render(sweep_table(fake_run(trials)))
    header = next(line for line in text.splitlines() if "batch" in line)
    assert header.split()[:4] == ["network", "batch", "η", "to"]
    assert "λ" not in header and "activation" not in header
    rows = table_rows(text)
    assert [r.split()[:2] for r in rows] == [
        ["784,30,10", "10"],
        ["784,30,10", "100"],
        ["784,100,10", "10"],
        ["784,100,10", "100"],
    ]
    lines = text.splitlines()
    between = lines[lines.index(rows[1]) + 1]
    assert between.strip() == "", "a rule (blank section line) separates the architectures"


def test_one_axis_table_and_verdict_are_unchanged() -> None:
    trials = [fake_trial(mb=1, curve=[(0.1, 0.95)]), fake_trial(mb=10)]
    text = render(sweep_table(fake_run(trials)))
    header = next(line for line in text.splitlines() if "batch" in line)
    assert header.split() == ["batch", "η", "to", "target", "s", "images", "best", "final",
                              "samples/s", "GFLOP/s", "peak", "compile", "s", "seeds",
                              "status", "machine"]  # fmt: skip
    verdict = fastest_verdict(fake_run(trials))
    assert verdict == "Fastest to 90%: mini-batch 1 (η=0.5) in 0.100 training seconds."


def test_grid_verdict_names_fastest_and_most_accurate() -> None:
    trials = [fake_trial(A30, 10, [(0.1, 0.91), (0.2, 0.92)]),
              fake_trial(A100, 10, [(0.1, 0.5), (0.3, 0.97)])]  # fmt: skip
    verdict = fastest_verdict(fake_run(trials))
    assert "Fastest to 90%: [784,30,10] mini-batch 10 (η=0.5) in 0.100" in verdict
    assert "Most accurate: [784,100,10] mini-batch 10 (η=0.5), best validation accuracy 97.00%" in (
        verdict
    )


# --- the Pareto front ------------------------------------------------------------------------


def names(front: list[FrontPoint]) -> list[tuple[float, float, str]]:
    return [(p.seconds, p.accuracy, p.config) for p in front]


def test_front_keeps_the_fast_starter_and_the_accurate_finisher() -> None:
    front = pareto_front({
        "fast": [(1.0, 0.80), (2.0, 0.85), (3.0, 0.86)],
        "slow": [(1.0, 0.50), (2.0, 0.84), (4.0, 0.95)],
        "dominated": [(1.5, 0.70), (3.5, 0.85)],
    })  # fmt: skip
    assert names(front) == [(1.0, 0.80, "fast"), (2.0, 0.85, "fast"), (3.0, 0.86, "fast"),
                            (4.0, 0.95, "slow")]  # fmt: skip


def test_front_edge_cases() -> None:
    # equal accuracy later is dominated; equal time with lower accuracy is dominated
    assert names(pareto_front({"a": [(1.0, 0.9)], "b": [(2.0, 0.9)], "c": [(1.0, 0.8)]})) == [
        (1.0, 0.9, "a")
    ]
    # an exact tie: neither dominates, both stay
    assert names(pareto_front({"a": [(1.0, 0.9)], "b": [(1.0, 0.9)]})) == [
        (1.0, 0.9, "a"), (1.0, 0.9, "b"),
    ]  # fmt: skip
    # a later dip does not count: best-within is the running maximum; input order is free
    assert best_within([(3.0, 0.7), (1.0, 0.6), (2.0, 0.8)]) == [(1.0, 0.6), (2.0, 0.8)]
    assert names(pareto_front({"a": [(1.0, 0.6), (2.0, 0.8), (3.0, 0.7)], "b": [(2.5, 0.75)]}))[
        -1
    ] == (2.0, 0.8, "a")
    # second everywhere is not on the front even if no single configuration beats it
    front = pareto_front({"early": [(1.0, 0.9), (5.0, 0.91)], "late": [(2.0, 0.5), (3.0, 0.99)],
                          "second": [(1.0, 0.85), (3.0, 0.95)]})  # fmt: skip
    assert "second" not in {p.config for p in front}
    assert pareto_front({}) == []


def test_group_curve_takes_the_median_of_seeds() -> None:
    seeds = [[(1.0, 0.5), (2.0, 0.9)], [(1.5, 0.7), (2.0, 0.8)], [(1.0, 0.6), (3.0, 0.7)]]
    # at 1.0: 0.5, 0 (no point yet), 0.6 -> 0.5; at 1.5: .5,.7,.6 -> .6; at 2: .9,.8,.6 -> .8
    assert group_curve(seeds) == [(1.0, 0.5), (1.5, 0.6), (2.0, 0.8)]


def test_run_front_ignores_the_untrained_checkpoint_and_names_configs() -> None:
    run = fake_run([fake_trial(A30, 10, [(0.1, 0.6)]), fake_trial(A100, 10, [(0.2, 0.7)])])
    curves, front = run_front(run)
    assert set(curves) == {
        "[784,30,10] mini-batch 10 (η=0.5)",
        "[784,100,10] mini-batch 10 (η=0.5)",
    }
    assert [p.seconds for p in front] == [0.1, 0.2]


# --- compare aligns by configuration ---------------------------------------------------------


def test_compare_keys_separate_every_grid_axis() -> None:
    trials = [fake_trial(A30, 10, lmbda=0.0), fake_trial(A30, 10, lmbda=5.0),
              fake_trial(A100, 10, lmbda=0.0), fake_trial(A30, 10, lmbda=0.0, seed=1)]  # fmt: skip
    source = from_run(fake_run(trials), path=__import__("pathlib").Path("r.json"))
    assert list(source.entries) == [
        "sweep [784,30,10] mnist5k numba float64 t1 mb=10 η=0.5 λ=0",
        "sweep [784,30,10] mnist5k numba float64 t1 mb=10 η=0.5",
        "sweep [784,100,10] mnist5k numba float64 t1 mb=10 η=0.5 λ=0",
    ]
    assert source.entries[next(iter(source.entries))].extra["seeds"] == 2
    assert replace(trials[0].config.train, seed=1) == trials[3].config.train


def test_strip_rescales_every_lambda_of_a_grid() -> None:
    args = build_parser().parse_args(
        ["sweep", "--strip", "--lmbda", "0", "5", "50", "--batch-sizes", "10"]
    )
    base, trials = sweep_plan(args)
    factor = base.train.lmbda / 5.0
    assert 0 < factor < 1  # 1,000-odd of 4,000 images: λ shrinks with n
    assert [t.spec.train.lmbda for t in trials] == pytest.approx([0.0, 5 * factor, 50 * factor])
    assert {t.spec.net.sizes for t in trials} == {(784, 10)}
    assert {t.spec.data.digits for t in trials} == {(0, 1)}


@pytest.mark.parametrize(("archs", "panels"), [((A30, A100), 1), ((A30, A100, A3030), 3)])
def test_plot_uses_one_panel_per_architecture_beyond_eight_lines(
    archs: tuple[tuple[int, ...], ...], panels: int
) -> None:
    import matplotlib.pyplot as plt

    from bench.plots import accuracy_vs_time

    trials = [fake_trial(a, mb) for a in archs for mb in (1, 10, 100)]
    fig = accuracy_vs_time(fake_run(trials))
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert len(axes) == panels
    for ax in axes:
        labels = [line.get_label() for line in ax.get_lines()]
        assert "Pareto front" in labels
        styles = {
            line.get_linestyle() for line in ax.get_lines() if "mini-batch" in line.get_label()
        }
        assert styles == {"-", "--", ":"}, "line style by mini-batch size"
    colours = {
        line.get_color() for line in axes[0].get_lines() if "[784,30,10]" in line.get_label()
    }
    assert len(colours) == 1, "one colour per architecture"
    plt.close(fig)
