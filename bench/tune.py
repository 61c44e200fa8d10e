"""``tune``: the chapter's whole recipe, stage by stage, into one study report.

Order, as in the book: strip the problem down (:func:`bench.recipe.strip_preset`), find the
η threshold there with λ = 0, λ by factors of 10, grow back to the full data and network
(λ rescaled to keep ηλ/n fixed, then η and λ re-tuned from the stripped values), mini-batch
size by validation accuracy against real elapsed time, and the number of epochs by early
stopping (no-improvement-in-n checkpoints). Each stage is handed to ``on_stage`` as a
:class:`~bench.recipe_report.StageReport` as soon as it is done; figures are written into
``folder``. Printing is the caller's job.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from bench.config import TrialSpec, scaled_eta
from bench.plots import save_figure
from bench.recipe import (
    choose_by_time,
    rescale_lmbda,
    round_sig,
    search_eta,
    search_lmbda,
    strip_preset,
    train_command,
)
from bench.recipe_plots import accuracy_vs_lmbda, accuracy_vs_time, cost_vs_epoch
from bench.recipe_report import StageReport, eta_stage, lmbda_stage, time_stage
from bench.results import TrialResult
from bench.runner import DataCache, plan_sweep
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
    result = TuneResult()
    stage_name = ""

    def sink(trial: TrialResult) -> None:
        labelled = replace(trial, label=f"{stage_name}: {trial.label}")
        result.trials.append(labelled)
        if on_trial is not None:
            on_trial(labelled)

    def done(stage: StageReport) -> None:
        result.stages.append(stage)
        if on_stage is not None:
            on_stage(stage)

    def fig_path(name: str) -> Path:
        return folder / f"{name}.png"

    # 1. strip down
    stripped, notes = strip_preset(base, explicit=frozenset(), cache=cache)
    stripped = replace(stripped, train=replace(stripped.train, lmbda=0.0))
    data_s = cache.get(stripped)
    done(StageReport(title="Strip down", columns=[], rows=[], findings=notes[:1]))

    # 2. η threshold on the stripped problem, λ = 0
    stage_name = "strip η"
    eta_s = search_eta(
        stripped, data_s, epochs=opt.probe_epochs, refine_steps=opt.eta_refine, sink=sink
    )
    png = save_figure(cost_vs_epoch(eta_s), fig_path("eta-stripped"))
    done(eta_stage("η threshold, stripped problem", eta_s, png))
    eta1 = eta_s.recommended or base.train.eta

    # 3. λ by factors of 10 on the stripped problem
    stage_name = "strip λ"
    spec_l = replace(stripped, train=replace(stripped.train, eta=eta1, epochs=opt.lmbda_epochs))
    lam_s = search_lmbda(spec_l, data_s, refine_steps=opt.lmbda_refine, sink=sink)
    png = save_figure(accuracy_vs_lmbda(lam_s), fig_path("lmbda-stripped"))
    done(lmbda_stage("λ by factors of 10, stripped problem", lam_s, png))

    # 4. grow back: full data and network; λ rescaled, then η and λ re-tuned
    data_f = cache.get(base)
    lam_grown = rescale_lmbda(lam_s.best, data_s.n_train, data_f.n_train)
    stage_name = "full η"
    eta_f = search_eta(
        base,
        data_f,
        start=eta_s.threshold or 0.01,
        epochs=opt.probe_epochs,
        refine_steps=opt.eta_refine,
        sink=sink,
    )
    png = save_figure(cost_vs_epoch(eta_f), fig_path("eta-full"))
    st = eta_stage("Grow back: η re-tuned on the full data and network", eta_f, png)
    st.findings.insert(
        0,
        (
            f"Full problem: network {','.join(map(str, base.net.sizes))}, {data_f.n_train:,} "
            f"training and {data_f.n_val:,} validation images; the search starts at the stripped "
            f"threshold η = {eta_s.threshold}."
        ),
    )
    done(st)
    eta2 = eta_f.recommended or eta1
    stage_name = "full λ"
    spec_f = replace(base, train=replace(base.train, eta=eta2, epochs=opt.lmbda_epochs))
    lam_f = search_lmbda(
        spec_f,
        data_f,
        start=round_sig(lam_grown) if lam_grown > 0 else 1.0,
        refine_steps=opt.lmbda_refine,
        sink=sink,
    )
    png = save_figure(accuracy_vs_lmbda(lam_f), fig_path("lmbda-full"))
    st = lmbda_stage("Grow back: λ re-tuned on the full data", lam_f, png)
    st.findings.insert(
        0,
        (
            f"λ = {lam_s.best:g} on {data_s.n_train:,} images rescaled to {lam_grown:.4g} on "
            f"{data_f.n_train:,} (ηλ/n fixed); the factor-of-10 search starts there."
        ),
    )
    done(st)

    # 5. mini-batch size by accuracy against elapsed time
    stage_name = "batch"
    tuned = replace(
        base, train=replace(base.train, eta=eta2, lmbda=lam_f.best, epochs=opt.batch_epochs)
    )
    batch_trials = []
    for planned in plan_sweep(tuned, tuple(opt.batch_sizes), 1, opt.eta_scaling):
        trial = run_trial(planned.spec, cache.get(planned.spec), label=planned.label)
        sink(trial)
        batch_trials.append(trial)
    choice = choose_by_time(batch_trials)
    png = save_figure(
        accuracy_vs_time(
            batch_trials,
            title="Mini-batch size: accuracy vs training time",
            target=base.train.target,
        ),
        fig_path("batch"),
    )
    done(
        time_stage(
            "Mini-batch size by accuracy vs elapsed time", batch_trials, choice, png, "mini-batch"
        )
    )
    mb = int(choice.by_area.split("=")[1].split()[0])

    # 6. epochs by early stopping
    stage_name = "epochs"
    eta3 = scaled_eta(eta2, mb, opt.eta_scaling)
    run_spec = replace(
        tuned,
        train=replace(
            tuned.train, mini_batch=mb, eta=eta3, epochs=opt.max_epochs, early_stop=opt.patience
        ),
    )
    trial = run_trial(run_spec, data_f, label=f"early-stop {opt.patience}")
    sink(trial)
    best = max(trial.curve, key=lambda p: p.val_accuracy)
    epochs = max(1, math.ceil(best.epoch))
    png = save_figure(
        accuracy_vs_time([trial], title="Epochs by early stopping", target=base.train.target),
        fig_path("epochs"),
    )
    done(
        StageReport(
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
                f"{best.val_accuracy:.2%} after {best.epoch:.2f} epochs; train {epochs} epochs."
            ],
            figure=png,
            values={"epochs": epochs},
        )
    )
    result.final = replace(
        run_spec, train=replace(run_spec.train, epochs=epochs, early_stop=base.train.early_stop)
    )
    return result
