"""Frozen, validated configuration records: what to train, how, and on which data.

Each record is keyword-only and checks its own fields in ``__post_init__``; a bad value
raises :class:`ConfigError` naming the command-line option, the value, and what is allowed,
so the CLI can print one line and exit 2 before any work starts. Checks that need the data
(sizes against features and classes, batch size against the training-set size) live in
:func:`check_against_data`. This module does no I/O.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from bench.data.sources import SOURCES
from kernels import BACKENDS
from kernels.layout import COST_CODES, HIDDEN_CODES, INITIALIZERS
from kernels.paths import ALL_PATHS, AUTO, BACKEND_PATHS, FUSED_MB1

DATASETS = tuple(SOURCES)  # every --dataset name (bench.data.sources is the registry)
DTYPES = ("float64", "float32")
SCHEDULES = ("constant", "halve-on-plateau")
ETA_SCALINGS = ("none", "linear", "sqrt")


MAX_PARAMS = 100_000_000  # weights + biases of one network (800 MB in float64)
MAX_THREADS = 4096  # more than any machine this runs on; C thread APIs take an int


class ConfigError(ValueError):
    """A bad option value: ``option`` names the flag; the message says value and fix."""

    def __init__(self, option: str, message: str) -> None:
        super().__init__(f"{option}: {message}")
        self.option = option


def _choice(option: str, value: str, allowed: tuple[str, ...] | list[str]) -> None:
    if value not in allowed:
        raise ConfigError(option, f"unknown value {value!r}; choose one of {', '.join(allowed)}")


# --- one definition per option ------------------------------------------------------------

Check = Callable[[Any], "str | None"]  # a value -> None if fine, else what is wrong and the fix
KINDS = ("int", "float", "str", "ints", "flag")  # how an option's text is parsed and written


@dataclass(frozen=True)
class Option:
    """The command-line side of one spec field, declared once beside the field.

    ``kind`` says how the text is parsed and written back (``ints``: comma-separated
    integers held as a tuple; ``flag``: a boolean switch); ``choices`` lists the allowed
    names (checked, and shown in the help); ``check`` returns what is wrong with a value
    (None if it is fine; never called for None). ``grid``: ``mlpbench sweep`` takes several
    values; ``always``: the reproduction command names it even at its default; ``added``:
    :func:`bench.cli.options.add_training_options` adds it (False for ``--batch-size``,
    which each command adds its own way).
    """

    flag: str
    kind: str
    help: str
    choices: tuple[str, ...] = ()
    check: Check | None = None
    grid: bool = False
    always: bool = False
    added: bool = True

    @property
    def dest(self) -> str:
        """The argparse attribute name: the flag without dashes, ``-`` as ``_``."""
        return self.flag.lstrip("-").replace("-", "_")


def option(
    flag: str,
    kind: str,
    default: Any,
    help: str,
    *,
    choices: tuple[str, ...] | list[str] = (),
    check: Check | None = None,
    grid: bool = False,
    always: bool = False,
    added: bool = True,
) -> Any:
    """A dataclass field with its :class:`Option` in the metadata (``"option"`` key)."""
    assert kind in KINDS, kind
    opt = Option(flag, kind, help, tuple(choices), check, grid, always, added)
    return field(default=default, metadata={"option": opt})


def options(spec_type: type[Any]) -> list[tuple[str, Option, Any]]:
    """``(field name, option, default)`` of every option field of a spec class, in order."""
    return [
        (f.name, f.metadata["option"], f.default)
        for f in fields(spec_type)
        if "option" in f.metadata
    ]


def _check_options(spec: Any) -> None:
    """Run each field's declared choices and check; ConfigError naming the first bad one."""
    for name, opt, _ in options(type(spec)):
        value = getattr(spec, name)
        if value is None:
            continue
        if opt.choices:
            _choice(opt.flag, value, opt.choices)
        message = opt.check(value) if opt.check is not None else None
        if message is not None:
            raise ConfigError(opt.flag, message)


def _at_least(low: int, what: str = "use 1 or more") -> Check:
    """Check: ``v >= low``, else "V is < LOW; WHAT"."""
    return lambda v: None if v >= low else f"{v} is < {low}; {what}"


