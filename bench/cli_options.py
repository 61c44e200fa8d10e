"""Command-line options shared by the training commands, and their conversion to specs.

Option names are fixed (scripts rely on them). Parsing errors of single values are argparse
errors (exit 2); everything a spec rejects is a :class:`~bench.config.ConfigError` raised by
:func:`specs_from_args`, before any work starts.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.config import (
    DATASETS,
    DTYPES,
    ETA_SCALINGS,
    SCHEDULES,
    ConfigError,
    DataSpec,
    NetSpec,
    TrainSpec,
    TrialSpec,
)
from bench.runner import PlannedTrial
from kernels import BACKENDS
from kernels.layout import COST_CODES, HIDDEN_CODES, INITIALIZERS


def int_list(option: str) -> Callable[[str], list[int]]:
    """argparse type: comma-separated integers such as ``784,30,10``."""

    def parse(text: str) -> list[int]:
        try:
            values = [int(v) for v in text.split(",") if v.strip() != ""]
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not a comma-separated list of integers, e.g. 784,30,10"
            ) from None
        if not values:
            raise argparse.ArgumentTypeError(f"{option} needs at least one integer")
        return values

    return parse


def _choices(values: list[str] | tuple[str, ...]) -> str:
    return "|".join(values)


def add_training_options(p: argparse.ArgumentParser, *, grid: bool = False) -> None:
    """Network, training, data and output options common to every training command.

    With ``grid`` (``mlpbench sweep``), the options of :data:`GRID_OPTIONS` take one or more
    space-separated values (a list in the namespace) and the command runs their Cartesian
    grid; elsewhere each takes one value.
    """
    d_net, d_tr, d_data = NetSpec(), TrainSpec(), DataSpec()

    def many(default: Any) -> dict[str, Any]:
        return {"nargs": "+", "default": [default]} if grid else {"default": default}

    net = p.add_argument_group("network")
    net.add_argument(
        "--sizes",
        type=int_list("--sizes"),
        **many(list(d_net.sizes)),
        help="layer sizes, input first (default 784,30,10)"
        + ("; several for a grid: 784,30,10 784,100,10" if grid else ""),
    )
    net.add_argument(
        "--activation",
        **many(d_net.activation),
        help=f"hidden activation: {_choices(list(HIDDEN_CODES))}",
    )
    net.add_argument(
        "--cost", **many(d_net.cost), help=f"output cost: {_choices(list(COST_CODES))}"
    )
    net.add_argument("--init", default=d_net.init, help=f"weights: {_choices(INITIALIZERS)}")

    tr = p.add_argument_group("training")
    tr.add_argument("--eta", type=float, **many(d_tr.eta), help="learning rate η (default 0.5)")
    tr.add_argument(
        "--lmbda",
        type=float,
        **many(d_tr.lmbda),
        help="L2 regularisation λ, applied as λ/n (default 5.0)",
    )
    tr.add_argument("--mu", type=float, **many(d_tr.mu), help="momentum μ in [0, 1) (default 0)")
    tr.add_argument("--epochs", type=int, default=d_tr.epochs, help="max epochs (default 10)")
    tr.add_argument(
        "--time-budget",
        type=float,
        default=None,
        help="stop a trial after this many training seconds",
    )
    tr.add_argument(
        "--target",
        type=float,
        default=d_tr.target,
        help="target validation accuracy, a fraction (default 0.90)",
    )
    tr.add_argument(
        "--stop-at-target", action="store_true", help="stop each trial once it reaches the target"
    )
    tr.add_argument(
        "--monitor-every",
        type=int,
        default=d_tr.monitor_every,
        help="training images between validation checkpoints (default 1000)",
    )
    tr.add_argument(
        "--schedule", default=d_tr.schedule, help=f"learning-rate schedule: {_choices(SCHEDULES)}"
    )
    tr.add_argument(
        "--plateau-patience",
        type=int,
        default=d_tr.plateau_patience,
        help="checkpoints without improvement before η is halved (default 10)",
    )
    tr.add_argument(
        "--eta-stop-factor",
        type=float,
        default=d_tr.eta_stop_factor,
        help="halve-on-plateau stops once η fell by this factor (default 1024)",
    )
    tr.add_argument(
        "--early-stop",
        type=int,
        default=None,
        help="stop after N checkpoints with no improvement in validation accuracy",
    )
    tr.add_argument(
        "--diverge-factor",
        type=float,
        default=d_tr.diverge_factor,
        help="diverged once validation cost exceeds this × initial (default 100)",
    )
    tr.add_argument("--seed", type=int, default=d_tr.seed, help="training seed (default 0)")
    tr.add_argument(
        "--repeats",
        type=int,
        default=1,
        help="run each configuration with this many seeds (default 1)",
    )
    tr.add_argument("--dtype", **many(d_tr.dtype), help=f"{_choices(DTYPES)}")
    tr.add_argument("--backend", **many(d_tr.backend), help=f"{_choices(BACKENDS)}")
    tr.add_argument(
        "--threads", type=int, **many(d_tr.threads), help="threads for numba-parallel (default 1)"
    )
    tr.add_argument(
        "--kernel-path",
        default=d_tr.kernel_path,
        help="force one kernel path (fused-mb1, loops, blas, gemm, split-loops, split-blas); "
        "auto: the tuning file's choice (mlpbench kernels tune), else the default (auto)",
    )

    da = p.add_argument_group("data")
    da.add_argument("--dataset", default=d_data.source, help=f"{_choices(DATASETS)}")
    da.add_argument(
        "--data-dir",
        default=None,
        help="folder with the IDX files (mnist, fashion-mnist); else downloaded",
    )
    da.add_argument(
        "--digits", type=int_list("--digits"), default=None, help="keep only these digits, e.g. 0,1"
    )
    da.add_argument("--train-size", type=int, default=None, help="first N training images")
    da.add_argument("--val-size", type=int, default=None, help="first V validation images")
    da.add_argument(
        "--synthetic-size",
        type=int,
        default=d_data.n_synthetic,
        help="training rows of the synthetic source (default 50000)",
    )
    da.add_argument(
        "--data-seed",
        type=int,
        default=d_data.seed,
        help="seed of the shuffle/split of the data (default 0)",
    )
    da.add_argument(
        "--strip",
        action="store_true",
        help="the chapter's stripped problem: digits 0,1, first 1000 training and 100 "
        "validation images, a checkpoint every 1000 images, network 784,10 (each piece "
        "overridable); λ is rescaled to keep ηλ/n fixed",
    )
    da.add_argument("--keep-lmbda", action="store_true", help="with --strip: use --lmbda as given")

    out = p.add_argument_group("output")
    out.add_argument(
        "--results-dir", default="results", help="where runs are saved (default results/)"
    )
    out.add_argument(
        "--json",
        default=None,
        metavar="PATH",
        help="save the run JSON here instead of results/runs/<run-id>.json",
    )
    out.add_argument(
        "--resume",
        action="store_true",
        help="continue the run in --json PATH, skipping finished trials",
    )
    out.add_argument("--no-plot", action="store_true", help="do not write the PNG plot")
    out.add_argument("--quiet", action="store_true", help="no live progress")


# Options that take several values in ``mlpbench sweep`` (argparse dests = grid axis names).
GRID_OPTIONS = ("sizes", "activation", "cost", "eta", "lmbda", "mu", "dtype", "backend", "threads")


class _Flatten(argparse.Action):
    """Store ``--opt 1,10 100`` as one flat list ``[1, 10, 100]``."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        setattr(namespace, self.dest, [v for part in values for v in part])


