"""The sweep's grid: axes with several values, their Cartesian product, labels and grouping.

A grid maps axis names (:data:`AXES`) to the values to try, e.g.
``{"sizes": [(784, 30, 10), (784, 100, 10)], "batch_sizes": [1, 10, 100]}``. Axes left out
keep the base spec's value. :func:`grid_trials` is the one place that turns a base spec and
a grid into the list of trials a sweep runs (plain data, so a distributed runner can take
the same list); :func:`varying_axes` and :func:`describe` name configurations in tables,
plots and verdicts. Nothing here loads data, trains or prints.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from bench.config import ConfigError, TrialSpec, scaled_eta
from bench.results import TrialResult
from bench.runner import PlannedTrial


@dataclass(frozen=True)
class Axis:
    """One sweepable setting: its grid name, command-line option, spec field and column."""

    name: str  # key in a grid mapping (and the argparse dest)
    option: str  # command-line flag that gives its values
    part: str  # "net" or "train": which spec record holds it
    field: str  # field of that record
    column: str  # table column header

    def get(self, spec: TrialSpec) -> Any:
        """This axis's value in ``spec``."""
        return getattr(spec.net if self.part == "net" else spec.train, self.field)

    def text(self, value: Any) -> str:
        """Short text of a value for labels and table cells."""
        if self.name == "sizes":
            return ",".join(map(str, value))
        if isinstance(value, float):
            return f"{value:g}"
        return str(value)

    def label(self, value: Any) -> str:
        """Label piece naming this axis and value, e.g. ``[784,30,10]``, ``mb=10``, ``λ=5``."""
        prefix = {"sizes": "", "batch_sizes": "mb=", "eta": "η=", "lmbda": "λ=", "mu": "μ="}
        prefix |= {"threads": "t"}
        if self.name == "sizes":
            return f"[{self.text(value)}]"
        return prefix.get(self.name, "") + self.text(value)


# Order matters: it is the product order (outermost first), the table's column order and
# the grouping of rows (architecture first).
AXES: tuple[Axis, ...] = (
    Axis("sizes", "--sizes", "net", "sizes", "network"),
    Axis("activation", "--activation", "net", "activation", "activation"),
    Axis("cost", "--cost", "net", "cost", "cost"),
    Axis("dtype", "--dtype", "train", "dtype", "dtype"),
    Axis("backend", "--backend", "train", "backend", "backend"),
    Axis("threads", "--threads", "train", "threads", "threads"),
    Axis("batch_sizes", "--batch-sizes", "train", "mini_batch", "batch"),
    Axis("eta", "--eta", "train", "eta", "η"),
    Axis("lmbda", "--lmbda", "train", "lmbda", "λ"),
    Axis("mu", "--mu", "train", "mu", "μ"),
)
AXIS = {a.name: a for a in AXES}
BATCH, ETA = AXIS["batch_sizes"], AXIS["eta"]


def check_grid(grid: Mapping[str, Sequence[Any]]) -> None:
    """ConfigError for an unknown axis, an axis without values or a value given twice."""
    for name, values in grid.items():
        if name not in AXIS:
            raise ValueError(f"unknown grid axis {name!r}; known: {', '.join(AXIS)}")
        option = AXIS[name].option
        if not values:
            raise ConfigError(option, "no values given; give one or more")
        seen: set[Any] = set()
        for v in values:
            key = tuple(v) if isinstance(v, list) else v
            if key in seen:
                raise ConfigError(option, f"{AXIS[name].text(v)} is given twice; list it once")
            seen.add(key)


def _with(spec: TrialSpec, values: Mapping[str, Any]) -> TrialSpec:
    """``spec`` with the axis ``values`` (axis name -> value) put in."""
    net: dict[str, Any] = {}
    train: dict[str, Any] = {}
    for name, value in values.items():
        axis = AXIS[name]
        if axis.part == "net":
            net[axis.field] = tuple(value) if name == "sizes" else value
        else:
            train[axis.field] = value
    return replace(spec, net=replace(spec.net, **net), train=replace(spec.train, **train))


def grid_trials(
    base: TrialSpec,
    grid: Mapping[str, Sequence[Any]],
    repeats: int = 1,
    eta_scaling: str = "none",
) -> list[PlannedTrial]:
    """Every trial of the sweep: the Cartesian product of ``grid`` × ``repeats`` seeds.

    Seeds are the outer loop (seed ``base.train.seed + r``), then the axes in
    :data:`AXES` order. η is scaled per mini-batch size from each η value
    (``eta_scaling``: none, linear, sqrt, relative to batch 10). Labels name the axes with
    more than one value, then ``mb=N`` (always), then ``seed=S`` when ``repeats > 1``; a
    grid over mini-batch sizes only gives the labels ``mb=1``, ``mb=10`` …. Building a spec
    validates it, so a bad value raises ConfigError here, before any work.
    """
    check_grid(grid)
    if repeats < 1:
        raise ConfigError("--repeats", f"{repeats} is < 1; use 1 or more")
    names = [a.name for a in AXES if a.name in grid]
    varying = [n for n in names if len(grid[n]) > 1 and n != BATCH.name]
    trials = []
    for r in range(repeats):
        for combo in itertools.product(*(grid[n] for n in names)):
            values = dict(zip(names, combo, strict=True))
            spec = _with(base, values)
            tr = spec.train
            spec = replace(
                spec,
                train=replace(
                    tr,
                    eta=scaled_eta(tr.eta, tr.mini_batch, eta_scaling),
                    seed=base.train.seed + r,
                ),
            )
            parts = [AXIS[n].label(values[n]) for n in varying]
            parts.append(BATCH.label(spec.train.mini_batch))
            if repeats > 1:
                parts.append(f"seed={spec.train.seed}")
            trials.append(PlannedTrial(label=" ".join(parts), spec=spec))
    return trials


def varying_axes(specs: Sequence[TrialSpec]) -> list[Axis]:
    """The axes whose value differs between ``specs``, in :data:`AXES` order.

    η counts as varying only when it differs at one mini-batch size (η set per batch size by
    ``--eta-scaling`` alone is not a separate axis).
    """
    out = []
    for axis in AXES:
        if axis is ETA:
            pairs = {(s.train.mini_batch, s.train.eta) for s in specs}
            if len(pairs) > len({mb for mb, _ in pairs}):
                out.append(axis)
        elif len({_hashable(axis.get(s)) for s in specs}) > 1:
            out.append(axis)
    return out


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def is_multi_axis(trials: Sequence[TrialResult]) -> bool:
    """True when the configurations differ in more than the mini-batch size (and its η)."""
    return any(a not in (BATCH,) for a in varying_axes([t.config for t in trials]))


def describe(spec: TrialSpec, axes: Sequence[Axis]) -> str:
    """A configuration in words: the varying ``axes`` then ``mini-batch N (η=…)``.

    With only the mini-batch size varying this is ``mini-batch 10 (η=0.5)``, as before
    grids existed; otherwise e.g. ``[784,100,10] tanh mini-batch 10 (η=0.5, λ=5)``.
    """
    tr = spec.train
    lead = [a.label(a.get(spec)) for a in axes if a not in (BATCH, ETA, AXIS["lmbda"], AXIS["mu"])]
    hyper = [f"η={tr.eta:g}"]
    hyper += [a.label(a.get(spec)) for a in axes if a.name in ("lmbda", "mu")]
    return " ".join([*lead, f"mini-batch {tr.mini_batch} ({', '.join(hyper)})"])