def _above(low: float) -> Check:
    """Check: ``v > low``, else "V must be > LOW"."""
    return lambda v: None if v > low else f"{v} must be > {low:g}"


def _sizes_check(sizes: tuple[int, ...]) -> str | None:
    if len(sizes) < 2:
        return (
            f"{','.join(map(str, sizes)) or '(empty)'} has fewer than 2 layers; "
            "give input,...,output such as 784,30,10"
        )
    bad = [s for s in sizes if s < 1]
    if bad:
        return f"layer size {bad[0]} is < 1; every size must be >= 1"
    n_params = sum((a + 1) * b for a, b in itertools.pairwise(sizes))
    if n_params > MAX_PARAMS:
        return (
            f"{n_params:,} parameters is more than this tool's {MAX_PARAMS:,}; use smaller layers"
        )
    return None


@dataclass(frozen=True, kw_only=True)
class NetSpec:
    """The network: layer sizes, hidden activation, output cost, weight initializer."""

    sizes: tuple[int, ...] = option(
        "--sizes", "ints", (784, 30, 10), "layer sizes, input first",
        check=_sizes_check, grid=True, always=True,
    )  # fmt: skip
    activation: str = option(
        "--activation", "str", "sigmoid", "hidden activation",
        choices=list(HIDDEN_CODES), grid=True,
    )  # fmt: skip
    cost: str = option(
        "--cost", "str", "cross-entropy", "output cost", choices=list(COST_CODES), grid=True
    )
    init: str = option(
        "--init", "str", "default", "weight initializer, N(0, 1/n_in) or N(0, 1)",
        choices=INITIALIZERS,
    )  # fmt: skip

    def __post_init__(self) -> None:
        _check_options(self)

    @property
    def hidden_code(self) -> int:
        """Kernel code of the hidden activation."""
        return HIDDEN_CODES[self.activation]

    @property
    def cost_code(self) -> int:
        """Kernel code of the output layer and cost."""
        return COST_CODES[self.cost]


def _positive(what: str) -> Check:
    return lambda v: None if math.isfinite(v) and v > 0 else f"{v} is not allowed; {what}"


