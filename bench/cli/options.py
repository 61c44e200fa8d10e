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
    ETA_SCALINGS,
    ConfigError,
    DataSpec,
    NetSpec,
    Option,
    TrainSpec,
    TrialSpec,
    option_text,
    options,
)
from bench.kernel_tuning import TUNE_ENV
from bench.runner import PlannedTrial

# Where a user's own runs, studies and tune reports go by default. Not results/: that folder
# holds the published runs git tracks (and mlpbench publish reads); .gitignore ignores this one.
RESULTS_DIR = "mlpbench-results"


def int_list(option: str, minimum: int | None = None) -> Callable[[str], list[int]]:
    """argparse type: comma-separated integers such as ``784,30,10`` (each at least
    ``minimum``, where given)."""

    def parse(text: str) -> list[int]:
        try:
            values = [int(v) for v in text.split(",") if v.strip() != ""]
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not a comma-separated list of integers, e.g. 784,30,10"
            ) from None
        if not values:
            raise argparse.ArgumentTypeError(f"{option} needs at least one integer")
        if minimum is not None and min(values) < minimum:
            raise argparse.ArgumentTypeError(
                f"{text!r} has a value below {minimum}; give integers of {minimum} or more"
            )
        return values

    return parse


def positive_ints(option: str, text: str) -> tuple[int, ...]:
    """``text`` (``1,10,100``) as positive integers; ConfigError naming ``option`` if not."""
    try:
        out = tuple(int(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise ConfigError(option, f"{text!r} is not a comma-separated list of integers") from None
    if not out or min(out) < 1:
        raise ConfigError(option, f"{text!r}: give positive integers such as 1,10,100")
    return out


def _help(opt: Option, default: Any, grid: bool) -> str:
    """Help text of one option: its declared help, choices, default and grid hint."""
    text = opt.help
    if opt.choices:
        text += ": " + "|".join(opt.choices)
    if default is not None and opt.kind != "flag":
        text += f" (default {option_text(opt.kind, default)})"
    if grid and opt.grid:
        text += "; several values (space-separated) make a grid"
    return text


def _add_spec_options(group: argparse._ArgumentGroup, spec_type: type[Any], *, grid: bool) -> None:
    """One argparse option per :class:`~bench.config.Option` field of ``spec_type``."""
    for _, opt, default in options(spec_type):
        if not opt.added:
            continue
        kw: dict[str, Any] = {"help": _help(opt, default, grid)}
        if opt.kind == "flag":
            group.add_argument(opt.flag, action="store_true", **kw)
            continue
        kw["type"] = {"int": int, "float": float, "str": str}.get(opt.kind) or int_list(opt.flag)
        as_arg = list(default) if isinstance(default, tuple) else default
        if grid and opt.grid:
            kw |= {"nargs": "+", "default": [as_arg]}
        else:
            kw["default"] = as_arg
        group.add_argument(opt.flag, **kw)


def add_training_options(p: argparse.ArgumentParser, *, grid: bool = False) -> None:
    """Network, training, data and output options common to every training command.

    The network, training and data options are generated from the spec fields' declarations
    (:func:`bench.config.option`). With ``grid`` (``mlpbench sweep``), the options of
    :data:`GRID_OPTIONS` take one or more space-separated values (a list in the namespace)
    and the command runs their Cartesian grid; elsewhere each takes one value.
    """
    _add_spec_options(p.add_argument_group("network"), NetSpec, grid=grid)
    tr = p.add_argument_group("training")
    _add_spec_options(tr, TrainSpec, grid=grid)
    tr.add_argument(
        "--no-kernel-tune", nargs=0, action=_NoKernelTune,
        help="never time kernel paths before a trial: where no tuning file has a choice, "
        f"use this ISA class's documented default (also ${TUNE_ENV}=off; docs/autotune.md)",
    )  # fmt: skip
    tr.add_argument(
        "--repeats",
        type=int,
        default=1,
        help="run each configuration with this many seeds (default 1)",
    )
    da = p.add_argument_group("data")
    _add_spec_options(da, DataSpec, grid=grid)
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
        "--results-dir",
        default=RESULTS_DIR,
        help=f"where runs are saved (default {RESULTS_DIR}/)",
    )
    out.add_argument(
        "--json",
        default=None,
        metavar="PATH",
        help=f"save the run JSON here instead of {RESULTS_DIR}/runs/<run-id>.json",
    )
    out.add_argument(
        "--resume",
        action="store_true",
        help="continue the run in --json PATH, skipping finished trials",
    )
    out.add_argument("--no-plot", action="store_true", help="do not write the PNG plot")
    out.add_argument("--quiet", action="store_true", help="no live progress")


class _NoKernelTune(argparse.Action):
    """``--no-kernel-tune``: sets ``$MLPBENCH_KERNEL_TUNE=off`` for this process and the
    workers it spawns (:func:`bench.kernel_tuning.tuning_enabled`)."""

    def __call__(self, parser: Any, namespace: Any, values: Any, option: Any = None) -> None:
        os.environ[TUNE_ENV] = "off"
        setattr(namespace, self.dest, True)


# Options that take several values in ``mlpbench sweep`` (argparse dests = grid axis names).
GRID_OPTIONS = tuple(opt.dest for t in (NetSpec, TrainSpec) for _, opt, _ in options(t) if opt.grid)


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
    opt, default = next((o, d) for n, o, d in options(TrainSpec) if n == "mini_batch")
    p.add_argument(opt.flag, type=int, default=default, help=_help(opt, default, grid=False))


def add_batch_sizes_options(
    p: argparse.ArgumentParser, *, help_sizes: str = "comma-separated mini-batch sizes"
) -> None:
    """``--batch-sizes 1,10,100`` and ``--eta-scaling``: commands comparing mini-batch sizes."""
    p.add_argument(
        "--batch-sizes", type=int_list("--batch-sizes", minimum=1), nargs="+", action=_Flatten,
        default=[1, 10, 100], help=f"{help_sizes}, or space-separated (default 1,10,100)",
    )  # fmt: skip
    p.add_argument(
        "--eta-scaling", choices=list(ETA_SCALINGS), default="none",
        help="scale η with batch size relative to 10 (default none)",
    )  # fmt: skip


def add_training_command(
    sub: Any,
    name: str,
    help: str,
    handler: Callable[[argparse.Namespace], int],
    *,
    batch: Callable[[argparse.ArgumentParser], None] | None = add_batch_size_option,
    grid: bool = False,
) -> argparse.ArgumentParser:
    """Add the training command ``name`` to the subparsers ``sub``, run by ``handler``: the
    training options (:func:`add_training_options`, ``grid`` as there) and its mini-batch
    options (``batch``: :func:`add_batch_size_option`, :func:`add_batch_sizes_options` or
    None). Returns the command's parser for its own options."""
    p: argparse.ArgumentParser = sub.add_parser(name, help=help)
    add_training_options(p, grid=grid)
    if batch is not None:
        batch(p)
    p.set_defaults(handler=handler)
    return p


def _spec_from(spec_type: type[Any], args: argparse.Namespace, **given: Any) -> Any:
    """A ``spec_type`` from the options its fields declare (``given`` fields as passed)."""
    values: dict[str, Any] = {}
    for name, opt, default in options(spec_type):
        if name in given:
            continue
        value = getattr(args, opt.dest, default)
        values[name] = tuple(value) if opt.kind == "ints" and value is not None else value
    return spec_type(**values, **given)


def specs_from_args(args: argparse.Namespace, *, mini_batch: int) -> TrialSpec:
    """Frozen specs from parsed options; raises ConfigError on any bad value."""
    if args.repeats < 1:
        raise ConfigError("--repeats", f"{args.repeats} is < 1; use 1 or more")
    return TrialSpec(
        net=_spec_from(NetSpec, args),
        train=_spec_from(TrainSpec, args, mini_batch=mini_batch),
        data=_spec_from(DataSpec, args),
    )


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

    from bench.recipe.recipe import strip_preset
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
