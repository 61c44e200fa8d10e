"""``tune``: the chapter's whole recipe, stage by stage, into one study report.

One function per stage (:func:`stage_strip`, :func:`stage_eta`, :func:`stage_lmbda`,
:func:`stage_batch`, :func:`stage_epochs`), each returning a typed result that the next
stage reads (numbers, never labels); :func:`tune` chains them and turns each into a
:class:`~bench.recipe.report.StageReport`.

Order, as in the book: strip the problem down (:func:`bench.recipe.recipe.strip_preset`), find the
η threshold there with λ = 0, λ by factors of 10, grow back to the full data and network
(λ rescaled to keep ηλ/n fixed, then η and λ re-tuned from the stripped values), mini-batch
size by validation accuracy against real elapsed time, and the number of epochs by early
stopping (no-improvement-in-n checkpoints). Each stage is handed to ``on_stage`` as a
:class:`~bench.recipe.report.StageReport` as soon as it is done; figures are written into
``folder``. Printing is the caller's job.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from bench.config import TrialSpec, scaled_eta
from bench.data.dataset import DataCache, Dataset
from bench.plots import save_figure
from bench.recipe.plots import accuracy_vs_lmbda, accuracy_vs_time, cost_vs_epoch
from bench.recipe.recipe import (
    EtaSearch,
    LambdaSearch,
    TimeChoice,
    TrialSink,
    choose_by_time,
    rescale_lmbda,
    round_sig,
    search_eta,
    search_lmbda,
    strip_preset,
    train_command,
)
from bench.recipe.report import StageReport, eta_stage, lmbda_stage, time_stage
from bench.results import CurvePoint, TrialResult
from bench.runner import QuietObserver, plan_sweep, run_each
from bench.train import run_trial


@dataclass(frozen=True, kw_only=True)
class TuneOptions:
    """How much work each stage does (the defaults finish on mnist5k in a few minutes)."""

    probe_epochs: int = 4  # epochs per η probe (the "first few epochs")
    eta_refine: int = 2  # geometric bisections after the orders of magnitude
    lmbda_epochs: int = 10  # epochs per λ probe
    lmbda_refine: int = 1  # refinement rounds around the best order of magnitude
    batch_sizes: tuple[int, ...] = (1, 10, 100)  # mini-batch sizes compared by time
    batch_epochs: int = 3  # epochs per mini-batch trial
    eta_scaling: str = "none"  # η rule across batch sizes: none | linear | sqrt
    patience: int = 10  # early stopping: checkpoints without improvement
    max_epochs: int = 30  # upper bound for the early-stopping run


@dataclass(kw_only=True)
class TuneResult:
    """Every stage, every trial (labelled by stage) and the recommended configuration."""

    stages: list[StageReport] = field(default_factory=list)
    trials: list[TrialResult] = field(default_factory=list)
    final: TrialSpec | None = None

    @property
    def final_command(self) -> list[str]:
        """The ``mlpbench train`` command line of the recommendation."""
        if self.final is None:
            raise ValueError("tune has not finished")
        return train_command(self.final)


@dataclass(frozen=True, kw_only=True)
class Stripped:
    """Stage 1: the chapter's stripped problem (λ = 0) and its data."""

    spec: TrialSpec
    data: Dataset
    notes: list[str]


@dataclass(frozen=True, kw_only=True)
class EtaStage:
    """An η threshold search and the η carried on (its recommendation, else ``fallback``)."""

    search: EtaSearch
    eta: float


@dataclass(frozen=True, kw_only=True)
class LmbdaStage:
    """A λ search; ``search.best`` is the λ carried on."""

    search: LambdaSearch


@dataclass(frozen=True, kw_only=True)
class BatchStage:
    """Mini-batch sizes compared by accuracy against training time; the chosen size."""

    spec: TrialSpec  # the tuned configuration the sizes were tried with
    trials: list[TrialResult]
    choice: TimeChoice
    mini_batch: int  # the size of the trial with the best mean accuracy over the horizon


@dataclass(frozen=True, kw_only=True)
class EpochsStage:
    """The early-stopping run: where it peaked and the epochs to train."""

    spec: TrialSpec
    trial: TrialResult
    best: CurvePoint
    epochs: int