@dataclass(frozen=True, kw_only=True)
class TrainSpec:
    """How to train one trial: SGD hyper-parameters, stopping rules, numerics, backend."""

    eta: float = option(
        "--eta", "float", 0.5, "learning rate η (mean-gradient convention)",
        check=_positive("η must be a number > 0"), grid=True, always=True,
    )  # fmt: skip
    lmbda: float = option(
        "--lmbda", "float", 5.0, "L2 regularisation λ, applied as λ/n (n: training-set size)",
        check=lambda v: None if math.isfinite(v) and v >= 0
        else f"{v} is not allowed; λ must be >= 0",
        grid=True, always=True,
    )  # fmt: skip
    mu: float = option(
        "--mu", "float", 0.0, "momentum μ in [0, 1)",
        check=lambda v: None if 0 <= v < 1 else f"{v} is not allowed; μ must be in [0, 1)",
        grid=True,
    )  # fmt: skip
    mini_batch: int = option(
        "--batch-size", "int", 10, "mini-batch size", check=_at_least(1), always=True, added=False
    )
    epochs: int = option("--epochs", "int", 10, "max epochs", check=_at_least(1), always=True)
    time_budget: float | None = option(
        "--time-budget", "float", None, "stop a trial after this many training seconds",
        check=lambda v: None if v > 0 else f"{v} is not > 0 seconds",
    )  # fmt: skip
    target: float = option(
        "--target", "float", 0.90, "target validation accuracy, a fraction",
        check=lambda v: None if 0 < v <= 1 else f"{v} is not a fraction in (0, 1]",
    )  # fmt: skip
    stop_at_target: bool = option(
        "--stop-at-target", "flag", False, "stop each trial once it reaches the target"
    )
    monitor_every: int = option(
        "--monitor-every", "int", 1000, "training images between validation checkpoints",
        check=_at_least(1, "use 1 image or more"),
    )  # fmt: skip
    schedule: str = option(
        "--schedule", "str", "constant", "learning-rate schedule", choices=SCHEDULES
    )
    plateau_patience: int = option(
        "--plateau-patience", "int", 10, "checkpoints without improvement before η is halved",
        check=_at_least(1),
    )  # fmt: skip
    eta_stop_factor: float = option(
        "--eta-stop-factor", "float", 1024.0, "halve-on-plateau stops once η fell by this factor",
        check=_above(1),
    )  # fmt: skip
    early_stop: int | None = option(
        "--early-stop", "int", None,
        "stop after N checkpoints with no improvement in validation accuracy",
        check=_at_least(1, "use 1 checkpoint or more"),
    )  # fmt: skip
    diverge_factor: float = option(
        "--diverge-factor", "float", 100.0,
        "diverged once validation cost exceeds this × initial",
        check=_above(1),
    )  # fmt: skip
    seed: int = option(
        "--seed", "int", 0, "training seed: initialisation and shuffling",
        check=_at_least(0, "seeds are non-negative"),
    )  # fmt: skip
    dtype: str = option("--dtype", "str", "float64", "float type", choices=DTYPES, grid=True)
    backend: str = option("--backend", "str", "numba", "backend", choices=BACKENDS, grid=True)
    threads: int = option(
        "--threads", "int", 1, "threads for numba-parallel",
        check=lambda v: None if 1 <= v <= MAX_THREADS
        else f"{v} is outside 1-{MAX_THREADS}; use 1 or more",
        grid=True,
    )  # fmt: skip
    kernel_path: str = option(
        "--kernel-path", "str", AUTO,
        f"force one kernel path ({', '.join(ALL_PATHS)}; the backend's own); "
        "auto: the tuning file's choice (mlpbench kernels tune), else the default",
    )  # fmt: skip

    def __post_init__(self) -> None:
        _check_options(self)
        if self.kernel_path != AUTO:
            _choice("--kernel-path", self.kernel_path, (AUTO, *BACKEND_PATHS[self.backend]))
            if self.kernel_path == FUSED_MB1 and self.mini_batch != 1:
                raise ConfigError(
                    "--kernel-path",
                    f"{FUSED_MB1} runs mini-batch 1 only, not {self.mini_batch}; "
                    "use loops, blas, regtile or gemm",
                )


@dataclass(frozen=True, kw_only=True)
class DataSpec:
    """Which data: source, the chapter's stripping (digits, sizes), and where files live."""

    source: str = option("--dataset", "str", "mnist5k", "data source", choices=DATASETS)
    digits: tuple[int, ...] | None = option(
        "--digits", "ints", None, "keep only these digits, e.g. 0,1"
    )
    n_train: int | None = option(
        "--train-size", "int", None, "first N training images", check=_at_least(1)
    )
    n_val: int | None = option(
        "--val-size", "int", None, "first V validation images", check=_at_least(1)
    )
    path: str | None = option(
        "--data-dir", "str", None,
        "folder with the IDX files (mnist, fashion-mnist); else downloaded",
    )  # fmt: skip
    n_synthetic: int = option(
        "--synthetic-size", "int", 50_000, "training rows of the synthetic source",
        check=_at_least(2, "use 2 rows or more"),
    )  # fmt: skip
    seed: int = option(
        "--data-seed", "int", 0, "seed of the shuffle/split of the data",
        check=_at_least(0, "seeds are non-negative"),
    )  # fmt: skip
    file: str | None = option(
        "--data-path",
        "str",
        None,
        "the .npz file of --dataset npz (X_train, y_train, X_val, y_val)",
    )
    synthetic_features: int = option(
        "--synthetic-features", "int", 784, "inputs per row of the synthetic source",
        check=_at_least(1),
    )  # fmt: skip
    synthetic_classes: int = option(
        "--synthetic-classes", "int", 10, "classes of the synthetic source",
        check=_at_least(2, "use 2 or more"),
    )  # fmt: skip

    def __post_init__(self) -> None:
        _check_options(self)
        source = SOURCES[self.source]
        if source.needs_file and self.file is None:
            raise ConfigError(
                "--data-path", f"--dataset {self.source} reads a file; give --data-path FILE.npz"
            )
        if self.digits is not None:
            check_digits(self.digits, source.shape(self)[1])


