"""The chapter's tuning recipe as functions: strip down, η threshold, λ search, choice by time.

* :func:`strip_preset`: the chapter's stripped problem (digits 0 and 1, the first 1,000
  training images, 100 validation images, a checkpoint every 1,000 images, [784, 10]),
  with λ rescaled so that ηλ/n stays fixed when n shrinks.
* :func:`search_eta`: the learning-rate threshold, judged on the **training cost**: the
  cost of the whole training set evaluated after every epoch (epoch 0 is before any
  training), with λ = 0. Orders of magnitude from η = 0.01, then refined by geometric
  bisection; the recommendation is half the threshold.
* :func:`search_lmbda`: λ from 1.0 by factors of 10 on **validation accuracy** (best
  checkpoint of the trial), then refined; λ = 0 is tried too, so the choice is never worse
  than no regularisation on the validation data.
* :func:`compare_trials`: mini-batch size or momentum μ chosen by validation accuracy
  against real elapsed (kernel) time: time to target and area under the accuracy–time curve.

:mod:`bench.recipe.tune` chains them. Nothing here prints or draws: progress goes to the
``on_trial`` callback, rendering lives in :mod:`bench.recipe.report` and
:mod:`bench.recipe.plots`.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, replace

from bench.config import ConfigError, TrialSpec, check_against_data, spec_arguments
from bench.data.dataset import DataCache, Dataset
from bench.data.sources import SOURCES
from bench.results import DIVERGED, TrialResult, on_training_set
from bench.train import run_trial

FALLS, OSCILLATES, RISES = "falls", "oscillates", "rises"

# The chapter's preset for --strip (the classes it keeps: each source's strip_classes).
STRIP_N_TRAIN = 1000
STRIP_N_VAL = 100
STRIP_MONITOR = 1000

TrialSink = Callable[[TrialResult], None]


def round_sig(x: float, digits: int = 2) -> float:
    """``x`` rounded to ``digits`` significant digits (η and λ values people can type)."""
    return float(f"{x:.{digits}g}") if x > 0 else x


def rescale_lmbda(lmbda: float, n_from: int, n_to: int) -> float:
    """λ for a training set of ``n_to`` images that keeps ηλ/n as it was with ``n_from``.

    The book's example: λ = 1,000 on 50,000 images becomes 20 on 1,000 images.
    """
    return lmbda * n_to / n_from


def _run(spec: TrialSpec, data: Dataset, label: str, sink: TrialSink | None) -> TrialResult:
    check_against_data(
        spec, n_features=data.n_features, n_classes=data.n_classes, n_train=data.n_train
    )
    result = run_trial(spec, data, label=label)
    if sink is not None:
        sink(result)
    return result


# --- stripping ---------------------------------------------------------------------------


def strip_preset(
    spec: TrialSpec, *, explicit: frozenset[str], cache: DataCache, rescale: bool = True
) -> tuple[TrialSpec, list[str]]:
    """Apply the chapter's stripped-down problem to ``spec``; return it and what was changed.

    Pieces named in ``explicit`` (``sizes``, ``digits``, ``train_size``, ``val_size``,
    ``monitor_every``) keep the user's value. The 1,000 training images are capped at what
    the chosen digits leave (about 850 zeros and ones in mnist5k). With ``rescale``, λ is
    multiplied by n_stripped / n_full so that ηλ/n is unchanged.
    """
    d = spec.data
    digits = d.digits if "digits" in explicit else SOURCES[d.source].strip_classes
    full = cache.get(replace(spec, data=replace(d, digits=None, n_train=None, n_val=None)))
    n_full = full.n_train
    notes = []
    n_train = d.n_train
    if "train_size" not in explicit:
        avail = cache.get(
            replace(spec, data=replace(d, digits=digits, n_train=None, n_val=None))
        ).n_train
        n_train = min(STRIP_N_TRAIN, avail)
        if n_train < STRIP_N_TRAIN:
            notes.append(f"only {avail:,} training images of digits {digits} in {d.source}")
    avail_val = cache.get(
        replace(spec, data=replace(d, digits=digits, n_train=None, n_val=None))
    ).n_val
    n_val = d.n_val if "val_size" in explicit else min(STRIP_N_VAL, avail_val)
    data = replace(d, digits=digits, n_train=n_train, n_val=n_val)
    sizes = spec.net.sizes if "sizes" in explicit else (full.n_features, full.n_classes)
    monitor = spec.train.monitor_every if "monitor_every" in explicit else STRIP_MONITOR
    n_new = cache.get(replace(spec, data=data, net=replace(spec.net, sizes=sizes))).n_train
    lmbda = spec.train.lmbda
    if rescale and n_new != n_full and lmbda > 0:
        lmbda = rescale_lmbda(lmbda, n_full, n_new)
        notes.append(
            f"λ rescaled {spec.train.lmbda:g} → {lmbda:.4g} to keep ηλ/n fixed "
            f"(n {n_full:,} → {n_new:,}); --keep-lmbda uses λ as given"
        )
    notes.insert(
        0,
        (
            f"--strip: digits {','.join(map(str, digits or ()))}, first {n_new:,} training images, "
            f"{n_val} validation images, a checkpoint every {monitor:,} images, "
            f"network {','.join(map(str, sizes))}"
        ),
    )
    out = replace(
        spec,
        net=replace(spec.net, sizes=sizes),
        train=replace(spec.train, lmbda=lmbda, monitor_every=monitor),
        data=data,
    )
    return out, notes


# --- the learning-rate threshold ---------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class EtaProbe:
    """One η tried: the training cost after each epoch (index 0: before training)."""

    eta: float
    costs: tuple[float, ...]  # mean per-sample training-set cost (+ L2 term, 0 at λ=0)
    verdict: str  # falls | oscillates | rises
    trial: TrialResult


@dataclass(frozen=True, kw_only=True)
class EtaSearch:
    """The threshold search: probes in the order tried, threshold and recommendation."""

    probes: list[EtaProbe]
    threshold: float | None  # largest η whose training cost falls (None: none fell)
    recommended: float | None  # half the threshold
    epochs: int  # epochs per probe


def training_cost_view(data: Dataset) -> Dataset:
    """``data`` with the training set also as the validation set.

    Checkpoints then report the cost and accuracy on the whole training set, which is what
    the threshold is judged on.
    """
    return replace(data, X_val=data.X_train, y_val=data.y_train, name=f"{data.name} (train)")


def cost_verdict(costs: tuple[float, ...] | list[float], tolerance: float = 0.01) -> str:
    """``falls``, ``oscillates`` or ``rises`` for training costs after epochs 0, 1, 2 …

    Rises: non-finite, fewer than two values, or no net fall. Oscillates: a net fall, but
    some epoch raised the cost by more than ``tolerance`` (a fraction) over the one before.
    """
    if len(costs) < 2 or not all(math.isfinite(c) for c in costs) or costs[-1] >= costs[0]:
        return RISES
    if any(b > a * (1 + tolerance) for a, b in itertools.pairwise(costs)):
        return OSCILLATES
    return FALLS


def probe_eta(
    spec: TrialSpec, data: Dataset, eta: float, *, epochs: int, sink: TrialSink | None = None
) -> EtaProbe:
    """Train ``epochs`` epochs at ``eta`` (λ as in ``spec``) with a checkpoint per epoch.

    The checkpoints evaluate the training set; the trial records them as
    ``train_set_cost``/``train_set_accuracy`` (see :func:`bench.results.on_training_set`).
    """
    train_view = training_cost_view(data)
    train = replace(
        spec.train,
        eta=eta,
        epochs=epochs,
        monitor_every=data.n_train,
        schedule="constant",
        early_stop=None,
        stop_at_target=False,
        time_budget=None,
    )
    trial = on_training_set(_run(replace(spec, train=train), train_view, f"η={eta:g}", None))
    if sink is not None:
        sink(trial)
    costs = tuple(p.train_set_cost for p in trial.curve if p.train_set_cost is not None)
    verdict = RISES if trial.status == DIVERGED else cost_verdict(costs)
    return EtaProbe(eta=eta, costs=costs, verdict=verdict, trial=trial)


def search_eta(
    spec: TrialSpec,
    data: Dataset,
    *,
    start: float = 0.01,
    epochs: int = 5,
    refine_steps: int = 2,
    max_orders: int = 6,
    sink: TrialSink | None = None,
) -> EtaSearch:
    """The book's threshold search on training cost, with λ = 0.

    Tries ``start``, then η × 10 while the cost falls (or η / 10 until it does), then
    ``refine_steps`` geometric bisections between the last η that falls and the first that
    does not. Each probe trains ``epochs`` epochs from the same seed.
    """
    spec = replace(spec, train=replace(spec.train, lmbda=0.0))
    probes: dict[float, EtaProbe] = {}

    def falls(eta: float) -> bool:
        if eta not in probes:
            probes[eta] = probe_eta(spec, data, eta, epochs=epochs, sink=sink)
        return probes[eta].verdict == FALLS

    lo: float | None
    hi: float | None
    if falls(start):
        lo, hi = start, None
        for _ in range(max_orders):
            if not falls(round_sig(lo * 10)):
                hi = round_sig(lo * 10)
                break
            lo = round_sig(lo * 10)
    else:
        lo, hi = None, start
        for _ in range(max_orders):
            cand = round_sig(hi / 10)
            if falls(cand):
                lo = cand
                break
            hi = cand
    if lo is not None and hi is not None:
        for _ in range(refine_steps):
            mid = round_sig(math.sqrt(lo * hi))
            if mid in (lo, hi):
                break
            if falls(mid):
                lo = mid
            else:
                hi = mid
    return EtaSearch(
        probes=list(probes.values()),
        threshold=lo,
        recommended=round_sig(lo / 2) if lo is not None else None,
        epochs=epochs,
    )


# --- λ by factors of 10 ------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class LambdaProbe:
    """One λ tried and its validation accuracy (best checkpoint of the trial, a fraction)."""

    lmbda: float
    accuracy: float
    trial: TrialResult


@dataclass(frozen=True, kw_only=True)
class LambdaSearch:
    """The λ search: probes in the order tried (λ = 0 last) and the choice."""

    probes: list[LambdaProbe]
    best: float  # the λ with the highest validation accuracy (0.0 if none beat λ = 0)
    best_accuracy: float
    baseline_accuracy: float  # at λ = 0
    eta: float


def search_lmbda(
    spec: TrialSpec,
    data: Dataset,
    *,
    start: float = 1.0,
    refine_steps: int = 1,
    max_orders: int = 4,
    sink: TrialSink | None = None,
) -> LambdaSearch:
    """λ from ``start`` by factors of 10 on validation accuracy, then refined.

    Tries ``start`` × 10 and ``start`` / 10 and keeps moving in the direction that improves
    until it stops improving (at most ``max_orders`` more steps), then ``refine_steps``
    rounds try the best λ × and ÷ 10^(1/2), 10^(1/4) …. Ties keep the λ tried first.
    Training length, schedule and early stopping come from ``spec``.
    """
    probes: dict[float, LambdaProbe] = {}

    def acc(lmbda: float) -> float:
        if lmbda not in probes:
            trial = _run(
                replace(spec, train=replace(spec.train, lmbda=lmbda)), data, f"λ={lmbda:g}", sink
            )
            probes[lmbda] = LambdaProbe(
                lmbda=lmbda, accuracy=trial.summary.best_val_accuracy, trial=trial
            )
        return probes[lmbda].accuracy

    best = start
    a0, up, down = acc(start), acc(round_sig(start * 10)), acc(round_sig(start / 10))
    step = 10.0 if up > a0 and up >= down else 0.1 if down > a0 else None
    if step is not None:
        best = round_sig(start * step)
        for _ in range(max_orders):
            nxt = round_sig(best * step)
            if acc(nxt) > acc(best):
                best = nxt
            else:
                break
    for k in range(refine_steps):
        f = 10 ** (0.5 ** (k + 1))
        for cand in (round_sig(best / f), round_sig(best * f)):
            if acc(cand) > acc(best):
                best = cand
    baseline = acc(0.0)
    chosen = max(probes.values(), key=lambda p: p.accuracy)  # first maximum in order tried
    if probes[best].accuracy >= chosen.accuracy:
        chosen = probes[best]
    return LambdaSearch(
        probes=list(probes.values()),
        best=chosen.lmbda,
        best_accuracy=chosen.accuracy,
        baseline_accuracy=baseline,
        eta=spec.train.eta,
    )


# --- choice by accuracy against elapsed time ---------------------------------------------


def mean_accuracy(trial: TrialResult, horizon: float, time_axis: str = "train_seconds") -> float:
    """Area under validation accuracy vs time over [0, ``horizon``] seconds, divided by it.

    Linear between checkpoints; after the trial's last checkpoint its last accuracy holds.
    A fraction in [0, 1]: the higher, the faster the trial learned in that time.
    """
    pts = [(getattr(p, time_axis), p.val_accuracy) for p in trial.curve]
    if horizon <= 0 or not pts:
        return pts[-1][1] if pts else 0.0
    area = 0.0
    for (t0, a0), (t1, a1) in itertools.pairwise(pts):
        if t0 >= horizon:
            break
        if t1 > horizon:  # interpolate to the horizon
            a1 = a0 + (a1 - a0) * (horizon - t0) / (t1 - t0)
            t1 = horizon
        area += 0.5 * (a0 + a1) * (t1 - t0)
    t_last, a_last = pts[-1]
    if t_last < horizon:
        area += a_last * (horizon - t_last)
    return area / horizon


@dataclass(frozen=True, kw_only=True)
class TimeChoice:
    """Which trial learned fastest: by time to target and by mean accuracy over a horizon."""

    by_target: str | None  # label with the least time to target (None: none reached it)
    by_area: str  # label with the highest mean accuracy over [0, horizon]
    horizon: float  # seconds: the shortest trial's training time
    areas: dict[str, float]  # label -> mean accuracy over the horizon (fraction)


def choose_by_time(trials: list[TrialResult], time_axis: str = "train_seconds") -> TimeChoice:
    """Pick the fastest learner among ``trials`` (labels must differ).

    The horizon is the shortest trial's last checkpoint time, so every trial is judged on
    the same span of real elapsed time.
    """
    if not trials:
        raise ValueError("no trials to choose from")
    horizon = min(getattr(t.curve[-1], time_axis) for t in trials)
    areas = {t.label: mean_accuracy(t, horizon, time_axis) for t in trials}
    reached = [t for t in trials if t.summary.time_to_target_seconds is not None]
    by_target = (
        min(reached, key=lambda t: t.summary.time_to_target_seconds or 0.0).label
        if reached
        else None
    )
    by_area = max(trials, key=lambda t: areas[t.label]).label
    return TimeChoice(by_target=by_target, by_area=by_area, horizon=horizon, areas=areas)


def check_values(option: str, values: list[float], low: float, high: float) -> None:
    """ConfigError unless every value lies in [low, high)."""
    bad = [v for v in values if not low <= v < high]
    if bad:
        raise ConfigError(option, f"{bad[0]:g} is outside [{low:g}, {high:g})")


def train_command(spec: TrialSpec) -> list[str]:
    """The ``mlpbench train`` argument list that reproduces ``spec`` (defaults left out).

    Generated from the spec fields' option declarations (:func:`bench.config.spec_arguments`),
    so every option a spec holds is named; parsing it back gives the identical spec.
    """
    return ["mlpbench", "train", *spec_arguments(spec)]
