"""Automated hyper-parameter search on Optuna: samplers, pruners, storage, worker processes.

Nothing here searches by itself: samplers are Optuna's ``GridSampler``, ``RandomSampler``
(Bergstra & Bengio), ``TPESampler``, ``GPSampler`` (needs torch) and ``CmaEsSampler``
(needs cmaes); pruners are ``MedianPruner``, ``SuccessiveHalvingPruner`` and
``HyperbandPruner``, fed at every validation checkpoint through ``trial.report(accuracy,
step=images seen)`` and ``trial.should_prune()``. The objective is the trial's best
validation accuracy (a fraction, maximised); resources are training images.

Storage is Optuna's journal file ``<results dir>/studies/<study>.journal`` by default, so
``--study NAME`` resumes a search: the finished trials are in the journal and only the
missing ones run. ``--storage URL`` (:mod:`bench.search.storage`: PostgreSQL, MySQL, SQLite) lets
``mlpbench search`` with the same ``--study`` and ``--storage`` run on several machines at
once; ``--trials`` is then the study's total over all of them, every worker seeds its
sampler from its own identity, and crashed workers' trials are re-run
(:mod:`bench.search.study`). ``--workers N`` runs N local processes (spawn context: Numba's
thread pools are not fork-safe) that share the storage; their trials then share cores,
which the run records. Every trial's full result, worker and machine are kept as user
attributes in the study and written into a ``Run`` of kind ``search`` so ``compare`` and
``report`` read searches too.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import sys
import tomllib
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import optuna
from optuna.trial import TrialState

from bench.config import ConfigError, TrialSpec
from bench.data.dataset import DataCache
from bench.kernel_tuning import TUNE_ENV
from bench.results import CurvePoint, Run
from bench.search.patience import StorageLostError
from bench.search.storage import StorageTimes, open_storage, where
from bench.search.study import (
    DONE,
    KIND_ATTR,
    RESULT_ATTR,
    SURPLUS_ATTR,
    Worker,
    check_room,
    create_or_load,
    export_run,
    stamp_trial,
    trial_machine,
    work,
    worker_identity,
)
from bench.train import run_trial

__all__ = ["RESULT_ATTR", "SearchConfig", "finished", "run_search", "study_run"]

SAMPLERS = ("grid", "random", "tpe", "gp", "cmaes")
PRUNERS = ("none", "median", "halving", "hyperband")
KINDS = ("log", "float", "int", "logint", "choice")
# searchable name -> (spec part, field)
PARAMS: dict[str, tuple[str, str]] = {
    "eta": ("train", "eta"),
    "lmbda": ("train", "lmbda"),
    "mu": ("train", "mu"),
    "batch_size": ("train", "mini_batch"),
    "epochs": ("train", "epochs"),
    "hidden": ("net", "sizes"),
}
INT_PARAMS = ("batch_size", "epochs", "hidden")


@dataclass(frozen=True, kw_only=True)
class Dimension:
    """One searched parameter: ``log``/``float`` in [low, high], ``int``/``logint``, or a
    ``choice`` among listed values."""

    name: str
    kind: str
    low: float = 0.0
    high: float = 0.0
    choices: tuple[float, ...] = ()

    def suggest(self, trial: optuna.Trial) -> float | int:
        """The value Optuna's sampler proposes for this trial."""
        if self.kind == "choice":
            return trial.suggest_categorical(self.name, list(self.choices))
        if self.kind in ("int", "logint"):
            return trial.suggest_int(
                self.name, int(self.low), int(self.high), log=self.kind == "logint"
            )
        return trial.suggest_float(self.name, self.low, self.high, log=self.kind == "log")

    def grid(self, points: int) -> list[float | int]:
        """Grid values: the choices, or ``points`` evenly (log-)spaced values."""
        if self.kind == "choice":
            return list(self.choices)
        if points == 1:
            return [self.low]
        if self.kind in ("log", "logint"):
            a, b = math.log(self.low), math.log(self.high)
            vals = [math.exp(a + (b - a) * i / (points - 1)) for i in range(points)]
        else:
            vals = [self.low + (self.high - self.low) * i / (points - 1) for i in range(points)]
        if self.kind in ("int", "logint"):
            return sorted({round(v) for v in vals})
        return [float(f"{v:.3g}") for v in vals]


