"""Automated hyper-parameter search on Optuna: samplers, pruners, storage, worker processes.

Nothing here searches by itself: samplers are Optuna's ``GridSampler``, ``RandomSampler``
(Bergstra & Bengio), ``TPESampler``, ``GPSampler`` (needs torch) and ``CmaEsSampler``
(needs cmaes); pruners are ``MedianPruner``, ``SuccessiveHalvingPruner`` and
``HyperbandPruner``, fed at every validation checkpoint through ``trial.report(accuracy,
step=images seen)`` and ``trial.should_prune()``. The objective is the trial's best
validation accuracy (a fraction, maximised); resources are training images.

Storage is Optuna's journal file ``results/studies/<study>.journal`` by default
(``JournalStorage`` + ``JournalFileBackend``), so ``--study NAME`` resumes a search: the
finished trials are in the journal and only the missing ones run. ``--storage URL`` takes
any URL Optuna accepts, e.g. ``postgresql://user:pw@host/db``: start ``mlpbench search``
with the same ``--study`` and ``--storage`` on several machines and they share the study.
``--workers N`` runs N local processes (spawn context: Numba's thread pools are not
fork-safe) that share the storage; their trials then share cores, which the run records.
Every trial's full result is kept as a user attribute in the study and written into a
``Run`` of kind ``search`` so ``compare`` and ``report`` read searches too.
"""

from __future__ import annotations

import math
import multiprocessing
import tomllib
import warnings
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import optuna

from bench.config import ConfigError, TrialSpec
from bench.results import CurvePoint, Run, TrialResult
from bench.runner import DataCache
from bench.train import run_trial

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
RESULT_ATTR = "mlpbench_result"


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


def open_storage(url: str | None, results_dir: Path, study: str) -> Any:
    """``url`` as given, or the journal file ``results_dir/studies/<study>.journal``."""
    if url:
        return url
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    from bench.journal import check_journal_file

    path = results_dir / "studies" / f"{study}.journal"
    path.parent.mkdir(parents=True, exist_ok=True)
    check_journal_file(path)
    return JournalStorage(JournalFileBackend(str(path)))


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


def _objective(cfg: SearchConfig, cache: DataCache) -> Any:
    base = TrialSpec.from_dict(cfg.base)

    def objective(trial: optuna.Trial) -> float:
        params = {d.name: d.suggest(trial) for d in cfg.dims}
        spec = apply_params(base, params)
        data = cache.get(spec)

        def hook(point: CurvePoint) -> bool:
            trial.report(point.val_accuracy, step=point.images_seen)
            return trial.should_prune()

        result = run_trial(spec, data, on_checkpoint=hook, label=f"trial {trial.number}")
        result = replace(result, params=dict(params))
        trial.set_user_attr(RESULT_ATTR, result.to_dict())
        if result.status == "pruned":
            raise optuna.TrialPruned()
        return result.summary.best_val_accuracy

    return objective


def load_or_create(cfg: SearchConfig, worker: int = 0) -> optuna.Study:
    """The study ``cfg.study`` in its storage (created if new), with this worker's sampler."""
    base = TrialSpec.from_dict(cfg.base)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = open_storage(cfg.storage_url, Path(cfg.results_dir), cfg.study)
    return optuna.create_study(
        study_name=cfg.study,
        storage=storage,
        direction="maximize",
        load_if_exists=True,
        sampler=make_sampler(cfg.sampler, list(cfg.dims), cfg.seed + worker, cfg.grid_points),
        pruner=make_pruner(
            cfg.pruner,
            min_images=base.train.monitor_every,
            max_images=max(cfg.max_images, base.train.monitor_every),
        ),
    )


def run_worker(cfg: SearchConfig, n_trials: int, worker: int = 0) -> None:
    """Run ``n_trials`` trials of the study in this process (also a spawn target)."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if n_trials <= 0:
        return
    study = load_or_create(cfg, worker)
    study.optimize(_objective(cfg, DataCache()), n_trials=n_trials)


def finished(study: optuna.Study) -> list[optuna.trial.FrozenTrial]:
    """Trials that ended (complete, pruned or failed); running ones are left out."""
    states = (
        optuna.trial.TrialState.COMPLETE,
        optuna.trial.TrialState.PRUNED,
        optuna.trial.TrialState.FAIL,
    )
    return [t for t in study.get_trials(deepcopy=False) if t.state in states]


def run_search(cfg: SearchConfig, *, trials: int, workers: int) -> optuna.Study:
    """Bring the study to ``trials`` finished trials with ``workers`` processes.

    Finished trials already in the storage count (that is how ``--study`` resumes); the
    missing ones are split between the workers, so none is run twice and none is lost.
    """
    study = load_or_create(cfg)
    missing = trials - len(finished(study))
    if workers > 1:
        study.set_user_attr("concurrent", True)
    if missing <= 0:
        return study
    if workers == 1:
        run_worker(cfg, missing)
    else:
        ctx = multiprocessing.get_context("spawn")
        shares = [missing // workers + (1 if i < missing % workers else 0) for i in range(workers)]
        procs = [ctx.Process(target=run_worker, args=(cfg, n, i)) for i, n in enumerate(shares)]
        for p in procs:
            p.start()
        for p in procs:
            p.join()
        bad = [p.exitcode for p in procs if p.exitcode != 0]
        if bad:
            raise RuntimeError(f"{len(bad)} search worker(s) failed (exit codes {bad})")
    return load_or_create(cfg)


def study_run(study: optuna.Study, run: Run) -> Run:
    """Fill ``run`` (kind ``search``) with every finished trial of ``study`` in number order."""
    run.concurrent = bool(study.user_attrs.get("concurrent", False))
    run.trials = [
        TrialResult.from_dict(t.user_attrs[RESULT_ATTR])
        for t in finished(study)
        if RESULT_ATTR in t.user_attrs
    ]
    return run


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