def stage_strip(base: TrialSpec, cache: DataCache) -> Stripped:
    """The stripped problem of ``base`` (:func:`bench.recipe.recipe.strip_preset`), with λ = 0."""
    stripped, notes = strip_preset(base, explicit=frozenset(), cache=cache)
    stripped = replace(stripped, train=replace(stripped.train, lmbda=0.0))
    return Stripped(spec=stripped, data=cache.get(stripped), notes=notes)


def stage_eta(
    spec: TrialSpec, data: Dataset, opt: TuneOptions, sink: TrialSink, *, start: float,
    fallback: float,
) -> EtaStage:  # fmt: skip
    """The η threshold of ``spec`` on ``data`` from ``start``."""
    search = search_eta(
        spec, data, start=start, epochs=opt.probe_epochs, refine_steps=opt.eta_refine, sink=sink
    )
    return EtaStage(search=search, eta=search.recommended or fallback)


def stage_lmbda(
    spec: TrialSpec, data: Dataset, opt: TuneOptions, sink: TrialSink, *, eta: float,
    start: float = 1.0,
) -> LmbdaStage:  # fmt: skip
    """λ by factors of 10 from ``start`` at η = ``eta``, ``opt.lmbda_epochs`` epochs each."""
    spec = replace(spec, train=replace(spec.train, eta=eta, epochs=opt.lmbda_epochs))
    return LmbdaStage(
        search=search_lmbda(spec, data, start=start, refine_steps=opt.lmbda_refine, sink=sink)
    )


def stage_batch(
    tuned: TrialSpec, cache: DataCache, opt: TuneOptions, sink: TrialSink
) -> BatchStage:
    """Each of ``opt.batch_sizes`` for ``opt.batch_epochs`` epochs (the runner's loop)."""
    spec = replace(tuned, train=replace(tuned.train, epochs=opt.batch_epochs))
    planned = plan_sweep(spec, tuple(opt.batch_sizes), 1, opt.eta_scaling)
    trials = []
    for trial in run_each(planned, QuietObserver(), cache):
        sink(trial)
        trials.append(trial)
    choice = choose_by_time(trials)
    chosen = next(t for t in trials if t.label == choice.by_area)
    return BatchStage(
        spec=spec, trials=trials, choice=choice, mini_batch=chosen.config.train.mini_batch
    )


def stage_epochs(
    batch: BatchStage, data: Dataset, opt: TuneOptions, sink: TrialSink
) -> EpochsStage:
    """Early stopping (``opt.patience``) at the chosen mini-batch, up to ``opt.max_epochs``."""
    tr = batch.spec.train
    eta = scaled_eta(tr.eta, batch.mini_batch, opt.eta_scaling)
    spec = replace(batch.spec, train=replace(
        tr, mini_batch=batch.mini_batch, eta=eta, epochs=opt.max_epochs, early_stop=opt.patience
    ))  # fmt: skip
    trial = run_trial(spec, data, label=f"early-stop {opt.patience}")
    sink(trial)
    best = max(trial.curve, key=lambda p: p.val_accuracy)
    return EpochsStage(spec=spec, trial=trial, best=best, epochs=max(1, math.ceil(best.epoch)))


class _Recorder:
    """Collects the stages and the trials (labelled by stage) and forwards them."""

    def __init__(
        self,
        on_stage: Callable[[StageReport], None] | None,
        on_trial: Callable[[TrialResult], None] | None,
    ) -> None:
        self.result = TuneResult()
        self._on_stage, self._on_trial = on_stage, on_trial

    def sink(self, stage: str) -> TrialSink:
        """A trial sink that labels each trial ``"<stage>: <label>"``."""

        def record(trial: TrialResult) -> None:
            labelled = replace(trial, label=f"{stage}: {trial.label}")
            self.result.trials.append(labelled)
            if self._on_trial is not None:
                self._on_trial(labelled)

        return record

    def done(self, stage: StageReport) -> None:
        """A finished stage."""
        self.result.stages.append(stage)
        if self._on_stage is not None:
            self._on_stage(stage)