def add_batch_size_option(p: argparse.ArgumentParser) -> None:
    """``--batch-size N``: the one mini-batch size of a single-configuration command."""
    p.add_argument("--batch-size", type=int, default=10, help="mini-batch size (default 10)")


def add_batch_sizes_options(
    p: argparse.ArgumentParser, *, help_sizes: str = "comma-separated mini-batch sizes"
) -> None:
    """``--batch-sizes 1,10,100`` and ``--eta-scaling``: commands comparing mini-batch sizes."""
    p.add_argument(
        "--batch-sizes", type=int_list("--batch-sizes"), nargs="+", action=_Flatten,
        default=[1, 10, 100], help=f"{help_sizes}, or space-separated (default 1,10,100)",
    )  # fmt: skip
    p.add_argument(
        "--eta-scaling", choices=list(ETA_SCALINGS), default="none",
        help="scale η with batch size relative to 10 (default none)",
    )  # fmt: skip


def specs_from_args(args: argparse.Namespace, *, mini_batch: int) -> TrialSpec:
    """Frozen specs from parsed options; raises ConfigError on any bad value."""
    if args.repeats < 1:
        raise ConfigError("--repeats", f"{args.repeats} is < 1; use 1 or more")
    net = NetSpec(
        sizes=tuple(args.sizes), activation=args.activation, cost=args.cost, init=args.init
    )
    train = TrainSpec(
        eta=args.eta,
        lmbda=args.lmbda,
        mu=args.mu,
        mini_batch=mini_batch,
        epochs=args.epochs,
        time_budget=args.time_budget,
        target=args.target,
        stop_at_target=args.stop_at_target,
        monitor_every=args.monitor_every,
        schedule=args.schedule,
        plateau_patience=args.plateau_patience,
        eta_stop_factor=args.eta_stop_factor,
        early_stop=args.early_stop,
        diverge_factor=args.diverge_factor,
        seed=args.seed,
        dtype=args.dtype,
        backend=args.backend,
        threads=args.threads,
        kernel_path=getattr(args, "kernel_path", "auto"),
    )
    data = DataSpec(
        source=args.dataset,
        digits=tuple(args.digits) if args.digits else None,
        n_train=args.train_size,
        n_val=args.val_size,
        path=args.data_dir,
        n_synthetic=args.synthetic_size,
        seed=args.data_seed,
    )
    return TrialSpec(net=net, train=train, data=data)


