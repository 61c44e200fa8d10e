"""Every candidate kernel path against the numpy reference, and the FLOP accounting per path."""

from __future__ import annotations

from typing import Any

import numba
import numpy as np
import pytest

from kernels import layout, load_backend, reference
from kernels.call import Codes, Data, Net, Rule, Steps
from kernels.layout import COST_CODES, HIDDEN_CODES
from kernels.paths import (
    BACKEND_PATHS,
    FUSED_MB1,
    GEMM_BLOCKED,
    LOOPS,
    NUMPY,
    REGTILE,
    SPLIT_REGTILE,
    candidates,
    check_path,
    default_path,
    executed_flops_per_update,
    model_flops_per_update,
)

# Two hidden layers (deltas are pushed down twice); 37 inputs: the regtile path's gradient
# runs two 16-column strips and an overlapping last one, 13 units: tiles of 6, 6 and 1 rows.
SIZES = [37, 13, 7, 3]
TOL = {np.float64: 1e-10, np.float32: 2e-4}
ETA, LMBDA_N = 0.1, 0.02


def _problem(dtype: Any, n: int = 1400) -> dict[str, Any]:
    rng = np.random.default_rng(1)
    params = layout.init_params(SIZES, "default", rng, dtype)
    return {
        "X": rng.random((n, SIZES[0])).astype(dtype),
        "y": rng.integers(0, SIZES[-1], n).astype(np.int64),
        "order": rng.permutation(n).astype(np.int64),
        "params": params,
        "velocity": (0.01 * rng.standard_normal(params.size)).astype(dtype),
    }


def _run(backend: str, path: str | None, pb: dict[str, Any], mb: int, mu: float, lam: float,
         hidden: int, output: int) -> tuple[np.ndarray, np.ndarray, list[float]]:  # fmt: skip
    """Three full mini-batches, then a ragged one (fused-mb1: four of one sample)."""
    k = load_backend(backend)
    sz = layout.sizes_array(SIZES)
    p, v = pb["params"].copy(), pb["velocity"].copy()
    work = np.full(k.workspace_size(sz, mb), np.nan, dtype=p.dtype)
    runs = [(0, 3, mb), (3 * mb, 1, max(1, mb - 2) if mb > 1 else 1)]
    if mb > 128:  # ragged batches that fit the blocks' accumulator and that do not
        runs += [(4 * mb - 2, 1, 129)]
    costs = []
    net, data = Net(p, v, work), Data(pb["X"], pb["y"], pb["order"])
    for run in runs:
        costs.append(
            k.train_steps(
                net, sz, data, Steps(*run), Rule(ETA, lam, mu), Codes(hidden, output), path
            )
        )
    return p, v, costs


# Each path compiles one copy per (activation, cost) pair (kernels/numba/specialise.py), so
# every path runs three pairs that between them use every activation and every cost once
# (the regtile paths' vector blocks serve sigmoid + cross-entropy, their row loops the rest),
# and the cheap-to-compile loops path runs all nine: the blocks every path shares.
DIAGONAL = [
    (HIDDEN_CODES["sigmoid"], COST_CODES["cross-entropy"]),
    (HIDDEN_CODES["tanh"], COST_CODES["quadratic"]),
    (HIDDEN_CODES["relu"], COST_CODES["log-likelihood"]),
]
EVERY_PAIR = [(h, o) for h in HIDDEN_CODES.values() for o in COST_CODES.values()]


GRID = [
    pytest.param(b, p, mb, dt, id=f"{b}-{p}-mb{mb}-{np.dtype(dt).name}")
    for b in ("numba", "numba-parallel")
    for p in BACKEND_PATHS[b]
    for mb in (
        (1,)
        if p == FUSED_MB1
        else (1, 6)
        if p == LOOPS
        else (300,)
        if p == GEMM_BLOCKED
        else (6, 100, 130, 300)  # 100: the first layer on Wᵀ; 130: a last block of 2
        if p == REGTILE
        else (6, 100, 300)  # chunks of 3, 50 (in place) and 150 (gathered, on Wᵀ)
        if p == SPLIT_REGTILE
        else (6,)
    )
    for dt in (np.float64, np.float32)
]


