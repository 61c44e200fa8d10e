"""Property-based: every kernel path agrees with the numpy reference on random small problems.

Hypothesis draws the backend, the thread count and the kernel path among every candidate
for them and the drawn mini-batch (:func:`kernels.paths.candidates`), as well as random
architectures (2–4 layers of 1–40 units), every cost × activation × initialiser,
mini-batch 1–300 (``gemm-blocked`` from 256), momentum μ ∈ [0, 0.95], L2 λ ≥ 0, float32
and float64; after a few ``train_steps`` calls (the last batch ragged) the parameters,
velocities and costs match :mod:`kernels.reference`, and so does ``evaluate``. A draw on
which the reference itself diverges is rejected (``assume``). Also runs under
``NUMBA_DISABLE_JIT=1``.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np
from needs import require

from kernels import BACKENDS, backend_info, layout, load_backend
from kernels.call import Codes, Data, Net, Rule, Steps
from kernels.layout import COST_CODES, HIDDEN_CODES, INITIALIZERS
from kernels.paths import GEMM_BLOCK, LOOPS, candidates
from kernels.session import CPU

require("hypothesis", "test")  # skips this module where the extra is missing (fails in CI)
from hypothesis import HealthCheck, assume, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

# Relative to the largest parameter: float32 keeps ~7 digits, a few steps lose one or two.
TOL = {np.float64: 1e-9, np.float32: 2e-4}
# the host backends with kernel paths to choose from (numba, numba-parallel)
NUMBA_BACKENDS = [
    n for n in BACKENDS if backend_info(n).device == CPU and len(backend_info(n).paths) > 1
]


@st.composite
def problems(draw: st.DrawFn) -> dict[str, Any]:
    """A random net, data set, hyper-parameters, schedule of ``train_steps`` calls, and the
    backend, threads and kernel path to run it on."""
    sizes = draw(st.lists(st.integers(1, 40), min_size=2, max_size=4))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    mb = draw(st.one_of(st.integers(1, 70), st.integers(2 * GEMM_BLOCK, 2 * GEMM_BLOCK + 44)))
    backend = draw(st.sampled_from(NUMBA_BACKENDS))
    threads = draw(st.sampled_from([1, 2])) if backend_info(backend).threaded else 1
    path = draw(st.sampled_from(candidates(backend, mb, threads)))
    steps = draw(st.integers(1, 3))
    last = draw(st.integers(1, mb))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    n = mb * steps + last
    return {
        "backend": backend,
        "threads": threads,
        "path": path,
        "sizes": sizes,
        "dtype": dtype,
        "runs": [(0, steps, mb), (mb * steps, 1, last)],
        # the default pair on the paths that compile one copy per pair, any pair on loops
        # (every pair on every path: tests/test_kernel_paths.py)
        "hidden": HIDDEN_CODES[
            draw(st.sampled_from(sorted(HIDDEN_CODES))) if path == LOOPS else "sigmoid"
        ],
        "output": COST_CODES[
            draw(st.sampled_from(sorted(COST_CODES))) if path == LOOPS else "cross-entropy"
        ],
        "params": layout.init_params(sizes, draw(st.sampled_from(INITIALIZERS)), rng, dtype),
        "X": rng.random((n, sizes[0])).astype(dtype),
        "y": rng.integers(0, sizes[-1], n).astype(np.int64),
        "order": rng.permutation(n).astype(np.int64),
        "eta": draw(st.floats(0.001, 0.5)),
        "lmbda_n": draw(st.one_of(st.just(0.0), st.floats(0.0, 0.05))),
        "mu": draw(st.one_of(st.just(0.0), st.floats(0.0, 0.95))),
        "mb": mb,
    }


def _run(name: str, pb: dict[str, Any], path: str | None) -> tuple[Any, Any, list[float], Any]:
    """Train ``pb`` on backend ``name`` and kernel ``path``; parameters, velocity, the
    costs of the calls and ``(correct, mean cost)`` of an evaluation."""
    backend = load_backend(name)
    sizes = layout.sizes_array(pb["sizes"])
    p = pb["params"].copy()
    v = np.zeros_like(p)
    work = np.zeros(backend.workspace_size(sizes, pb["mb"]), dtype=p.dtype)
    net, data = Net(p, v, work), Data(pb["X"], pb["y"], pb["order"])
    rule, codes = Rule(pb["eta"], pb["lmbda_n"], pb["mu"]), Codes(pb["hidden"], pb["output"])
    costs = [
        backend.train_steps(net, sizes, data, Steps(*run), rule, codes, path) for run in pb["runs"]
    ]
    n = pb["X"].shape[0]
    ework = np.zeros(backend.workspace_size(sizes, 16), dtype=p.dtype)
    ev = backend.evaluate(p, ework, sizes, pb["X"], pb["y"], 16, pb["hidden"], pb["output"])
    return p, v, costs, (ev[0], ev[1] / n)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pb=problems())
def test_every_path_agrees_with_reference(pb: dict[str, Any]) -> None:
    p_ref, v_ref, c_ref, (_, e_ref) = _run("numpy", pb, None)
    assume(np.all(np.isfinite(p_ref)) and np.all(np.isfinite(c_ref)))  # not a diverged run
    before = numba.get_num_threads()
    numba.set_num_threads(pb["threads"])
    try:
        p, v, c, (_, e) = _run(pb["backend"], pb, pb["path"])
    finally:
        numba.set_num_threads(before)
    what = f"{pb['backend']} {pb['path']} on {pb['threads']} thread(s)"
    tol = TOL[pb["dtype"]]
    scale = max(1.0, float(np.abs(p_ref).max()), float(np.abs(v_ref).max()))
    assert p.dtype == pb["dtype"], what
    np.testing.assert_allclose(p, p_ref, rtol=0, atol=tol * scale, err_msg=what)
    if not (pb["dtype"](pb["mu"]) == 0 and not np.any(v)):  # μ = 0: velocity may stay put
        np.testing.assert_allclose(v, v_ref, rtol=0, atol=tol * scale, err_msg=what)
    np.testing.assert_allclose(c, c_ref, rtol=tol * 10, atol=tol * 10, err_msg=what)
    assert abs(e - e_ref) <= tol * 10 * max(1.0, abs(e_ref)), what