def check_results_dir(path: Path) -> Path:
    """Create ``path`` if needed and prove it is writable; ConfigError naming the fix if not."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=path, prefix=".write-test-")
        os.close(fd)
        os.unlink(probe)
    except OSError as err:
        raise ConfigError(
            "--results-dir",
            f"{path} cannot be written ({err.strerror or err}); choose a writable folder",
        ) from None
    return path


def apply_strip(args: argparse.Namespace, spec: TrialSpec) -> TrialSpec:
    """``spec`` with the ``--strip`` preset applied (if asked); says on stderr what changed.

    Pieces given explicitly (a non-default ``--sizes``, ``--digits``, ``--train-size``,
    ``--val-size``, ``--monitor-every``) are kept; λ is rescaled unless ``--keep-lmbda``.
    """
    if not getattr(args, "strip", False):
        return spec
    from rich.console import Console

    from bench.recipe import strip_preset
    from bench.runner import DataCache

    d_net, d_tr = NetSpec(), TrainSpec()
    given = {
        "sizes": tuple(args.sizes) != d_net.sizes,
        "digits": args.digits is not None,
        "train_size": args.train_size is not None,
        "val_size": args.val_size is not None,
        "monitor_every": args.monitor_every != d_tr.monitor_every,
    }
    explicit = frozenset(k for k, v in given.items() if v)
    spec, notes = strip_preset(
        spec, explicit=explicit, cache=DataCache(), rescale=not args.keep_lmbda
    )
    for note in notes:
        Console(stderr=True).print(note, highlight=False)
    return spec


def sweep_plan(args: argparse.Namespace) -> tuple[TrialSpec, list[PlannedTrial]]:
    """The base spec and every trial of ``mlpbench sweep``: the grid of its options.

    Options of :data:`GRID_OPTIONS` hold lists here; the first value of each (the first
    non-zero λ, so ``--strip`` can rescale them) makes the base spec, and options with
    several values, plus ``--batch-sizes``, make the grid (:func:`bench.grid.grid_trials`).
    With ``--strip`` and several λ, each is rescaled like the base one.
    """
    from bench.grid import grid_trials

    lmbdas = list(args.lmbda)
    first = {name: getattr(args, name)[0] for name in GRID_OPTIONS}
    first["lmbda"] = next((v for v in lmbdas if v > 0), lmbdas[0])
    one = argparse.Namespace(**(vars(args) | first))
    base = apply_strip(one, specs_from_args(one, mini_batch=min(args.batch_sizes)))
    grid: dict[str, list[Any]] = {n: getattr(args, n) for n in GRID_OPTIONS
                                  if len(getattr(args, n)) > 1}  # fmt: skip
    if "lmbda" in grid and first["lmbda"] > 0:
        factor = base.train.lmbda / first["lmbda"]
        grid["lmbda"] = [v * factor for v in lmbdas]
    grid["batch_sizes"] = list(args.batch_sizes)
    return base, grid_trials(base, grid, args.repeats, args.eta_scaling)
