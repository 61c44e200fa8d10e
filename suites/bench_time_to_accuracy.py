"""Time to accuracy on mnist5k by architecture and mini-batch size (MLPerf/DAWNBench style).

One round is one seed: a full monitored trial (:func:`bench.train.run_trial`) that stops at
the target validation accuracy or after ``EPOCHS`` epochs. The benchmark's time is the
trial's wall time (evaluation included); ``extra_info`` carries the kernel-only
``time_to_target_seconds`` per seed and their median, the accuracy reached and the images
seen. η is set per mini-batch size so that each has a fair chance; mini-batch 1000 makes
only four updates per epoch of 4,000 images and may not reach the target (recorded, not
failed). Architectures: the chapter's [784, 30, 10], a wider [784, 100, 10] and a second
hidden layer [784, 30, 30, 10], with the same η per mini-batch size. The same grid runs on
the ``cuda`` backend (``test_time_to_accuracy_gpu``, skipped with the reason without a GPU).
"""

from __future__ import annotations

import statistics
from dataclasses import replace
from typing import Any

import pytest

from bench.config import NetSpec, TrainSpec, TrialSpec
from bench.publish.significance import noise_extra
from bench.results import TrialResult
from bench.train import run_trial
from suites.harness import have_backend
from suites.params import backend_marks

TARGET = 0.88  # validation accuracy (fraction) that stops a trial
EPOCHS = 10  # at most, per trial
SEEDS = (0, 1, 2)  # rounds
ETA = {1: 0.1, 10: 0.5, 100: 1.0, 1000: 2.0}  # learning rate per mini-batch size
ARCHITECTURES = ((784, 30, 10), (784, 100, 10), (784, 30, 30, 10))  # layer sizes
BACKEND = "numba" if have_backend("numba") else "numpy"


@pytest.mark.slow
@pytest.mark.parametrize("mini_batch", [pytest.param(mb, id=f"mb{mb}") for mb in ETA])
@pytest.mark.parametrize(
    "sizes", [pytest.param(s, id="-".join(map(str, s))) for s in ARCHITECTURES]
)
def test_time_to_accuracy(
    benchmark: Any, mnist5k_data: Any, peak: Any, sizes: tuple[int, ...], mini_batch: int
) -> None:
    """Wall seconds of a trial that stops at ``TARGET``; one round per seed."""
    _time_to_accuracy(benchmark, mnist5k_data, peak, sizes, mini_batch, BACKEND)


@pytest.mark.slow
@pytest.mark.parametrize("backend", [pytest.param("cuda", marks=backend_marks("cuda"))])
@pytest.mark.parametrize("mini_batch", [pytest.param(mb, id=f"mb{mb}") for mb in ETA])
@pytest.mark.parametrize(
    "sizes", [pytest.param(s, id="-".join(map(str, s))) for s in ARCHITECTURES]
)
def test_time_to_accuracy_gpu(
    benchmark: Any, mnist5k_data: Any, peak: Any, sizes: tuple[int, ...], mini_batch: int,
    backend: str,
) -> None:  # fmt: skip
    """The same trials on the GPU backend (skipped without a GPU), in the same group."""
    _time_to_accuracy(benchmark, mnist5k_data, peak, sizes, mini_batch, backend)


def _time_to_accuracy(
    benchmark: Any, mnist5k_data: Any, peak: Any, sizes: tuple[int, ...], mini_batch: int,
    backend: str,
) -> None:  # fmt: skip
    benchmark.group = f"time to {TARGET:.0%} mnist5k float64"
    net = NetSpec(sizes=sizes)
    data = mnist5k_data("float64")
    epochs = 1 if benchmark.disabled else EPOCHS
    base = TrainSpec(
        backend=backend, mini_batch=mini_batch, eta=ETA[mini_batch], epochs=epochs,
        target=TARGET, stop_at_target=True, dtype="float64",
    )  # fmt: skip
    seeds = iter(SEEDS)
    results: list[TrialResult] = []

    def setup() -> tuple[tuple[TrialSpec], dict[str, Any]]:
        return (TrialSpec(net=net, train=replace(base, seed=next(seeds))),), {}

    def trial(spec: TrialSpec) -> None:
        results.append(run_trial(spec, data))

    run_trial(TrialSpec(net=net, train=replace(base, epochs=1)), data)  # warm-up
    benchmark.pedantic(trial, setup=setup, rounds=1 if benchmark.disabled else len(SEEDS))
    reached = [r.summary.time_to_target_seconds for r in results]
    hit = [t for t in reached if t is not None]
    images = sum(r.summary.images_seen for r in results)
    seconds = sum(r.summary.train_seconds for r in results)
    gflops = statistics.median(r.summary.gflops for r in results)
    benchmark.extra_info.update(
        {
            "backend": backend,
            "dtype": "float64",
            "threads": 1,
            "sizes": list(sizes),
            "mini_batch": mini_batch,
            "eta": ETA[mini_batch],
            "target": TARGET,
            "seeds": len(results),
            "time_to_target_seconds": reached,
            "median_time_to_target_seconds": statistics.median(hit) if hit else None,
            "reached": f"{len(hit)}/{len(results)}",
            "images_to_target": [r.summary.images_to_target for r in results],
            "best_val_accuracy": [r.summary.best_val_accuracy for r in results],
            "images_seen": [r.summary.images_seen for r in results],
            "samples_per_s": images / seconds if seconds > 0 else None,
            "gflops": gflops,
            "fraction_of_peak": _share(gflops, peak("float64", 1, backend)),
            **noise_extra(results),  # per-chunk rates (compare's test) and unstable trials
            "stability": _first_unstable(results),
        }
    )


def _first_unstable(results: list[TrialResult]) -> dict[str, Any] | None:
    """The machine's state of the first unstable trial, else of the first trial (None when
    not recorded): the benchmark's mark."""
    states = [r.stability for r in results if r.stability is not None]
    pick = next((s for s in states if not s.stable), states[0] if states else None)
    return pick.to_dict() if pick is not None else None


def _share(gflops: float, peak_gflops: float | None) -> float | None:
    """``gflops`` as a fraction of the peak (None when the peak is unknown)."""
    return gflops / peak_gflops if peak_gflops else None
