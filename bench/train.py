"""One monitored trial: train in chunks of ``monitor_every`` images, evaluate, record, stop.

The kernels run a whole chunk of mini-batches per call. Only those calls are timed
(``train_seconds``); evaluation and bookkeeping count towards ``wall_seconds`` alone. A
warm-up call on throwaway copies compiles (or loads from cache) every kernel before the
clock starts; its duration is reported as ``compile_seconds``.

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
from bench.data import Dataset
from bench.results import (
    COMPLETED,
    DIVERGED,
    PRUNED,
    CurvePoint,
    TrialResult,
    TrialSummary,
)
from kernels import backend_info, effective_threads, load_backend, open_session
from kernels.layout import flops_per_sample, flops_per_update, init_params, sizes_array, views
from kernels.paths import executed_flops_per_update
from kernels.session import CPU, VAL, BackendInfo, Session

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
    threads for the whole trial, so ``--threads`` bounds every thread pool involved.
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
    with threadpool_limits(limits=tr.threads, user_api="blas"):
        return _train(spec, data, session, on_checkpoint, label, path)


def trial_path(spec: TrialSpec) -> tuple[str, str]:
    """``(kernel path, source)`` for the trial: forced, tuned (tuning file) or default."""
    from bench.kernel_tuning import Shape, choose_path

    tr = spec.train
    threads = effective_threads(backend_info(tr.backend), tr.threads)
    shape = Shape(tr.backend, tuple(spec.net.sizes), tr.dtype, threads, tr.mini_batch)
    return choose_path(shape, tr.kernel_path)


def timed_steps(
    session: Session, info: BackendInfo, start: int, steps: int, batch: int,
    hyper: tuple[float, float, float],
) -> tuple[float, float]:  # fmt: skip
    """``(mean training cost, seconds)`` of one ``steps`` call of ``session``.

    The clock stops after :meth:`~kernels.session.Session.synchronize` when the backend
    is asynchronous (``info.synchronize``), so the seconds are the work's, not the queueing's.
    """
    t = time.perf_counter()
    cost = session.steps(start, steps, *hyper, batch=batch)
    if info.synchronize:
        session.synchronize()
    return cost, time.perf_counter() - t


def _validate(
    session: Session, sizes: npt.NDArray[np.int64], n_val: int, lmbda_n: float
) -> tuple[float, float, bool]:
    """(validation accuracy, validation cost with the L2 term, whether all weights are finite)."""
    correct, cost_sum = session.evaluate(VAL)
    params, _ = session.to_host()
    finite = bool(np.isfinite(params).all())
    return correct / n_val, cost_sum / n_val + l2_term(params, sizes, lmbda_n), finite


def _train(
    spec: TrialSpec,
    data: Dataset,
    session: Session,
    on_checkpoint: CheckpointHook | None,
    label: str,
    path: tuple[str, str],
) -> TrialResult:
    tr, net = spec.train, spec.net
    kpath = path[0]
    info = session.info
    n = data.n_train
    mb = tr.mini_batch
    lmbda_n = tr.lmbda / n

    rng = np.random.default_rng(tr.seed)
    params = init_params(net.sizes, net.init, rng, np.dtype(tr.dtype))
    session.load(params, np.zeros_like(params))
    session.upload(data.X_train, data.y_train, data.X_val, data.y_val)

    # Warm-up: compile or load every kernel, outside all timings; then the initial weights again.
    session.set_order(rng.permutation(n).astype(np.int64))
    t0 = time.perf_counter()
    session.steps(0, 1, float(tr.eta), float(lmbda_n), float(tr.mu))
    session.evaluate(VAL, 2)
    session.synchronize()
    compile_seconds = time.perf_counter() - t0
    session.load(params, np.zeros_like(params))

    sizes = sizes_array(net.sizes)

    def validate() -> tuple[float, float, bool]:
        return _validate(session, sizes, data.n_val, lmbda_n)

    eta = float(tr.eta)
    curve: list[CurvePoint] = []
    acc0, cost0, _ = validate()
    curve.append(CurvePoint(
        images_seen=0, epoch=0.0, train_seconds=0.0, wall_seconds=0.0,
        val_accuracy=acc0, val_cost=cost0, train_cost=None, eta=eta,
    ))  # fmt: skip
    best, since_best, since_best_plateau = acc0, 0, 0
    images, updates, executed = 0, 0, 0
    train_seconds = 0.0
    chunk_cost, chunk_images = 0.0, 0
    stop: _Stop | None = None
    wall0 = time.perf_counter()
    next_checkpoint = tr.monitor_every

    for _epoch in range(tr.epochs):
        session.set_order(rng.permutation(n).astype(np.int64))
        pos = 0
        while pos < n and stop is None:
            full_left = (n - pos) // mb
            if full_left > 0:
                steps = min(full_left, max(1, math.ceil((next_checkpoint - images) / mb)))
                batch = mb
            else:  # the ragged last mini-batch of the epoch
                steps, batch = 1, n - pos
            cost, seconds = timed_steps(
                session, info, pos, steps, batch, (eta, float(lmbda_n), float(tr.mu))
            )
            train_seconds += seconds
            executed += steps * executed_flops_per_update(
                net.sizes, batch, kpath, float(tr.mu), float(lmbda_n)
            )
            done = steps * batch
            pos += done
            images += done
            updates += steps
            chunk_cost += float(cost) * done
            chunk_images += done
            end_of_training = pos >= n and _epoch == tr.epochs - 1
            over_budget = tr.time_budget is not None and train_seconds >= tr.time_budget
            if not math.isfinite(float(cost)):
                stop = _Stop(DIVERGED, f"non-finite training cost at image {images}")
            if images < next_checkpoint and not end_of_training and not over_budget and not stop:
                continue
            while next_checkpoint <= images:
                next_checkpoint += tr.monitor_every
            acc, vcost, finite = validate()
            point = CurvePoint(
                images_seen=images, epoch=images / n, train_seconds=train_seconds,
                wall_seconds=time.perf_counter() - wall0, val_accuracy=acc, val_cost=vcost,
                train_cost=chunk_cost / chunk_images if chunk_images else None, eta=eta,
            )  # fmt: skip
            curve.append(point)
            chunk_cost, chunk_images = 0.0, 0
            stop = stop or _check_stop(spec, point, finite, cost0)
            if stop is None and over_budget:
                stop = _Stop(COMPLETED, "time-budget")
            if stop is None and on_checkpoint is not None and on_checkpoint(point):
                stop = _Stop(PRUNED, "pruned")
            if stop is not None:
                break
            if acc > best:
                best, since_best, since_best_plateau = acc, 0, 0
            else:
                since_best += 1
                since_best_plateau += 1
            if tr.early_stop is not None and since_best >= tr.early_stop:
                stop = _Stop(COMPLETED, "early-stop")
            elif tr.schedule == "halve-on-plateau" and since_best_plateau >= tr.plateau_patience:
                eta /= 2
                since_best_plateau = 0
                if tr.eta / eta >= tr.eta_stop_factor:
                    stop = _Stop(COMPLETED, "eta-schedule")
        if stop is not None:
            break
    if stop is None:
        stop = _Stop(COMPLETED, "epochs")

    return TrialResult(
        config=spec,
        status=stop.status,
        stop_reason=stop.reason,
        compile_seconds=compile_seconds,
        curve=curve,
        summary=summarize(
            spec, curve, images, updates, train_seconds, executed_flops=executed, path=path
        ),
        label=label,
        transfer_seconds=session.transfer_seconds if info.device != CPU else None,
    )


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
