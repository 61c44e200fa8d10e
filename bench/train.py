"""One monitored trial: train in chunks of ``monitor_every`` images, evaluate, record, stop.

The kernels run a whole chunk of mini-batches per call. Only those calls are timed
(``train_seconds``); evaluation and bookkeeping count towards ``wall_seconds`` alone. A
warm-up on throwaway copies (one call per batch size the trial runs, the ragged last
mini-batch included) compiles (or loads from cache) every kernel before the clock starts;
its duration is reported as ``compile_seconds``. The kernel path is chosen before that
(:func:`trial_path`), a brief tune included where one runs.

Stopping rules, checked at every checkpoint: epochs, time budget (train seconds), target
accuracy (``stop_at_target``), early stopping (no improvement in n checkpoints), the
halve-on-plateau schedule (stop once η fell by ``eta_stop_factor``), divergence (non-finite
cost or weights, or validation cost above ``diverge_factor`` × its initial value), and an
optional caller hook (used by search pruners). Nothing here prints.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bench.config import TrialSpec
from bench.data.dataset import Dataset
from bench.kernel_tuning import Shape, resolve_path
from bench.results import (
    COMPLETED,
    DIVERGED,
    PRUNED,
    CurvePoint,
    TrialResult,
    TrialSummary,
)
from bench.stability import StateMonitor, chunk_rates
from bench.timing import timed_steps
from kernels import (
    backend_info,
    compile_report,
    effective_threads,
    load_backend,
    open_session,
)
from kernels.layout import flops_per_sample, flops_per_update, init_params, sizes_array, views
from kernels.paths import blas_threads, executed_flops_per_update
from kernels.session import CPU, VAL, Session

# Called after each checkpoint; returning True stops the trial as "pruned".
CheckpointHook = Callable[[CurvePoint], bool]


@dataclass
class _Stop:
    status: str
    reason: str


def l2_term(
    params: npt.NDArray[np.floating], sizes: npt.NDArray[np.int64], lmbda_n: float
) -> float:
    """``0.5·(λ/n)·Σw²`` over the weights (biases excluded)."""
    if lmbda_n == 0:
        return 0.0
    with np.errstate(over="ignore", invalid="ignore"):  # a diverged net may overflow: inf
        total = sum(float(np.dot(W.ravel(), W.ravel())) for W, _ in views(params, sizes))
    return 0.5 * lmbda_n * total


def run_trial(
    spec: TrialSpec,
    data: Dataset,
    *,
    on_checkpoint: CheckpointHook | None = None,
    label: str = "",
) -> TrialResult:
    """Train one network as ``spec`` says on ``data`` and return its monitored result.

    BLAS (also the BLAS that Numba's ``np.dot`` calls) is limited to ``spec.train.threads``
    threads for the whole trial, so ``--threads`` bounds every thread pool involved; to one
    on the ``split-*`` paths, whose BLAS calls run in Numba's threads
    (:func:`kernels.paths.blas_threads`).
    """
    from threadpoolctl import threadpool_limits

    tr, net = spec.train, spec.net
    if data.X_train.dtype != np.dtype(tr.dtype):
        raise ValueError(
            f"data dtype {data.X_train.dtype} differs from --dtype {tr.dtype}; reload the data"
        )
    path = trial_path(spec)
    kernel = load_backend(tr.backend)  # loads its BLAS, so the limit below reaches it
    session = open_session(
        tr.backend, module=kernel, sizes=tuple(net.sizes), dtype=tr.dtype,
        mini_batch=tr.mini_batch, threads=tr.threads, hidden=net.hidden_code,
        output=net.cost_code, path=path[0],
    )  # fmt: skip
    with threadpool_limits(limits=blas_threads(path[0], tr.threads), user_api="blas"):
        return _train(spec, data, session, on_checkpoint, label, path)


def trial_shape(spec: TrialSpec) -> Shape:
    """The tuning shape of the trial (backend, sizes, dtype, threads, mini-batch)."""
    tr = spec.train
    threads = effective_threads(backend_info(tr.backend), tr.threads)
    return Shape(tr.backend, tuple(spec.net.sizes), tr.dtype, threads, tr.mini_batch)


def trial_path(spec: TrialSpec) -> tuple[str, str]:
    """``(kernel path, source)`` for the trial (:func:`bench.kernel_tuning.resolve_path`):
    forced, the tuning file's (``tuned`` or ``brief-tune``), a brief tune now where this
    machine's default is unsure (outside all timings), or the ISA class's default."""
    return resolve_path(trial_shape(spec), spec.train.kernel_path)


def _validate(
    session: Session, sizes: npt.NDArray[np.int64], n_val: int, lmbda_n: float
) -> tuple[float, float, bool]:
    """(validation accuracy, validation cost with the L2 term, whether all weights are finite)."""
    correct, cost_sum = session.evaluate(VAL)
    params, _ = session.to_host()
    finite = bool(np.isfinite(params).all())
    return correct / n_val, cost_sum / n_val + l2_term(params, sizes, lmbda_n), finite


@dataclass
class _Progress:
    """The counters of a running trial, advanced by :func:`_train`'s loop."""

    eta: float  # the current learning rate (the schedule halves it)
    next_checkpoint: int  # images seen at which the next checkpoint is due
    best: float  # best validation accuracy so far
    images: int = 0
    updates: int = 0
    executed: int = 0  # FLOPs the kernel path executed
    train_seconds: float = 0.0
    chunk_cost: float = 0.0  # summed training cost since the last checkpoint
    chunk_images: int = 0
    since_best: int = 0  # checkpoints without improvement (early stopping)
    since_plateau: int = 0  # the same, reset when η is halved


def _next_chunk(n: int, pos: int, mb: int, prog: _Progress) -> tuple[int, int]:
    """``(steps, batch)``: whole mini-batches up to the next checkpoint (at least one), or
    the ragged last mini-batch of the epoch."""
    full_left = (n - pos) // mb
    if full_left > 0:
        return min(full_left, max(1, math.ceil((prog.next_checkpoint - prog.images) / mb))), mb
    return 1, n - pos


def _schedule(spec: TrialSpec, prog: _Progress, acc: float) -> _Stop | None:
    """Early stopping and the halve-on-plateau schedule after a checkpoint of ``acc``."""
    tr = spec.train
    if acc > prog.best:
        prog.best, prog.since_best, prog.since_plateau = acc, 0, 0
    else:
        prog.since_best += 1
        prog.since_plateau += 1
    if tr.early_stop is not None and prog.since_best >= tr.early_stop:
        return _Stop(COMPLETED, "early-stop")
    if tr.schedule == "halve-on-plateau" and prog.since_plateau >= tr.plateau_patience:
        prog.eta /= 2
        prog.since_plateau = 0
        if tr.eta / prog.eta >= tr.eta_stop_factor:
            return _Stop(COMPLETED, "eta-schedule")
    return None


def trial_batches(n: int, mb: int) -> tuple[int, ...]:
    """The batch sizes of a trial's kernel calls over ``n`` training images: ``mb``
    (when at least one full mini-batch fits) and the ragged last one, ``n mod mb``
    (:func:`_next_chunk`'s two cases)."""
    return tuple(b for b in (mb if n >= mb else 0, n % mb) if b > 0)


def _warm_up(
    session: Session, params: npt.NDArray[np.floating], hyper: tuple[float, float, float],
    batches: tuple[int, ...], *, evaluate: bool = True,
) -> tuple[float, dict[str, float]]:  # fmt: skip
    """One update of each batch size the trial runs (:func:`trial_batches`: a ragged last
    mini-batch may run another trainer, e.g. ``regtile`` above ``GEMM_BLOCK``) and, with
    ``evaluate``, a 2-row evaluation: every kernel the trial calls is compiled (or loaded)
    outside all timings. The initial weights are loaded again. Returns the seconds
    (``compile_seconds``) and, per compiled kernel this warm-up compiled or loaded, its
    seconds (:func:`kernels.compile_report`; empty when every kernel was already in memory)."""
    before = compile_report()
    t0 = time.perf_counter()
    for batch in batches:
        session.steps(0, 1, *hyper, batch=batch)
    if evaluate:
        session.evaluate(VAL, 2)
    session.synchronize()
    seconds = time.perf_counter() - t0
    session.load(params, np.zeros_like(params))
    return seconds, compiled_since(before)


def compiled_since(before: dict[str, float]) -> dict[str, float]:
    """Seconds per compiled kernel compiled or loaded since :func:`kernels.compile_report`
    returned ``before``."""
    after = compile_report()
    return {k: s - before.get(k, 0.0) for k, s in after.items() if s > before.get(k, 0.0)}


def compile_trial_kernels(
    spec: TrialSpec, batches: tuple[int, ...], *, evaluate: bool = True
) -> dict[str, float]:
    """Compile (or load) the kernels a trial of ``spec`` calls for mini-batches of
    ``batches`` (none: only the evaluation) and, with ``evaluate``, its evaluation, on zero
    data of the trial's shape, outside any trial (:mod:`bench.prewarm`); the seconds per
    compiled kernel.
    ``spec.train.kernel_path`` must name a path (resolved, not ``auto``)."""
    tr, net = spec.train, spec.net
    session = open_session(
        tr.backend, sizes=tuple(net.sizes), dtype=tr.dtype, mini_batch=tr.mini_batch,
        threads=tr.threads, hidden=net.hidden_code, output=net.cost_code, path=tr.kernel_path,
    )  # fmt: skip
    dt, n = np.dtype(tr.dtype), max(batches, default=2)
    params = init_params(net.sizes, net.init, np.random.default_rng(0), dt)
    session.load(params, np.zeros_like(params))
    X, y = np.zeros((n, net.sizes[0]), dtype=dt), np.zeros(n, dtype=np.int64)
    session.upload(X, y, X[:2], y[:2])
    session.set_order(np.arange(n, dtype=np.int64))
    hyper = (float(tr.eta), float(tr.lmbda) / n, float(tr.mu))
    return _warm_up(session, params, hyper, batches, evaluate=evaluate)[1]


def _train(
    spec: TrialSpec,
    data: Dataset,
    session: Session,
    on_checkpoint: CheckpointHook | None,
    label: str,
    path: tuple[str, str],
) -> TrialResult:
    tr, net = spec.train, spec.net
    n, mb, lmbda_n = data.n_train, tr.mini_batch, tr.lmbda / data.n_train
    lam, mu = float(lmbda_n), float(tr.mu)
    rng = np.random.default_rng(tr.seed)
    params = init_params(net.sizes, net.init, rng, np.dtype(tr.dtype))
    session.load(params, np.zeros_like(params))
    session.upload(data.X_train, data.y_train, data.X_val, data.y_val)
    session.set_order(rng.permutation(n).astype(np.int64))
    compile_seconds, compile_kernels = _warm_up(
        session, params, (float(tr.eta), lam, mu), trial_batches(n, mb)
    )
    sizes = sizes_array(net.sizes)
    acc0, cost0, _ = _validate(session, sizes, data.n_val, lmbda_n)
    curve = [CurvePoint(
        images_seen=0, epoch=0.0, train_seconds=0.0, wall_seconds=0.0, val_accuracy=acc0,
        val_cost=cost0, train_cost=None, eta=float(tr.eta),
    )]  # fmt: skip
    prog = _Progress(eta=float(tr.eta), next_checkpoint=tr.monitor_every, best=acc0)
    stop: _Stop | None = None
    monitor = StateMonitor()  # the machine's state: read here and at each checkpoint
    wall0 = time.perf_counter()
    for epoch in range(tr.epochs):
        session.set_order(rng.permutation(n).astype(np.int64))
        pos = 0
        while pos < n and stop is None:
            steps, batch = _next_chunk(n, pos, mb, prog)
            cost, seconds = timed_steps(
                session, session.info, pos, steps, batch, (prog.eta, lam, mu)
            )
            prog.train_seconds += seconds
            prog.executed += steps * executed_flops_per_update(net.sizes, batch, path[0], mu, lam)
            done = steps * batch
            pos += done
            prog.images += done
            prog.updates += steps
            prog.chunk_cost += float(cost) * done
            prog.chunk_images += done
            end_of_training = pos >= n and epoch == tr.epochs - 1
            over_budget = tr.time_budget is not None and prog.train_seconds >= tr.time_budget
            if not math.isfinite(float(cost)):
                stop = _Stop(DIVERGED, f"non-finite training cost at image {prog.images}")
            if prog.images < prog.next_checkpoint and not (end_of_training or over_budget or stop):
                continue
            while prog.next_checkpoint <= prog.images:
                prog.next_checkpoint += tr.monitor_every
            monitor.checkpoint()  # outside the timed calls, before the evaluation
            point, finite = _checkpoint(session, sizes, data, lmbda_n, prog, wall0)
            curve.append(point)
            stop = stop or _check_stop(spec, point, finite, cost0)
            if stop is None and over_budget:
                stop = _Stop(COMPLETED, "time-budget")
            if stop is None and on_checkpoint is not None and on_checkpoint(point):
                stop = _Stop(PRUNED, "pruned")
            if stop is not None:
                break
            stop = _schedule(spec, prog, point.val_accuracy)
        if stop is not None:
            break
    stop = stop or _Stop(COMPLETED, "epochs")
    stability = monitor.finish(chunk_rates([(p.images_seen, p.train_seconds) for p in curve]))
    summary = summarize(spec, curve, prog.images, prog.updates, prog.train_seconds,
                        executed_flops=prog.executed, path=path)  # fmt: skip
    return TrialResult(
        config=spec, status=stop.status, stop_reason=stop.reason,
        compile_seconds=compile_seconds, compile_kernels=compile_kernels, curve=curve,
        summary=summary, label=label,
        transfer_seconds=session.transfer_seconds if session.info.device != CPU else None,
        stability=stability,
    )  # fmt: skip


def _checkpoint(
    session: Session, sizes: npt.NDArray[np.int64], data: Dataset, lmbda_n: float,
    prog: _Progress, wall0: float,
) -> tuple[CurvePoint, bool]:  # fmt: skip
    """Validate now: the curve point (training cost since the last one) and whether every
    weight is finite; resets the chunk's cost counters."""
    acc, vcost, finite = _validate(session, sizes, data.n_val, lmbda_n)
    point = CurvePoint(
        images_seen=prog.images, epoch=prog.images / data.n_train,
        train_seconds=prog.train_seconds, wall_seconds=time.perf_counter() - wall0,
        val_accuracy=acc, val_cost=vcost,
        train_cost=prog.chunk_cost / prog.chunk_images if prog.chunk_images else None,
        eta=prog.eta,
    )  # fmt: skip
    prog.chunk_cost, prog.chunk_images = 0.0, 0
    return point, finite


def _check_stop(
    spec: TrialSpec, point: CurvePoint, weights_finite: bool, cost0: float
) -> _Stop | None:
    """Divergence and target checks for one checkpoint (``weights_finite``: all weights)."""
    tr = spec.train
    if not math.isfinite(point.val_cost) or not weights_finite:
        return _Stop(
            DIVERGED, f"non-finite validation cost or weights at image {point.images_seen}"
        )
    if point.val_cost > tr.diverge_factor * cost0:
        return _Stop(
            DIVERGED,
            f"validation cost {point.val_cost:.3g} > {tr.diverge_factor:g}× initial {cost0:.3g}",
        )
    if tr.stop_at_target and point.val_accuracy >= tr.target:
        return _Stop(COMPLETED, "target")
    return None


def summarize(
    spec: TrialSpec,
    curve: list[CurvePoint],
    images: int,
    updates: int,
    train_seconds: float,
    *,
    executed_flops: float | None = None,
    path: tuple[str, str] | None = None,
) -> TrialSummary:
    """Headline numbers from a trial's curve and counters.

    ``gflops`` counts the README's model FLOPs; ``executed_gflops`` the FLOPs the kernel
    path that ran executes (:func:`kernels.paths.executed_flops_per_update`).
    """
    target = spec.train.target
    hit = next((p for p in curve if p.val_accuracy >= target and p.images_seen > 0), None)
    flops = images * flops_per_sample(spec.net.sizes) + updates * flops_per_update(spec.net.sizes)
    last = curve[-1]
    return TrialSummary(
        best_val_accuracy=max(p.val_accuracy for p in curve),
        final_val_accuracy=last.val_accuracy,
        time_to_target_seconds=hit.train_seconds if hit else None,
        images_to_target=hit.images_seen if hit else None,
        samples_per_second=images / train_seconds if train_seconds > 0 else 0.0,
        gflops=flops / train_seconds / 1e9 if train_seconds > 0 else 0.0,
        images_seen=images,
        epochs=last.epoch,
        train_seconds=train_seconds,
        wall_seconds=last.wall_seconds,
        kernel_path=path[0] if path else None,
        kernel_path_source=path[1] if path else None,
        executed_gflops=(
            executed_flops / train_seconds / 1e9
            if executed_flops is not None and train_seconds > 0
            else None
        ),
    )
