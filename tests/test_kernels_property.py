"""Property-based: every backend agrees with the numpy reference on random small problems.

Random architectures (2–4 layers of 1–40 units), every cost × activation × initialiser,
mini-batch 1–70, momentum μ ∈ [0, 0.95], L2 λ ≥ 0, float32 and float64; after a few
``train_steps`` calls (the last batch ragged) the parameters, velocities and costs of every
backend match :mod:`kernels.reference`, and so does ``evaluate``. Also runs under
``NUMBA_DISABLE_JIT=1``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from needs import require

from kernels import BACKENDS, backend_info, layout, load_backend, numba_parallel
from kernels.layout import COST_CODES, HIDDEN_CODES, INITIALIZERS
from kernels.session import CPU

require("hypothesis", "test")  # skips this module where the extra is missing (fails in CI)
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

# Relative to the largest parameter: float32 keeps ~7 digits, a few steps lose one or two.
TOL = {np.float64: 1e-9, np.float32: 2e-4}
HOST_BACKENDS = [n for n in BACKENDS if backend_info(n).device == CPU]  # module kernels


@st.composite
def problems(draw: st.DrawFn) -> dict[str, Any]:
    """A random net, data set, hyper-parameters and schedule of ``train_steps`` calls."""
    sizes = draw(st.lists(st.integers(1, 40), min_size=2, max_size=4))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    mb = draw(st.integers(1, 70))
    steps = draw(st.integers(1, 3))
    last = draw(st.integers(1, mb))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    n = mb * steps + last
    return {
        "sizes": sizes,
        "dtype": dtype,
        "runs": [(0, steps, mb), (mb * steps, 1, last)],
        "hidden": HIDDEN_CODES[draw(st.sampled_from(sorted(HIDDEN_CODES)))],
        "output": COST_CODES[draw(st.sampled_from(sorted(COST_CODES)))],
        "params": layout.init_params(sizes, draw(st.sampled_from(INITIALIZERS)), rng, dtype),
        "X": rng.random((n, sizes[0])).astype(dtype),
        "y": rng.integers(0, sizes[-1], n).astype(np.int64),
        "order": rng.permutation(n).astype(np.int64),
        "eta": draw(st.floats(0.001, 0.5)),
        "lmbda_n": draw(st.one_of(st.just(0.0), st.floats(0.0, 0.05))),
        "mu": draw(st.one_of(st.just(0.0), st.floats(0.0, 0.95))),
        "mb": mb,
    }


def _run(name: str, pb: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, list[float], Any]:
    backend = load_backend(name)
    sizes = layout.sizes_array(pb["sizes"])
    p = pb["params"].copy()
    v = np.zeros_like(p)
    work = np.zeros(backend.workspace_size(sizes, pb["mb"]), dtype=p.dtype)
    costs = [
        backend.train_steps(
            p,
            v,
            work,
            sizes,
            pb["X"],
            pb["y"],
            pb["order"],
            start,
            steps,
            mb,
            pb["eta"],
            pb["lmbda_n"],
            pb["mu"],
            pb["hidden"],
            pb["output"],
        )
        for start, steps, mb in pb["runs"]
    ]
    n = pb["X"].shape[0]
    ework = np.zeros(backend.workspace_size(sizes, 16), dtype=p.dtype)
    ev = backend.evaluate(p, ework, sizes, pb["X"], pb["y"], 16, pb["hidden"], pb["output"])
    return p, v, costs, (ev[0], ev[1] / n)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pb=problems())
def test_every_backend_agrees_with_reference(pb: dict[str, Any]) -> None:
    saved = numba_parallel.PAR_FROM
    numba_parallel.PAR_FROM = 2  # split even small batches over the threads
    try:
        results = {name: _run(name, pb) for name in HOST_BACKENDS}
    finally:
        numba_parallel.PAR_FROM = saved
    p_ref, v_ref, c_ref, (_, e_ref) = results["numpy"]
    if not (np.all(np.isfinite(p_ref)) and np.all(np.isfinite(c_ref))):
        return  # a diverged run (large η, "large" init): nothing meaningful to compare
    tol = TOL[pb["dtype"]]
    scale = max(1.0, float(np.abs(p_ref).max()), float(np.abs(v_ref).max()))
    for name, (p, v, c, (_, e)) in results.items():
        assert p.dtype == pb["dtype"], name
        np.testing.assert_allclose(p, p_ref, rtol=0, atol=tol * scale, err_msg=name)
        if pb["dtype"](pb["mu"]) == 0 and not np.any(v):  # μ = 0: velocity may stay untouched
            pass
        else:
            np.testing.assert_allclose(v, v_ref, rtol=0, atol=tol * scale, err_msg=name)
        np.testing.assert_allclose(c, c_ref, rtol=tol * 10, atol=tol * 10, err_msg=name)
        assert abs(e - e_ref) <= tol * 10 * max(1.0, abs(e_ref)), name