def tune(
    base: TrialSpec,
    cache: DataCache,
    folder: Path,
    *,
    options: TuneOptions | None = None,
    on_stage: Callable[[StageReport], None] | None = None,
    on_trial: Callable[[TrialResult], None] | None = None,
) -> TuneResult:
    """Run the recipe from ``base`` (the full problem: its data, sizes, stopping rules)."""
    opt = options or TuneOptions()
    rec = _Recorder(on_stage, on_trial)

    def fig(name: str) -> Path:
        return folder / f"{name}.png"

    strip = stage_strip(base, cache)
    rec.done(StageReport(title="Strip down", columns=[], rows=[], findings=strip.notes[:1]))
    s_eta = stage_eta(strip.spec, strip.data, opt, rec.sink("strip η"), start=0.01,
                      fallback=base.train.eta)  # fmt: skip
    png = save_figure(cost_vs_epoch(s_eta.search), fig("eta-stripped"))
    rec.done(eta_stage("η threshold, stripped problem", s_eta.search, png))
    s_lam = stage_lmbda(strip.spec, strip.data, opt, rec.sink("strip λ"), eta=s_eta.eta)
    png = save_figure(accuracy_vs_lmbda(s_lam.search), fig("lmbda-stripped"))
    rec.done(lmbda_stage("λ by factors of 10, stripped problem", s_lam.search, png))

    data_f = cache.get(base)
    f_eta = stage_eta(base, data_f, opt, rec.sink("full η"),
                      start=s_eta.search.threshold or 0.01, fallback=s_eta.eta)  # fmt: skip
    png = save_figure(cost_vs_epoch(f_eta.search), fig("eta-full"))
    rec.done(_first_finding(
        eta_stage("Grow back: η re-tuned on the full data and network", f_eta.search, png),
        f"Full problem: network {','.join(map(str, base.net.sizes))}, {data_f.n_train:,} "
        f"training and {data_f.n_val:,} validation images; the search starts at the stripped "
        f"threshold η = {s_eta.search.threshold}.",
    ))  # fmt: skip
    lam_grown = rescale_lmbda(s_lam.search.best, strip.data.n_train, data_f.n_train)
    f_lam = stage_lmbda(base, data_f, opt, rec.sink("full λ"), eta=f_eta.eta,
                        start=round_sig(lam_grown) if lam_grown > 0 else 1.0)  # fmt: skip
    png = save_figure(accuracy_vs_lmbda(f_lam.search), fig("lmbda-full"))
    rec.done(_first_finding(
        lmbda_stage("Grow back: λ re-tuned on the full data", f_lam.search, png),
        f"λ = {s_lam.search.best:g} on {strip.data.n_train:,} images rescaled to "
        f"{lam_grown:.4g} on {data_f.n_train:,} (ηλ/n fixed); the factor-of-10 search starts "
        "there.",
    ))  # fmt: skip

    tuned = replace(base, train=replace(base.train, eta=f_eta.eta, lmbda=f_lam.search.best))
    batch = stage_batch(tuned, cache, opt, rec.sink("batch"))
    png = save_figure(accuracy_vs_time(batch.trials, title="Mini-batch size: accuracy vs training "
                                       "time", target=base.train.target), fig("batch"))  # fmt: skip
    rec.done(time_stage("Mini-batch size by accuracy vs elapsed time", batch.trials,
                        batch.choice, png, "mini-batch"))  # fmt: skip
    ep = stage_epochs(batch, data_f, opt, rec.sink("epochs"))
    png = save_figure(accuracy_vs_time([ep.trial], title="Epochs by early stopping",
                                       target=base.train.target), fig("epochs"))  # fmt: skip
    rec.done(_epochs_report(ep, opt, png))
    rec.result.final = replace(ep.spec, train=replace(
        ep.spec.train, epochs=ep.epochs, early_stop=base.train.early_stop
    ))  # fmt: skip
    return rec.result


def _first_finding(stage: StageReport, finding: str) -> StageReport:
    """``stage`` with ``finding`` put first (the grow-back stages open with the problem)."""
    stage.findings.insert(0, finding)
    return stage


def _epochs_report(ep: EpochsStage, opt: TuneOptions, png: Path | None) -> StageReport:
    """The early-stopping stage's report."""
    best, trial = ep.best, ep.trial
    return StageReport(
        title="Epochs by early stopping",
        columns=["stopped by", "epochs run", "best at epoch", "best val accuracy"],
        rows=[
            [
                trial.stop_reason,
                f"{trial.summary.epochs:.2f}",
                f"{best.epoch:.2f}",
                f"{best.val_accuracy:.2%}",
            ]
        ],
        findings=[
            f"No-improvement-in-{opt.patience}: best validation accuracy "
            f"{best.val_accuracy:.2%} after {best.epoch:.2f} epochs; train {ep.epochs} epochs."
        ],
        figure=png,
        values={"epochs": ep.epochs},
    )
