"""The ``mlpbench`` command line: parse options into frozen specs, run, render, save.

Every bad value is turned into one line ``mlpbench: error: OPTION: problem; fix`` and exit
status 2 before any training starts. Live progress goes to stderr (rich), tables to stdout.
Subcommands beyond ``sweep``/``train``/``data`` live in their own modules and register here
through :data:`COMMAND_MODULES`.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import sys
import warnings
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from pathlib import Path
from typing import NoReturn, TextIO

from rich.console import Console
from rich.markup import escape

from bench.cli.options import (
    add_batch_sizes_options,
    add_training_command,
    apply_strip,
    check_results_dir,
    specs_from_args,
    sweep_plan,
)
from bench.cli.study import add_storage_options
from bench.config import ConfigError, TrialSpec
from bench.grid import is_multi_axis
from bench.pareto import front_record
from bench.prewarm import prewarm_enabled
from bench.progress import RichObserver, stdout_console
from bench.report import compile_note, fastest_verdict, front_table, run_front, sweep_table
from bench.results import Run, RunFileLock, save_run
from bench.runner import (
    DataCache,
    PlannedTrial,
    QuietObserver,
    new_run,
    plan_sweep,
    resume_or_new,
    run_planned,
)
from bench.stop_signals import Terminated, sigterm_raises
from bench.write_errors import WriteError, is_write_fault, write_error
from kernels import backend_info, backend_problem
from kernels.session import CPU

# Modules exposing ``register(subparsers) -> None`` for further subcommands.
COMMAND_MODULES: tuple[str, ...] = (
    "bench.cli.recipe",
    "bench.cli.search",
    "bench.cli.report",
    "bench.cli.publish",
    "bench.cli.kernels",
    "bench.cli.machine",
)

Handler = Callable[[argparse.Namespace], int]


def _run_and_show(
    args: argparse.Namespace, kind: str, trials: list[PlannedTrial], base: TrialSpec
) -> Run:
    """Shared body of sweep and train: check, run with progress, print, save JSON and plot.

    The run file is locked (:class:`RunFileLock`) before it is read or any trial starts, and
    taking the lock proves its folder writable, so a busy or unwritable ``--json`` fails
    before any training.
    """
    results_dir = check_results_dir(Path(args.results_dir))
    json_path = Path(args.json) if args.json else None
    if json_path is not None and json_path.is_dir():
        raise ConfigError("--json", f"{json_path} is a folder; give a file name such as run.json")
    data = DataCache()
    check_combinations(trials, data)  # load and check everything before any work
    if json_path is None:
        gpu = any(backend_info(t.spec.train.backend).device != CPU for t in trials)
        run = new_run(kind, dtype=base.train.dtype, threads=base.train.threads, gpu_peak=gpu)
        json_path = results_dir / "runs" / f"{run.run_id}.json"
        with RunFileLock(json_path):
            return _run_locked(args, run, json_path, trials, base, data)
    with RunFileLock(json_path):
        if json_path.exists() and not args.resume:
            raise ConfigError(
                "--json", f"{json_path} exists; pass --resume to continue it or choose a new path"
            )
        run = resume_or_new(
            json_path if args.resume else None,
            kind,
            dtype=base.train.dtype,
            threads=base.train.threads,
        )
        return _run_locked(args, run, json_path, trials, base, data)


def _run_locked(
    args: argparse.Namespace,
    run: Run,
    json_path: Path,
    trials: list[PlannedTrial],
    base: TrialSpec,
    data: DataCache,
) -> Run:
    """Run the trials into ``run`` (its file already locked), print the table, plot."""
    out = stdout_console()
    observer = QuietObserver() if args.quiet else RichObserver(Console(stderr=True), base)
    with observer if isinstance(observer, RichObserver) else nullcontext():
        run_planned(trials, run, json_path, observer, data, compile_first=prewarm_enabled())
    curves, front = run_front(run)
    run.notes["pareto"] = front_record(curves, front)
    save_run(run, json_path)
    out.print(sweep_table(run))
    if is_multi_axis(run.trials):
        out.print(front_table(front))
    out.print(fastest_verdict(run))
    if note := compile_note(run):
        out.print(note, highlight=False)
    out.print(f"run saved: {json_path}")
    _warn_unstable(run)
    if not args.no_plot:
        from bench.plots import accuracy_vs_time, save_figure

        png = save_figure(accuracy_vs_time(run), json_path.with_suffix(".png"))
        out.print(f"plot saved: {png}")
    return run


def _warn_unstable(run: Run) -> None:
    """One line on stderr, last, when any trial ran on a busy or unsteady machine."""
    from bench.stability import summary_line

    line = summary_line([t.stability for t in run.trials])
    if line:
        Console(stderr=True).print(f"[yellow]warning:[/] {escape(line)}", highlight=False)


def check_combinations(trials: list[PlannedTrial], data: DataCache) -> None:
    """Check that every trial's backend can run here, then load the data of every trial
    and check each against it, before any work.

    The first failure raises ConfigError; it names the combination (its label) when other
    combinations pass, since then the combination, not the option alone, is at fault.
    """
    for name in sorted({t.spec.train.backend for t in trials}):
        problem = backend_problem(name)  # e.g. --backend cuda without a GPU
        if problem:
            raise ConfigError("--backend", problem)
    failures: list[tuple[PlannedTrial, ConfigError]] = []
    for t in trials:
        try:
            data.get(t.spec)
        except ConfigError as err:
            failures.append((t, err))
    if not failures:
        return
    bad, first = failures[0]
    if len(failures) == len(trials):
        raise first
    message = str(first).removeprefix(f"{first.option}: ")
    raise ConfigError(first.option, f"{message} (in the combination {bad.label})") from None


def cmd_sweep(args: argparse.Namespace) -> int:
    """``mlpbench sweep``: the grid of the options given several values (by default the
    same network at mini-batch sizes 1, 10, 100), ``--repeats`` seeds each, serially."""
    base, trials = sweep_plan(args)
    if args.storage or args.study:  # one sweep shared by several machines
        from bench.cli.study import cmd_distributed_sweep

        cmd_distributed_sweep(args, trials, base)
        return 0
    _run_and_show(args, "sweep", trials, base)
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    """``mlpbench train``: one configuration (``--repeats`` seeds)."""
    base = apply_strip(args, specs_from_args(args, mini_batch=args.batch_size))
    trials = plan_sweep(base, (args.batch_size,), args.repeats, "none")
    _run_and_show(args, "train", trials, base)
    return 0


def cmd_data(args: argparse.Namespace) -> int:
    """``mlpbench data``: load a data source (downloading if needed) and describe it."""
    from rich.table import Table

    spec = specs_from_args(args, mini_batch=1)
    data = DataCache().get(spec)
    table = Table(title=f"data set {data.name} ({spec.train.dtype})")
    table.add_column("split")
    table.add_column("images", justify="right")
    table.add_column("features", justify="right")
    table.add_column("per class", justify="left")
    for split, y in (("train", data.y_train), ("validation", data.y_val)):
        counts = [str(int((y == c).sum())) for c in range(data.n_classes)]
        if data.class_names:  # the registry names the classes (fashion-mnist)
            counts = [f"{name}:{n}" for name, n in zip(data.class_names, counts, strict=True)]
        table.add_row(split, f"{len(y):,}", str(data.n_features), " ".join(counts))
    stdout_console().print(table)
    return 0


class _Parser(argparse.ArgumentParser):
    """ArgumentParser whose usage errors are one line on stderr and exit status 2."""

    def error(self, message: str) -> NoReturn:
        """Print ``PROG: error: MESSAGE (see PROG --help)`` and exit 2."""
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser with every subcommand."""
    parser = _Parser(
        prog="mlpbench",
        description="Train small fully-connected networks fast and see validation accuracy "
        "against real elapsed time.",
    )
    parser.add_argument(
        "--version", action="version", version=f"mlpbench {importlib.metadata.version('mlpbench')}"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sweep = add_training_command(
        sub,
        "sweep",
        "accuracy vs elapsed time over a grid: mini-batch sizes, architectures, η, … "
        "(the main job)",
        cmd_sweep,
        batch=add_batch_sizes_options,
        grid=True,
    )
    add_storage_options(sweep)
    add_training_command(sub, "train", "train one configuration", cmd_train)
    add_training_command(
        sub, "data", "load (download) a data set and describe it", cmd_data, batch=None
    )

    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def _warning_line(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    """Print a warning (a damaged cache repaired, a tuning file ignored) as one line."""
    Console(stderr=True).print(
        f"[yellow]mlpbench: warning:[/] {escape(str(message))}", highlight=False, soft_wrap=True
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``mlpbench`` console script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # for "resume with: …" messages
    handler: Handler = args.handler
    shown = warnings.showwarning
    warnings.showwarning = _warning_line
    try:
        with sigterm_raises():
            return handler(args)
    except ConfigError as err:
        Console(stderr=True).print(
            f"[bold red]mlpbench: error:[/] {escape(str(err))}", highlight=False, soft_wrap=True
        )
        return 2
    except OSError as err:  # WriteError, or a full disk / permission inside a library
        if not is_write_fault(err):
            raise
        line = str(err) if isinstance(err, WriteError) else str(write_error(err))
        Console(stderr=True).print(
            f"[bold red]mlpbench: error:[/] {escape(line)}", highlight=False, soft_wrap=True
        )
        return 2
    except KeyboardInterrupt as stop:
        what = "terminated (SIGTERM)" if isinstance(stop, Terminated) else "interrupted"
        Console(stderr=True).print(
            f"mlpbench: {what}; finished trials are saved (use --resume)", soft_wrap=True
        )
        return 143 if isinstance(stop, Terminated) else 130
    finally:
        warnings.showwarning = shown


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
