"""The Numba backends against the numpy reference (also run with NUMBA_DISABLE_JIT=1)."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numba
import numpy as np
import pytest

from kernels import layout, load_backend, reference
from kernels.call import Codes, Data, Net, Rule, Steps
from kernels.layout import COST_CODES, HIDDEN_CODES
from kernels.numba import parallel
from kernels.paths import DEFAULT_BLAS_FROM, SPLIT_LOOPS, SPLIT_PATHS

NUMBA_BACKENDS = ["numba", "numba-parallel"]
TOL = {np.float64: 1e-10, np.float32: 1e-4}
ETA, LMBDA_N = 0.1, 0.02  # a small step: SGD on these nets is not chaotic, so runs compare


def _problem(
    sizes: list[int], dtype: Any, n: int = 120, n_order: int = 2400, seed: int = 0
) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    X = rng.random((n, sizes[0])).astype(dtype)
    y = rng.integers(0, sizes[-1], n).astype(np.int64)
    order = np.concatenate([rng.permutation(n) for _ in range(-(-n_order // n))])
    params = layout.init_params(sizes, "default", rng, dtype)
    velocity = (0.01 * rng.standard_normal(params.size)).astype(dtype)
    return {
        "sizes": layout.sizes_array(sizes),
        "X": X,
        "y": y,
        "order": order.astype(np.int64),
        "params": params,
        "velocity": velocity,
    }


def _train(
    backend: ModuleType,
    pb: dict[str, Any],
    runs: list[tuple[int, int, int]],
    mu: float,
    hidden: int,
    output: int,
    work_batch: int | None = None,
    lmbda_n: float = LMBDA_N,
    **kw: Any,
) -> tuple[np.ndarray, np.ndarray, list[float]]:
    """Run ``train_steps`` for each ``(start, n_steps, mini_batch)``; one shared workspace;
    ``kw`` goes to every call (``renorm_below``, ``info``, ``path``). numba-parallel runs
    ``split-loops`` unless told otherwise, so even tiny mini-batches are split over the
    threads (its default splits from 32 samples on); one sample falls back to serial."""
    p, v = pb["params"].copy(), pb["velocity"].copy()
    dt = p.dtype
    if backend.__name__ == "kernels.numba.parallel":
        kw.setdefault("path", SPLIT_LOOPS)
    wb = work_batch or max(r[2] for r in runs)
    work = np.full(backend.workspace_size(pb["sizes"], wb), np.nan, dtype=dt)
    costs = []
    for start, n_steps, mb in runs:
        costs.append(
            backend.train_steps(
                Net(p, v, work),
                pb["sizes"],
                Data(pb["X"], pb["y"], pb["order"]),
                Steps(start, n_steps, mb),
                Rule(ETA, lmbda_n, mu),
                Codes(hidden, output),
                **kw,
            )
        )
    return p, v, costs


def _compare(
    name: str,
    sizes: list[int],
    dtype: Any,
    runs: list[tuple[int, int, int]],
    mu: float,
    hidden: int,
    output: int,
) -> None:
    pb = _problem(sizes, dtype)
    p_ref, v_ref, c_ref = _train(reference, pb, runs, mu, hidden, output)
    p, v, c = _train(load_backend(name), pb, runs, mu, hidden, output)
    tol = TOL[dtype]
    assert p.dtype == dtype and v.dtype == dtype
    assert np.all(np.isfinite(p))
    np.testing.assert_allclose(p, p_ref, rtol=0, atol=tol)
    np.testing.assert_allclose(c, c_ref, rtol=tol, atol=tol)
    if mu != 0.0:
        np.testing.assert_allclose(v, v_ref, rtol=0, atol=tol)
        return
    # mu == 0: the scaled-decay path may leave velocity untouched, else it must match; and
    # the velocity passed in must not change the parameters (it is multiplied by mu == 0)
    assert np.array_equal(v, pb["velocity"]) or np.allclose(v, v_ref, rtol=0, atol=tol)
    other = dict(pb, velocity=(1e3 * np.arange(v.size) - 7).astype(dtype))
    p2, _, c2 = _train(load_backend(name), other, runs, mu, hidden, output)
    np.testing.assert_array_equal(p2, p)
    assert c2 == c


@pytest.mark.parametrize("name", NUMBA_BACKENDS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("cost", list(COST_CODES))
@pytest.mark.parametrize("activation", list(HIDDEN_CODES))
@pytest.mark.parametrize(("mini_batch", "mu"), [(10, 0.5), (20, 0.0)])
def test_train_matches_reference(
    name: str, dtype: Any, cost: str, activation: str, mini_batch: int, mu: float
) -> None:
    """>= 100 updates with L2, with momentum (velocity path) and without (scaled decay)."""
    n_steps = 1000 // mini_batch
    _compare(
        name,
        [10, 6, 4],
        dtype,
        [(0, n_steps, mini_batch)],
        mu,
        HIDDEN_CODES[activation],
        COST_CODES[cost],
    )


@pytest.mark.parametrize("name", NUMBA_BACKENDS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("mu", [0.0, 0.5])
@pytest.mark.parametrize("cost", list(COST_CODES))
def test_mini_batch_one(name: str, dtype: Any, mu: float, cost: str) -> None:
    _compare(name, [10, 6, 4], dtype, [(0, 150, 1), (150, 50, 1)], mu, 0, COST_CODES[cost])


@pytest.mark.parametrize("name", NUMBA_BACKENDS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("mu", [0.0, 0.5])
def test_ragged_final_batch(name: str, dtype: Any, mu: float) -> None:
    """Full batches then one smaller batch, sharing the workspace sized for the full one."""
    for mb, last in [(10, 7), (3, 2), (20, 13), (2, 1)]:
        runs = [(0, 30, mb), (30 * mb, 1, last)]
        _compare(name, [10, 6, 4], dtype, runs, mu, 1, 0)


@pytest.mark.parametrize("name", NUMBA_BACKENDS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("mu", [0.0, 0.5])
def test_blas_sized_batches(name: str, dtype: Any, mu: float) -> None:
    """Batches past ``DEFAULT_BLAS_FROM`` (np.dot gradients by default), then a ragged one."""
    mb = DEFAULT_BLAS_FROM + 2
    _compare(name, [10, 6, 4], dtype, [(0, 12, mb), (12 * mb, 1, mb // 2 + 1)], mu, 0, 0)


@pytest.mark.parametrize("name", NUMBA_BACKENDS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("mini_batch", [1, 5, 20])
@pytest.mark.parametrize("mu", [0.0, 0.5])
def test_deep_and_shallow_nets(name: str, dtype: Any, mini_batch: int, mu: float) -> None:
    n_steps = max(100, 400 // mini_batch)
    for sizes in ([10, 8, 6, 5, 4], [10, 4]):
        _compare(name, sizes, dtype, [(0, n_steps, mini_batch)], mu, 2, 2)
        _compare(name, sizes, dtype, [(0, n_steps, mini_batch)], mu, 0, 1)


def _expected_renorms(dtype: Any, eta: float, lam: float, n_steps: int, below: float) -> int:
    """How often the folded weight scale ``s ← c·s`` drops below ``below`` in ``n_steps``."""
    one, c, thr = dtype(1), dtype(1) - dtype(eta) * dtype(lam), dtype(below)
    s, count = one, 0
    for _ in range(n_steps):
        s = dtype(s * c)
        if s < thr:
            s, count = one, count + 1
    return count


def _train_renorm(
    mod: ModuleType, pb: dict[str, Any], n_steps: int, mb: int, lam: float, **kw: Any
) -> np.ndarray:
    """Final params after ``n_steps`` updates from 0 with λ = ``lam``, μ = 0 (see ``_train``)."""
    return _train(mod, pb, [(0, n_steps, mb)], 0.0, 0, 0, lmbda_n=lam, **kw)[0]


@pytest.mark.parametrize("name", NUMBA_BACKENDS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("mini_batch", [1, 7, 130])
def test_scale_trick_renormalises(name: str, dtype: Any, mini_batch: int) -> None:
    """The scale really falls below the threshold (counted), and results match the reference.

    mu == 0 and c = 1 - 0.1·0.05 = 0.995: with the threshold 0.99 the scale is folded back
    every third update; in numba-parallel mini-batches 7 and 130 are split over 2 threads.
    """
    pb = _problem([10, 6, 4], dtype, n=400)
    lam, n_steps = 0.05, 2400 // mini_batch - 1
    backend = load_backend(name)
    if name == "numba-parallel" and mini_batch > 1:
        assert parallel.n_threads() >= 2, "set NUMBA_NUM_THREADS >= 2 (tox does)"
    p_ref = _train_renorm(reference, pb, n_steps, mini_batch, lam)
    info: dict[str, int] = {}
    p = _train_renorm(backend, pb, n_steps, mini_batch, lam, renorm_below=0.99, info=info)
    assert info["renorms"] == _expected_renorms(dtype, ETA, lam, n_steps, 0.99) >= 5
    np.testing.assert_allclose(p, p_ref, rtol=0, atol=TOL[dtype])
    if mini_batch == 1:  # the default threshold 2**-10 is crossed after ~1380 updates
        info = {}
        p = _train_renorm(backend, pb, 2399, 1, lam, info=info)
        assert info["renorms"] == 1
        p_ref = _train_renorm(reference, pb, 2399, 1, lam)
        np.testing.assert_allclose(p, p_ref, rtol=0, atol=TOL[dtype])


@pytest.mark.parametrize("name", NUMBA_BACKENDS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("cost", list(COST_CODES))
@pytest.mark.parametrize("chunk", [1, 7, 64, 500])
def test_evaluate_matches_reference(name: str, dtype: Any, cost: str, chunk: int) -> None:
    pb = _problem([10, 6, 4], dtype, n=150)
    backend = load_backend(name)
    for hidden in HIDDEN_CODES.values():
        args = (pb["sizes"], pb["X"], pb["y"])
        c_ref, s_ref = reference.evaluate(
            pb["params"], None, *args, chunk, hidden, COST_CODES[cost]
        )  # type: ignore[arg-type]
        work = np.empty(backend.workspace_size(pb["sizes"], chunk), dtype=dtype)
        c, s = backend.evaluate(pb["params"], work, *args, chunk, hidden, COST_CODES[cost])
        assert isinstance(c, int) and isinstance(s, float)
        assert c == c_ref
        assert s == pytest.approx(s_ref, rel=TOL[dtype], abs=TOL[dtype])


@pytest.mark.parametrize("name", NUMBA_BACKENDS)
def test_workspace_too_small_raises(name: str) -> None:
    pb = _problem([10, 6, 4], np.float64)
    backend = load_backend(name)
    for mb in (1, 10, 20):
        need = backend.workspace_size(pb["sizes"], mb)
        big = np.zeros(need + 5)
        work = big[: need - 1]
        with pytest.raises(ValueError, match="work array too small"):
            backend.train_steps(
                Net(pb["params"].copy(), pb["velocity"].copy(), work),
                pb["sizes"],
                Data(pb["X"], pb["y"], pb["order"]),
                Steps(0, 3, mb),
                Rule(ETA, LMBDA_N, 0.5),
                Codes(0, 0),
            )
        assert not big.any()
        with pytest.raises(ValueError, match="work array too small"):
            backend.evaluate(pb["params"], work, pb["sizes"], pb["X"], pb["y"], mb, 0, 0)
    with pytest.raises(ValueError, match="dtype"):
        backend.train_steps(
            Net(pb["params"].astype(np.float32), pb["velocity"], np.zeros(10**5)),
            pb["sizes"],
            Data(pb["X"], pb["y"], pb["order"]),
            Steps(0, 3, 10),
            Rule(ETA, LMBDA_N, 0.5),
            Codes(0, 0),
        )


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("path", SPLIT_PATHS)
def test_parallel_equals_serial(threads: int, path: str) -> None:
    """Every split path against the serial backend; on two threads mini-batches 3, 10 and
    33 are split (one sample is not). Fails (never skips) when Numba has fewer than 2
    threads: tox sets NUMBA_NUM_THREADS=2."""
    have = numba.config.NUMBA_NUM_THREADS  # type: ignore[attr-defined]
    assert have >= threads, f"NUMBA_NUM_THREADS={have}: set it to >= 2 (tox does)"
    pb = _problem([10, 6, 4], np.float64)
    before = numba.get_num_threads()
    numba.set_num_threads(threads)
    try:
        assert parallel.n_threads() == threads
        for mb in (1, 3, 10, 33):
            runs = [(0, 1000 // mb, mb)]
            a = _train(load_backend("numba"), pb, runs, 0.5, 0, 2)
            b = _train(load_backend("numba-parallel"), pb, runs, 0.5, 0, 2, path=path)
            np.testing.assert_allclose(b[0], a[0], rtol=0, atol=1e-12)
            np.testing.assert_allclose(b[2], a[2], rtol=1e-12)
        ev = [
            load_backend(n).evaluate(
                a[0],
                np.empty(load_backend(n).workspace_size(pb["sizes"], 16)),
                pb["sizes"],
                pb["X"],
                pb["y"],
                16,
                0,
                2,
            )
            for n in NUMBA_BACKENDS
        ]
        assert ev[0][0] == ev[1][0]
        assert ev[0][1] == pytest.approx(ev[1][1], rel=1e-12)
    finally:
        numba.set_num_threads(before)


def _bad_calls(pb: dict[str, Any]) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """``(error pattern, train_steps changes, keyword arguments)`` of calls to reject."""
    n, n_out = pb["X"].shape[0], int(pb["sizes"][-1])
    bad_order, neg_order = pb["order"].copy(), pb["order"].copy()
    bad_order[5] = n
    neg_order[0] = -1
    bad_y = pb["y"].copy()
    bad_y[3] = n_out
    return [
        ("order values", {"order": bad_order}, {}),
        ("order values", {"order": neg_order}, {}),
        ("y values", {"y": bad_y}, {}),
        ("y must be", {"y": pb["y"].astype(np.int32)}, {}),
        ("sizes must", {"sizes": np.array([10, 0, 4])}, {}),
        ("activation code", {"hidden": 3}, {}),
        ("cost code", {"output": -1}, {}),
        ("renorm_below", {}, {"renorm_below": 0.0}),
        ("renorm_below", {}, {"renorm_below": 1.5}),
    ]


@pytest.mark.parametrize("name", NUMBA_BACKENDS)
def test_out_of_range_indices_rejected_before_compiled_code(name: str) -> None:
    """Bad ``order``/labels/codes: a ValueError naming them, parameters left untouched."""
    pb = _problem([10, 6, 4], np.float64)
    backend = load_backend(name)
    for pattern, change, kw in _bad_calls(pb):
        a = {**pb, "hidden": 0, "output": 0, **change}
        p, v = pb["params"].copy(), pb["velocity"].copy()
        work = np.zeros(backend.workspace_size(pb["sizes"], 10))
        with pytest.raises(ValueError, match=pattern):
            backend.train_steps(
                Net(p, v, work), a["sizes"], Data(a["X"], a["y"], a["order"]), Steps(0, 20, 10),
                Rule(ETA, LMBDA_N, 0.5), Codes(a["hidden"], a["output"]), **kw,
            )  # fmt: skip
        assert np.array_equal(p, pb["params"]) and not work.any()
        if "order" in change or kw:
            continue
        with pytest.raises(ValueError, match=pattern):
            backend.evaluate(p, work, a["sizes"], a["X"], a["y"], 10, a["hidden"], a["output"])
    # only the entries of order this call uses are checked: a bad one past them is fine
    order = pb["order"].copy()
    order[500] = 10**9
    p, v = pb["params"].copy(), pb["velocity"].copy()
    work = np.zeros(backend.workspace_size(pb["sizes"], 10))
    backend.train_steps(
        Net(p, v, work), pb["sizes"], Data(pb["X"], pb["y"], order), Steps(0, 20, 10),
        Rule(ETA, LMBDA_N, 0.5), Codes(0, 0),
    )  # fmt: skip