def parse_dimension(text: str) -> Dimension:
    """``name=kind:low:high`` or ``name=choice:a,b,c``, e.g. ``eta=log:0.01:10``."""
    option = "--space"
    name, sep, rest = text.partition("=")
    name = name.strip()
    if not sep or name not in PARAMS:
        raise ConfigError(
            option, f"{text!r}: write NAME=KIND:LOW:HIGH with NAME one of {', '.join(PARAMS)}"
        )
    kind, _, values = rest.partition(":")
    if kind not in KINDS:
        raise ConfigError(option, f"{text!r}: kind {kind!r} unknown; use {', '.join(KINDS)}")
    try:
        if kind == "choice":
            choices = tuple(float(v) for v in values.split(",") if v.strip())
            if name in INT_PARAMS:
                choices = tuple(int(v) for v in choices)
            if not choices:
                raise ValueError
            return Dimension(name=name, kind=kind, choices=choices)
        low_s, high_s = values.split(":")
        low, high = float(low_s), float(high_s)
    except ValueError:
        raise ConfigError(
            option, f"{text!r}: give numbers as KIND:LOW:HIGH or choice:A,B"
        ) from None
    if not low < high or (kind in ("log", "logint") and low <= 0):
        raise ConfigError(option, f"{text!r}: need low < high (and low > 0 for log)")
    if name in INT_PARAMS and kind in ("log", "float"):
        kind = "logint" if kind == "log" else "int"
    return Dimension(name=name, kind=kind, low=low, high=high)


def load_space(path: Path) -> list[Dimension]:
    """Dimensions from a TOML file: a ``[space]`` table of ``name = "kind:low:high"``."""
    try:
        with open(path, "rb") as fh:
            doc = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise ConfigError("--space-file", f"{path}: {err}") from None
    table = doc.get("space")
    if not isinstance(table, dict) or not table:
        raise ConfigError("--space-file", f'{path} has no [space] table of NAME = "KIND:LOW:HIGH"')
    return [parse_dimension(f"{k}={v}") for k, v in table.items()]


def apply_params(spec: TrialSpec, params: dict[str, Any]) -> TrialSpec:
    """``spec`` with the searched parameters set (``hidden`` replaces the hidden layers)."""
    train, net = spec.train, spec.net
    for name, value in params.items():
        part, fld = PARAMS[name]
        if name == "hidden":
            net = replace(net, sizes=(net.sizes[0], int(value), net.sizes[-1]))
        elif part == "train":
            cast: Any = int(value) if name in INT_PARAMS else float(value)
            train = replace(train, **{fld: cast})
    return replace(spec, train=train, net=net)


def make_sampler(name: str, dims: list[Dimension], seed: int, grid_points: int) -> Any:
    """The Optuna sampler called ``name``; ConfigError if its optional dependency is missing."""
    if name == "grid":
        return optuna.samplers.GridSampler({d.name: d.grid(grid_points) for d in dims}, seed=seed)
    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if name == "tpe":
        return optuna.samplers.TPESampler(seed=seed)
    if name in ("gp", "cmaes"):
        module = "torch" if name == "gp" else "cmaes"
        try:
            __import__(module)
        except ImportError:
            raise ConfigError(
                "--sampler", f"{name} needs the {module} package; pip install {module}, or use tpe"
            ) from None
        if name == "gp":
            return optuna.samplers.GPSampler(seed=seed)
        return optuna.samplers.CmaEsSampler(seed=seed)
    raise ConfigError("--sampler", f"unknown {name!r}; choose one of {', '.join(SAMPLERS)}")


def make_pruner(name: str, *, min_images: int, max_images: int) -> optuna.pruners.BasePruner:
    """The Optuna pruner ``name``; resources are training images seen."""
    if name == "none":
        return optuna.pruners.NopPruner()
    if name == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=min_images)
    if name == "halving":
        return optuna.pruners.SuccessiveHalvingPruner(min_resource=min_images, reduction_factor=3)
    if name == "hyperband":
        return optuna.pruners.HyperbandPruner(
            min_resource=min_images, max_resource=max_images, reduction_factor=3
        )
    raise ConfigError("--pruner", f"unknown {name!r}; choose one of {', '.join(PRUNERS)}")


@dataclass(frozen=True, kw_only=True)
class SearchConfig:
    """Everything a worker process needs (picklable: no open storage, no data)."""

    base: dict[str, Any]  # TrialSpec.to_dict()
    dims: tuple[Dimension, ...]
    study: str
    storage_url: str | None
    results_dir: str
    sampler: str
    pruner: str
    seed: int
    max_images: int  # the pruners' maximum resource: epochs × training images
    grid_points: int = 3
    times: StorageTimes = field(default_factory=StorageTimes)
    peak: bool = True  # measure each worker's GEMM peak (stored with its trials)


