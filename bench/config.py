"""Frozen, validated configuration records: what to train, how, and on which data.

Each record is keyword-only and checks its own fields in ``__post_init__``; a bad value
raises :class:`ConfigError` naming the command-line option, the value, and what is allowed,
so the CLI can print one line and exit 2 before any work starts. Checks that need the data
(sizes against features and classes, batch size against the training-set size) live in
:func:`check_against_data`. This module does no I/O.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from kernels import BACKENDS
from kernels.layout import COST_CODES, HIDDEN_CODES, INITIALIZERS
from kernels.paths import AUTO, BACKEND_PATHS, FUSED_MB1

DATASETS = ("mnist5k", "mnist", "fashion-mnist", "digits", "synthetic")
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


@dataclass(frozen=True, kw_only=True)
class NetSpec:
    """The network: layer sizes, hidden activation, output cost, weight initializer."""

    sizes: tuple[int, ...] = (784, 30, 10)  # neurons per layer, input first
    activation: str = "sigmoid"  # hidden layers: sigmoid | tanh | relu
    cost: str = "cross-entropy"  # cross-entropy | quadratic (sigmoid out) | log-likelihood
    init: str = "default"  # default: N(0, 1/n_in) weights | large: N(0, 1)

    def __post_init__(self) -> None:
        if len(self.sizes) < 2:
            raise ConfigError(
                "--sizes",
                f"{','.join(map(str, self.sizes)) or '(empty)'} has fewer than 2 layers; "
                "give input,...,output such as 784,30,10",
            )
        bad = [s for s in self.sizes if s < 1]
        if bad:
            raise ConfigError("--sizes", f"layer size {bad[0]} is < 1; every size must be >= 1")
        n_params = sum((a + 1) * b for a, b in zip(self.sizes, self.sizes[1:], strict=False))
        if n_params > MAX_PARAMS:
            raise ConfigError(
                "--sizes",
                f"{n_params:,} parameters is more than this tool's {MAX_PARAMS:,}; "
                "use smaller layers",
            )
        _choice("--activation", self.activation, list(HIDDEN_CODES))
        _choice("--cost", self.cost, list(COST_CODES))
        _choice("--init", self.init, INITIALIZERS)

    @property
    def hidden_code(self) -> int:
        """Kernel code of the hidden activation."""
        return HIDDEN_CODES[self.activation]

    @property
    def cost_code(self) -> int:
        """Kernel code of the output layer and cost."""
        return COST_CODES[self.cost]


@dataclass(frozen=True, kw_only=True)
class TrainSpec:
    """How to train one trial: SGD hyper-parameters, stopping rules, numerics, backend."""

    eta: float = 0.5  # learning rate η (mean-gradient convention)
    lmbda: float = 5.0  # L2 strength λ; the update uses λ/n, n = training-set size
    mu: float = 0.0  # momentum coefficient μ in [0, 1)
    mini_batch: int = 10  # samples per SGD update
    epochs: int = 10  # maximum passes over the training set
    time_budget: float | None = None  # stop after this many training seconds
    target: float = 0.90  # validation accuracy (fraction) that defines time-to-target
    stop_at_target: bool = False  # stop the trial once the target is reached
    monitor_every: int = 1000  # training images between validation checkpoints
    schedule: str = "constant"  # constant | halve-on-plateau
    plateau_patience: int = 10  # checkpoints without improvement before halving η
    eta_stop_factor: float = 1024.0  # halve-on-plateau stops once η fell by this factor
    early_stop: int | None = None  # stop after n checkpoints with no improvement
    diverge_factor: float = 100.0  # diverged once validation cost exceeds this × initial
    seed: int = 0  # seeds initialisation, shuffling and the data split
    dtype: str = "float64"  # float64 | float32
    backend: str = "numba"  # numpy | numba | numba-parallel
    threads: int = 1  # Numba threads for numba-parallel
    kernel_path: str = "auto"  # kernels.paths name, or auto: tuning file, else default

    def __post_init__(self) -> None:
        if not (math.isfinite(self.eta) and self.eta > 0):
            raise ConfigError("--eta", f"{self.eta} is not allowed; η must be a number > 0")
        if not (math.isfinite(self.lmbda) and self.lmbda >= 0):
            raise ConfigError("--lmbda", f"{self.lmbda} is not allowed; λ must be >= 0")
        if not (0 <= self.mu < 1):
            raise ConfigError("--mu", f"{self.mu} is not allowed; μ must be in [0, 1)")
        if self.mini_batch < 1:
            raise ConfigError("--batch-size", f"{self.mini_batch} is < 1; use 1 or more")
        if self.epochs < 1:
            raise ConfigError("--epochs", f"{self.epochs} is < 1; use 1 or more")
        if self.time_budget is not None and not self.time_budget > 0:
            raise ConfigError("--time-budget", f"{self.time_budget} is not > 0 seconds")
        if not (0 < self.target <= 1):
            raise ConfigError("--target", f"{self.target} is not a fraction in (0, 1]")
        if self.monitor_every < 1:
            raise ConfigError("--monitor-every", f"{self.monitor_every} is < 1 image")
        _choice("--schedule", self.schedule, SCHEDULES)
        if self.plateau_patience < 1:
            raise ConfigError("--plateau-patience", f"{self.plateau_patience} is < 1")
        if not self.eta_stop_factor > 1:
            raise ConfigError("--eta-stop-factor", f"{self.eta_stop_factor} must be > 1")
        if self.early_stop is not None and self.early_stop < 1:
            raise ConfigError("--early-stop", f"{self.early_stop} is < 1 checkpoint")
        if not self.diverge_factor > 1:
            raise ConfigError("--diverge-factor", f"{self.diverge_factor} must be > 1")
        if self.seed < 0:
            raise ConfigError("--seed", f"{self.seed} is < 0; seeds are non-negative")
        _choice("--dtype", self.dtype, DTYPES)
        _choice("--backend", self.backend, BACKENDS)
        if not 1 <= self.threads <= MAX_THREADS:
            raise ConfigError(
                "--threads", f"{self.threads} is outside 1-{MAX_THREADS}; use 1 or more"
            )
        if self.kernel_path != AUTO:
            _choice("--kernel-path", self.kernel_path, (AUTO, *BACKEND_PATHS[self.backend]))
            if self.kernel_path == FUSED_MB1 and self.mini_batch != 1:
                raise ConfigError(
                    "--kernel-path",
                    f"{FUSED_MB1} runs mini-batch 1 only, not {self.mini_batch}; "
                    "use loops, blas or gemm",
                )


@dataclass(frozen=True, kw_only=True)
class DataSpec:
    """Which data: source, the chapter's stripping (digits, sizes), and where files live."""

    source: str = "mnist5k"  # mnist5k | mnist | fashion-mnist | digits | synthetic
    digits: tuple[int, ...] | None = None  # keep only these classes, e.g. (0, 1)
    n_train: int | None = None  # first N training images (None: the source's default)
    n_val: int | None = None  # first V validation images (None: the source's default)
    path: str | None = None  # directory holding IDX files (mnist, fashion-mnist)
    n_synthetic: int = 50_000  # rows generated by the synthetic source
    seed: int = 0  # seeds the shuffle/split of the data (kept fixed across repeats)

    def __post_init__(self) -> None:
        _choice("--dataset", self.source, DATASETS)
        if self.digits is not None:
            if not self.digits:
                raise ConfigError("--digits", "empty list; give digits such as 0,1")
            bad = [d for d in self.digits if not 0 <= d <= 9]
            if bad:
                raise ConfigError("--digits", f"{bad[0]} is outside 0-9; give digits like 0,1")
            if len(set(self.digits)) < 2:
                raise ConfigError("--digits", "needs at least 2 different digits, e.g. 0,1")
        if self.n_train is not None and self.n_train < 1:
            raise ConfigError("--train-size", f"{self.n_train} is < 1; use 1 or more")
        if self.n_val is not None and self.n_val < 1:
            raise ConfigError("--val-size", f"{self.n_val} is < 1; use 1 or more")
        if self.n_synthetic < 2:
            raise ConfigError("--synthetic-size", f"{self.n_synthetic} is < 2 rows")
        if self.seed < 0:
            raise ConfigError("--data-seed", f"{self.seed} is < 0; seeds are non-negative")


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