@pytest.mark.parametrize(("backend", "path", "mb", "dtype"), GRID)
def test_every_path_matches_reference(backend: str, path: str, mb: int, dtype: Any) -> None:
    """Params, velocity and costs equal the reference for every μ/λ case and the
    activation/cost pairs of the path (every pair on loops, :data:`DIAGONAL` elsewhere)."""
    previous = numba.get_num_threads()
    numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))  # type: ignore[attr-defined]
    try:
        pb = _problem(dtype)
        for hidden, output in EVERY_PAIR if path == LOOPS else DIAGONAL:
            for mu, lam in ((0.0, LMBDA_N), (0.5, LMBDA_N), (0.0, 0.0)):
                want = _run("numpy", None, pb, mb, mu, lam, hidden, output)
                got = _run(backend, path, pb, mb, mu, lam, hidden, output)
                what = f"hidden={hidden} output={output} mu={mu} lam={lam}"
                np.testing.assert_allclose(
                    got[0], want[0], rtol=TOL[dtype], atol=TOL[dtype], err_msg=f"params {what}"
                )
                if mu > 0:  # with μ = 0 the velocity is not used (nor kept)
                    np.testing.assert_allclose(
                        got[1],
                        want[1],
                        rtol=TOL[dtype],
                        atol=TOL[dtype],
                        err_msg=f"velocity {what}",
                    )
                np.testing.assert_allclose(got[2], want[2], rtol=1e-4, err_msg=what)
    finally:
        numba.set_num_threads(previous)


def test_unknown_or_impossible_path_is_an_error() -> None:
    """A path the backend does not have, or fused-mb1 at mini-batch 6, raises a clear error."""
    pb = _problem(np.float64)
    with pytest.raises(ValueError, match="unknown kernel path"):
        _run("numba", "split-loops", pb, 6, 0.0, LMBDA_N, 0, 0)
    with pytest.raises(ValueError, match="mini-batch 1 only"):
        _run("numba", FUSED_MB1, pb, 6, 0.0, LMBDA_N, 0, 0)
    with pytest.raises(ValueError, match="kernel path"):
        _run("numpy", "blas", pb, 6, 0.0, LMBDA_N, 0, 0)
    with pytest.raises(ValueError, match="choose one of"):
        check_path("numba", "split-blas", 10, 2)


def test_candidates_and_defaults() -> None:
    """fused-mb1 only at mini-batch 1, split paths only with threads; defaults are candidates."""
    assert candidates("numba", 1) == ("fused-mb1", "loops", "blas", "regtile", "gemm")
    assert "gemm-blocked" in candidates("numba", 1000)
    assert "gemm-blocked" not in candidates("numba", 100)
    assert "fused-mb1" not in candidates("numba", 10)
    assert "split-blas" not in candidates("numba-parallel", 100, 1)
    assert "split-blas" in candidates("numba-parallel", 100, 2)
    assert candidates("numpy", 10) == (NUMPY,)
    for b in BACKEND_PATHS:
        for mb in (1, 10, 100, 1000):
            for t in (1, 2):
                assert default_path(b, mb, t) in candidates(b, mb, t)


def test_fused_mb1_executes_fewer_flops_than_the_model() -> None:
    """The fused mini-batch-1 path skips the 2P + W update FLOPs (only biases are updated)."""
    s = [784, 30, 10]
    model = model_flops_per_update(s, 1)
    fused = executed_flops_per_update(s, 1, FUSED_MB1, 0.0, 5.0 / 4000)
    assert model == 95_880 + 71_540
    assert fused == 95_880 + 2 * 40 < model
    assert executed_flops_per_update(s, 10, "numpy", 0.0, 0.1) == model_flops_per_update(s, 10)
    assert executed_flops_per_update(s, 10, "blas", 0.5, 0.1) == model_flops_per_update(s, 10)
    assert executed_flops_per_update(s, 10, "blas", 0.0, 0.1) < model_flops_per_update(s, 10)


def test_reference_is_the_numpy_path() -> None:
    """The numpy backend accepts its own path name."""
    pb = _problem(np.float64)
    a = _run("numpy", None, pb, 4, 0.0, LMBDA_N, 0, 0)
    b = _run("numpy", NUMPY, pb, 4, 0.0, LMBDA_N, 0, 0)
    np.testing.assert_array_equal(a[0], b[0])
    assert reference.train_steps is load_backend("numpy").train_steps
