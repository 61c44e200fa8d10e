"""Subcommands of the tuning recipe: eta, lmbda, batch, momentum, tune.

Each command takes the training options of :func:`bench.cli.options.add_training_options`
(``--strip`` included), saves its trials as a run JSON under ``<results dir>/runs/`` and its
plots next to it, and prints rich tables (stdout) with one-line progress (stderr).
Registered from :data:`bench.cli.main.COMMAND_MODULES`.
"""

from __future__ import annotations

import argparse
import functools
import math
import shlex
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure
from rich.console import Console

from bench.cli.options import (
    add_batch_sizes_options,
    add_training_command,
    apply_strip,
    check_results_dir,
    specs_from_args,
)
from bench.config import ConfigError, TrialSpec
from bench.plots import save_figure
from bench.progress import stdout_console
from bench.recipe.plots import accuracy_vs_lmbda, accuracy_vs_time, cost_vs_epoch
from bench.recipe.recipe import (
    check_values,
    choose_by_time,
    search_eta,
    search_lmbda,
)
from bench.recipe.report import StageReport, eta_stage, lmbda_stage, stage_panel, time_stage
from bench.results import Run, TrialResult, save_run
from bench.runner import DataCache, PlannedTrial, QuietObserver, new_run, plan_sweep, run_planned


def float_list(option: str) -> Any:
    """argparse type: comma-separated numbers such as ``0,0.5,0.9``."""

    def parse(text: str) -> list[float]:
        try:
            values = [float(v) for v in text.split(",") if v.strip()]
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a list of numbers") from None
        if not values:
            raise argparse.ArgumentTypeError(f"{option} needs at least one number")
        return values

    return parse


def check_search_options(
    args: argparse.Namespace, *, start: str = "--start", steps: tuple[str, ...] = ("--refine",)
) -> None:
    """ConfigError unless ``--start`` is a finite number > 0, ``--probe-epochs`` (if present)
    >= 1, and each option in ``steps`` >= 0: checked before any training."""
    value = getattr(args, start.lstrip("-").replace("-", "_"))
    if not (math.isfinite(value) and value > 0):
        raise ConfigError(start, f"{value} is not allowed; give a number > 0 such as 0.01")
    epochs = getattr(args, "probe_epochs", None)
    if epochs is not None and epochs < 1:
        raise ConfigError("--probe-epochs", f"{epochs} is < 1; use 1 or more")
    for option in steps:
        n = getattr(args, option.lstrip("-").replace("-", "_"))
        if n < 0:
            raise ConfigError(option, f"{n} is < 0; use 0 or more")


class _Session:
    """What every recipe command shares: specs, data, the run record and where files go."""

    def __init__(self, args: argparse.Namespace, kind: str, *, mini_batch: int) -> None:
        if args.resume or args.json:
            raise ConfigError("--json", f"not supported by {kind}; runs go to --results-dir")
        self.args = args
        self.out = stdout_console()
        self.err = Console(stderr=True)
        self.spec: TrialSpec = apply_strip(args, specs_from_args(args, mini_batch=mini_batch))
        self.results = check_results_dir(Path(args.results_dir))
        self.cache = DataCache()
        self.data = self.cache.get(self.spec)
        tr = self.spec.train
        self.run: Run = new_run(kind, dtype=tr.dtype, threads=tr.threads, peak=False)
        self.json_path = self.results / "runs" / f"{self.run.run_id}.json"

    def line(self, trial: TrialResult) -> None:
        """Print one progress line for a finished trial (stderr) unless ``--quiet``."""
        if not self.args.quiet:
            s = trial.summary
            on_train = [
                p.train_set_accuracy for p in trial.curve if p.train_set_accuracy is not None
            ]
            best = f"best train-set {max(on_train):6.2%}" if on_train else (
                f"best val {s.best_val_accuracy:6.2%}")  # fmt: skip
            self.err.print(
                f"  {trial.label:<24} {trial.status:<9} {best}  "
                f"{s.train_seconds:7.3f} s  {s.images_seen:,} images",
                highlight=False,
            )

    def sink(self, trial: TrialResult) -> None:
        """Record a finished trial, save the run, print one progress line."""
        self.run.trials.append(trial)
        save_run(self.run, self.json_path)
        self.line(trial)

    def figure_path(self, name: str) -> Path:
        """PNG path next to the run JSON."""
        return self.json_path.with_name(f"{self.run.run_id}-{name}.png")

    def finish(self) -> None:
        """Save the run one last time and say where it is."""
        save_run(self.run, self.json_path)
        self.out.print(f"run saved: {self.json_path}")

    def conclude(
        self,
        name: str,
        figure: Callable[[], Figure],
        stage: Callable[[Path | None], StageReport],
    ) -> int:
        """End a one-stage command: save ``figure()`` as the run's ``name`` PNG (unless
        ``--no-plot``), print the panel of ``stage(png path or None)``, save the run; exit 0."""
        png = None if self.args.no_plot else save_figure(figure(), self.figure_path(name))
        self.out.print(stage_panel(stage(png)))
        self.finish()
        return 0