def _objective(
    cfg: SearchConfig, cache: DataCache, study: optuna.Study, total: int, worker: Worker
) -> Any:
    base = TrialSpec.from_dict(cfg.base)
    machine = trial_machine(dtype=base.train.dtype, threads=base.train.threads, peak=cfg.peak)

    def objective(trial: optuna.Trial) -> float:
        stamp_trial(trial, worker, machine)
        check_room(study, trial, total)
        params = {d.name: d.suggest(trial) for d in cfg.dims}
        spec = apply_params(base, params)
        data = cache.get(spec)

        def hook(point: CurvePoint) -> bool:
            trial.report(point.val_accuracy, step=point.images_seen)
            return trial.should_prune()

        result = run_trial(spec, data, on_checkpoint=hook, label=f"trial {trial.number}")
        result = replace(result, params=dict(params), machine=machine)
        trial.set_user_attr(RESULT_ATTR, result.to_dict())
        if result.status == "pruned":
            raise optuna.TrialPruned()
        return result.summary.best_val_accuracy

    return objective


def load_or_create(cfg: SearchConfig, worker: Worker | None = None) -> optuna.Study:
    """The study ``cfg.study`` in its storage (created once if new), with this worker's
    sampler (seeded from the worker's identity). The command checked the storage before,
    so a database out of reach now is waited for (:mod:`bench.search.patience`)."""
    base = TrialSpec.from_dict(cfg.base)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = open_storage(
        cfg.storage_url, Path(cfg.results_dir), cfg.study, cfg.times, reconnect=True
    )
    seed = worker.seed if worker is not None else cfg.seed
    study, created = create_or_load(
        cfg.study,
        storage,
        direction="maximize",
        sampler=make_sampler(cfg.sampler, list(cfg.dims), seed, cfg.grid_points),
        pruner=make_pruner(
            cfg.pruner,
            min_images=base.train.monitor_every,
            max_images=max(cfg.max_images, base.train.monitor_every),
        ),
    )
    if created:
        study.set_user_attr(KIND_ATTR, "search")
    return study


def run_worker(cfg: SearchConfig, total: int, index: int = 0) -> None:
    """Run trials in this process until the study holds ``total`` (also a spawn target)."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    worker = worker_identity(cfg.seed, index)
    study = load_or_create(cfg, worker)
    if len(finished(study, DONE)) >= total:
        return
    objective = _objective(cfg, DataCache(), study, total, worker)
    work(study, objective, total, poll=min(1.0, cfg.times.interval / 2))


def worker_process(cfg: SearchConfig, total: int, index: int) -> None:
    """Spawn target of ``--workers N``: :func:`run_worker`; a database lost for good ends
    the process with exit status 2 and no traceback (the parent says it in one line)."""
    try:
        run_worker(cfg, total, index)
    except StorageLostError:
        sys.exit(2)


def finished(
    study: optuna.Study, states: tuple[TrialState, ...] = (*DONE, TrialState.FAIL)
) -> list[optuna.trial.FrozenTrial]:
    """Trials that ended (complete, pruned or failed; running ones and trials given up
    for the study's total are left out)."""
    return [
        t
        for t in study.get_trials(deepcopy=False, states=states)
        if not t.user_attrs.get(SURPLUS_ATTR)
    ]


def run_search(cfg: SearchConfig, *, trials: int, workers: int) -> optuna.Study:
    """Bring the study to ``trials`` finished trials (its total over every worker anywhere)
    with ``workers`` local processes.

    Finished trials already in the storage count (that is how ``--study`` resumes, and how
    workers on other machines share the total).
    """
    study = load_or_create(cfg)
    if workers > 1:
        study.set_user_attr("concurrent", True)
        # concurrent workers would time kernel paths under each other's load: defaults only
        os.environ[TUNE_ENV] = "off"
    if len(finished(study, DONE)) >= trials:
        return study
    if workers == 1:
        run_worker(cfg, trials)
    else:
        ctx = multiprocessing.get_context("spawn")
        procs = [ctx.Process(target=worker_process, args=(cfg, trials, i))
                 for i in range(workers)]  # fmt: skip
        for p in procs:
            p.start()
        for p in procs:
            p.join()
        bad = [p.exitcode for p in procs if p.exitcode != 0]
        if 2 in bad:
            location = where(cfg.storage_url, Path(cfg.results_dir), cfg.study)
            raise StorageLostError(location, cfg.times.wait, f"{bad.count(2)} worker(s) gave up")
        if bad:
            raise RuntimeError(f"{len(bad)} search worker(s) failed (exit codes {bad})")
    return load_or_create(cfg)


def study_run(study: optuna.Study, run: Run) -> Run:
    """Fill ``run`` (kind ``search``) with every finished trial of ``study`` in number
    order, each with the machine it ran on."""
    return export_run(study, run)


def importances(study: optuna.Study) -> dict[str, float] | str:
    """Parameter importances (fractions summing to 1), or why they cannot be computed."""
    complete = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    if len(complete) < 2:
        return f"needs at least 2 completed trials (have {len(complete)})"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return dict(optuna.importance.get_param_importances(study))
    except (RuntimeError, ValueError, ZeroDivisionError) as err:
        return f"not computable yet: {err}"