def check_digits(digits: tuple[int, ...], n_classes: int | None) -> None:
    """``--digits``: at least two different classes, each in ``0 .. n_classes-1``.

    With ``n_classes`` None (not known before the file is read) only the lower bound is
    checked here; :func:`bench.data.dataset.finish` checks again once the classes are known.
    """
    if not digits:
        raise ConfigError("--digits", "empty list; give digits such as 0,1")
    top = None if n_classes is None else n_classes - 1
    bad = [d for d in digits if d < 0 or (top is not None and d > top)]
    if bad:
        raise ConfigError(
            "--digits", f"{bad[0]} is outside 0-{top if top is not None else 'n'}; "
            "give digits like 0,1",
        )  # fmt: skip
    if len(set(digits)) < 2:
        raise ConfigError("--digits", "needs at least 2 different digits, e.g. 0,1")


@dataclass(frozen=True, kw_only=True)
class TrialSpec:
    """One trial: network, training and data together (what a result records)."""

    net: NetSpec = field(default_factory=NetSpec)
    train: TrainSpec = field(default_factory=TrainSpec)
    data: DataSpec = field(default_factory=DataSpec)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready nested dict (tuples become lists)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TrialSpec:
        """Inverse of :meth:`to_dict`."""
        net = dict(d["net"])
        net["sizes"] = tuple(net["sizes"])
        data = dict(d["data"])
        if data.get("digits") is not None:
            data["digits"] = tuple(data["digits"])
        return cls(net=NetSpec(**net), train=TrainSpec(**d["train"]), data=DataSpec(**data))


def check_against_data(spec: TrialSpec, *, n_features: int, n_classes: int, n_train: int) -> None:
    """Checks that need the loaded data: input/output sizes and the batch size."""
    sizes = spec.net.sizes
    if sizes[0] != n_features:
        raise ConfigError(
            "--sizes",
            f"input size {sizes[0]} differs from the data's {n_features} features; "
            f"start the sizes with {n_features}",
        )
    if sizes[-1] != n_classes:
        raise ConfigError(
            "--sizes",
            f"output size {sizes[-1]} differs from the data's {n_classes} classes; "
            f"end the sizes with {n_classes}",
        )
    if spec.train.mini_batch > n_train:
        raise ConfigError(
            "--batch-size",
            f"{spec.train.mini_batch} is larger than the {n_train} training images; "
            f"use at most {n_train}",
        )


def scaled_eta(eta: float, mini_batch: int, scaling: str, reference_batch: int = 10) -> float:
    """η for ``mini_batch`` when η was tuned at ``reference_batch`` (none, linear, sqrt rule)."""
    _choice("--eta-scaling", scaling, ETA_SCALINGS)
    ratio = mini_batch / reference_batch
    if scaling == "linear":
        return eta * ratio
    if scaling == "sqrt":
        return eta * math.sqrt(ratio)
    return eta


def option_text(kind: str, value: Any) -> str:
    """``value`` as command-line text that parses back to the same value.

    Floats use the short ``%g`` form when it is exact, else ``repr``; integer tuples are
    comma-joined.
    """
    if kind == "ints":
        return ",".join(str(int(v)) for v in value)
    if kind == "float":
        short = f"{value:g}"
        return short if float(short) == value else repr(float(value))
    return str(value)


def spec_arguments(spec: TrialSpec) -> list[str]:
    """The option arguments that rebuild ``spec`` (options at their default left out).

    Generated from the fields' :class:`Option` declarations: the ``always`` ones first
    (sizes, η, λ, batch size, epochs), then every other non-default one, network, training,
    data, in field order. Values starting with ``-`` are written ``--flag=value``.
    """
    parts = [(spec.net, NetSpec), (spec.train, TrainSpec), (spec.data, DataSpec)]
    first: list[str] = []
    rest: list[str] = []
    for record, spec_type in parts:
        for name, opt, default in options(spec_type):
            value = getattr(record, name)
            out = first if opt.always else rest
            if opt.kind == "flag":
                if value and not default:
                    out.append(opt.flag)
                continue
            if value is None or (value == default and not opt.always):
                continue
            text = option_text(opt.kind, value)
            out += [f"{opt.flag}={text}"] if text.startswith("-") else [opt.flag, text]
    return first + rest