def cmd_eta(args: argparse.Namespace) -> int:
    """``mlpbench eta``: the learning-rate threshold on training cost, with λ = 0."""
    check_search_options(args)
    s = _Session(args, "eta", mini_batch=args.batch_size)
    s.err.print("λ = 0 for the threshold search (the book's first step)", highlight=False)
    search = search_eta(
        s.spec,
        s.data,
        start=args.start,
        epochs=args.probe_epochs,
        refine_steps=args.refine,
        sink=s.sink,
    )
    s.run.notes.update(threshold=search.threshold, recommended=search.recommended)
    return s.conclude(
        "cost",
        lambda: cost_vs_epoch(search),
        lambda png: eta_stage("Learning-rate threshold (training cost)", search, png),
    )


def cmd_lmbda(args: argparse.Namespace) -> int:
    """``mlpbench lmbda``: λ by factors of 10 on validation accuracy, then refined."""
    check_search_options(args)
    s = _Session(args, "lmbda", mini_batch=args.batch_size)
    search = search_lmbda(s.spec, s.data, start=args.start, refine_steps=args.refine, sink=s.sink)
    s.run.notes.update(lmbda=search.best, accuracy=search.best_accuracy)
    return s.conclude(
        "lmbda",
        lambda: accuracy_vs_lmbda(search),
        lambda png: lmbda_stage("λ by factors of 10 (validation accuracy)", search, png),
    )


def _by_time(s: _Session, trials: list[PlannedTrial], what: str) -> int:
    """Run ``trials`` serially (timing), then choose by accuracy against elapsed time."""
    for t in trials:
        s.cache.get(t.spec)

    class _Lines(QuietObserver):
        def trial_finished(self, result: TrialResult) -> None:
            s.line(result)

    run_planned(trials, s.run, s.json_path, _Lines(), s.cache)
    choice = choose_by_time(s.run.trials)
    s.run.notes.update(by_target=choice.by_target, by_area=choice.by_area)
    title = f"{what}: validation accuracy vs time"
    return s.conclude(
        what.replace(" ", "-"),
        lambda: accuracy_vs_time(s.run.trials, title=title, target=s.spec.train.target),
        lambda png: time_stage(
            f"{what} by accuracy vs elapsed time", s.run.trials, choice, png, what
        ),
    )


def cmd_batch(args: argparse.Namespace) -> int:
    """``mlpbench batch``: mini-batch size by time to target and mean accuracy over time."""
    s = _Session(args, "batch", mini_batch=min(args.batch_sizes))
    trials = plan_sweep(s.spec, tuple(args.batch_sizes), args.repeats, args.eta_scaling)
    return _by_time(s, trials, "mini-batch")


def cmd_momentum(args: argparse.Namespace) -> int:
    """``mlpbench momentum``: the momentum coefficient μ by the same method."""
    check_values("--mus", args.mus, 0.0, 1.0)
    s = _Session(args, "momentum", mini_batch=args.batch_size)
    trials = [
        PlannedTrial(label=f"μ={mu:g}", spec=replace(s.spec, train=replace(s.spec.train, mu=mu)))
        for mu in args.mus
    ]
    return _by_time(s, trials, "momentum")


def cmd_tune(args: argparse.Namespace) -> int:
    """``mlpbench tune``: the whole recipe, a panel per stage, a Markdown study report."""
    from bench.recipe.report import markdown_report
    from bench.recipe.tune import TuneOptions, tune
    from bench.results import atomic_write_text

    opts = TuneOptions(
        probe_epochs=args.probe_epochs,
        eta_refine=args.eta_refine,
        lmbda_epochs=args.lmbda_epochs,
        lmbda_refine=args.lmbda_refine,
        batch_sizes=tuple(args.batch_sizes),
        batch_epochs=args.batch_epochs,
        eta_scaling=args.eta_scaling,
        patience=args.patience,
        max_epochs=args.max_epochs,
    )
    if min(opts.probe_epochs, opts.lmbda_epochs, opts.batch_epochs, opts.max_epochs) < 1:
        raise ConfigError("--probe-epochs", "every epoch count must be >= 1")
    for option, n in (("--eta-refine", opts.eta_refine), ("--lmbda-refine", opts.lmbda_refine)):
        if n < 0:
            raise ConfigError(option, f"{n} is < 0; use 0 or more")
    if opts.patience < 1:
        raise ConfigError("--patience", f"{opts.patience} is < 1 checkpoint")
    if args.strip:
        raise ConfigError("--strip", "tune strips the problem itself; leave --strip out")
    s = _Session(args, "tune", mini_batch=10)
    folder = s.results / "tune" / s.run.run_id
    folder.mkdir(parents=True, exist_ok=True)
    result = tune(
        s.spec,
        s.cache,
        folder,
        options=opts,
        on_stage=lambda st: s.out.print(stage_panel(st)),
        on_trial=s.sink,
    )
    final = result.final_command
    s.run.notes.update(final_command=final, stages=[st.values for st in result.stages])
    report = markdown_report(
        "mlpbench tune: study report",
        result.stages,
        command=s.run.command,
        final=final,
        folder=folder,
        preamble=[
            f"Run `{s.run.run_id}`; trials in `{s.json_path}`. Machine: "
            f"{s.run.machine.get('cpu', {}) or s.run.machine.get('cpu_model', '')}."
        ],
    )
    atomic_write_text(folder / "report.md", report)
    s.out.print(f"study report: {folder / 'report.md'}")
    s.finish()
    s.out.print("recommended configuration:")
    s.out.print(shlex.join(final), highlight=False, soft_wrap=True)
    return 0


def register(sub: Any) -> None:
    """Add eta, lmbda, batch, momentum and tune to the ``mlpbench`` subparsers."""
    eta = add_training_command(
        sub, "eta", "learning-rate threshold on training cost (λ = 0)", cmd_eta
    )
    eta.add_argument("--start", type=float, default=0.01, help="first η tried (default 0.01)")
    eta.add_argument("--probe-epochs", type=int, default=5, help="epochs per η (default 5)")
    eta.add_argument("--refine", type=int, default=2, help="bisections after the orders (2)")

    lm = add_training_command(
        sub, "lmbda", "λ by factors of 10 on validation accuracy, refined", cmd_lmbda
    )
    lm.add_argument("--start", type=float, default=1.0, help="first λ tried (default 1.0)")
    lm.add_argument("--refine", type=int, default=1, help="refinement rounds (default 1)")

    add_training_command(
        sub, "batch", "mini-batch size by validation accuracy vs elapsed time", cmd_batch,
        batch=add_batch_sizes_options,
    )  # fmt: skip
    mo = add_training_command(
        sub, "momentum", "momentum μ by validation accuracy vs elapsed time", cmd_momentum
    )
    mo.add_argument(
        "--mus",
        type=float_list("--mus"),
        default=[0.0, 0.5, 0.9],
        help="comma-separated μ values (default 0,0.5,0.9)",
    )

    timed = "mini-batch sizes compared by time"
    sizes = functools.partial(add_batch_sizes_options, help_sizes=timed)
    tu = add_training_command(
        sub, "tune", "the chapter's whole recipe, with a study report", cmd_tune, batch=sizes
    )
    for flag, default, text in (
        ("--probe-epochs", 4, "epochs per η probe"),
        ("--eta-refine", 2, "η bisections"),
        ("--lmbda-epochs", 10, "epochs per λ probe"),
        ("--lmbda-refine", 1, "λ refinements"),
        ("--batch-epochs", 3, "epochs per mini-batch trial"),
        ("--patience", 10, "early stopping: checkpoints without improvement"),
        ("--max-epochs", 30, "epochs cap of the early-stopping run"),
    ):
        tu.add_argument(flag, type=int, default=default, help=f"{text} (default {default})")


if __name__ == "__main__":  # pragma: no cover
    sys.exit("use the mlpbench command")
