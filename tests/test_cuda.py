"""The ``cuda`` backend against the numpy reference: on the CUDA simulator or a real GPU.

The simulator is a process-wide switch read when ``numba.cuda`` is first imported, so these
tests run in their own process: ``tox -e cudasim`` sets ``NUMBA_ENABLE_CUDASIM=1``, and
``scripts/gpu-check.sh`` runs them on the hardware with ``MLPBENCH_REQUIRE_CUDA=1``. In the
plain test run (no simulator, no GPU) they skip with that reason; where either variable is
set, a missing device fails instead. Shapes are tiny: every simulated thread is a Python
thread.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from kernels import reference as ref
from kernels.call import Codes, Data, Net, Rule, Steps
from kernels.layout import (
    COST_CODES,
    CROSS_ENTROPY,
    HIDDEN_CODES,
    SIGMOID,
    init_params,
    sizes_array,
)

REQUIRED = bool(os.environ.get("NUMBA_ENABLE_CUDASIM") or os.environ.get("MLPBENCH_REQUIRE_CUDA"))


def _problem() -> str | None:
    from kernels.cuda.session import device_problem

    return device_problem()


if _problem() is not None and not REQUIRED:
    pytest.skip(
        f"{_problem()}; run tox -e cudasim (simulator) or scripts/gpu-check.sh (GPU)",
        allow_module_level=True,
    )

SIZES = [20, 8, 3]
N = 48
ETA, LMBDA_N, MU = 0.5, 0.01, 0.9


def _data(dtype: str, n: int = N, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, SIZES[0])).astype(dtype), rng.integers(0, SIZES[-1], n)


def _tolerance(dtype: str) -> dict[str, float]:
    return {"rtol": 1e-4, "atol": 1e-5} if dtype == "float32" else {"rtol": 1e-10, "atol": 1e-12}


def _compare(
    dtype: str, hidden: int, output: int, mb: int, steps: int, sizes: list[int] = SIZES
) -> None:
    """Train ``steps`` mini-batches of ``mb`` on the GPU and the reference; compare all."""
    from kernels.cuda.session import CudaSession

    assert _problem() is None, _problem()
    X, y = _data(dtype)
    params = init_params(sizes, "default", np.random.default_rng(1), dtype)
    velocity = np.random.default_rng(2).standard_normal(params.shape).astype(dtype) * 0.01
    order = np.random.default_rng(3).permutation(N).astype(np.int64)
    s = CudaSession(sizes=sizes, dtype=dtype, mini_batch=mb, hidden=hidden, output=output)
    s.load(params, velocity)
    s.upload(X, y, X[:7], y[:7])
    s.set_order(order)
    cost = s.steps(1, steps, ETA, LMBDA_N, MU)
    s.synchronize()
    p_ref, v_ref = params.copy(), velocity.copy()
    cost_ref = ref.train_steps(
        Net(p_ref, v_ref, np.empty(1, dtype)), sizes_array(sizes), Data(X, y, order),
        Steps(1, steps, mb), Rule(ETA, LMBDA_N, MU), Codes(hidden, output),
    )  # fmt: skip
    p_gpu, v_gpu = s.to_host()
    assert p_gpu.dtype == np.dtype(dtype)
    tol = _tolerance(dtype)
    np.testing.assert_allclose(cost, cost_ref, **tol)
    np.testing.assert_allclose(p_gpu, p_ref, **tol)
    np.testing.assert_allclose(v_gpu, v_ref, **tol)
    correct, cost_sum = s.evaluate("val")
    correct_ref, cost_sum_ref = ref.evaluate(
        p_ref, np.empty(1, dtype), sizes_array(sizes), X[:7], y[:7], 7, hidden, output
    )
    assert correct == correct_ref
    np.testing.assert_allclose(cost_sum, cost_sum_ref, **tol)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("cost", sorted(COST_CODES))
@pytest.mark.parametrize("hidden", sorted(HIDDEN_CODES))
def test_matches_reference(dtype: str, cost: str, hidden: str) -> None:
    """Every cost × activation × dtype, momentum and L2 on, two mini-batches of 5."""
    _compare(dtype, HIDDEN_CODES[hidden], COST_CODES[cost], 5, 2)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("mb", [1, 16])
def test_mini_batch_sizes(dtype: str, mb: int) -> None:
    """Mini-batch 1 (many launches) and 16 (several row tiles) match the reference."""
    _compare(dtype, SIGMOID, CROSS_ENTROPY, mb, 2)


def test_deeper_network() -> None:
    """Any depth: two hidden layers (the backward kernel between hidden layers runs)."""
    _compare("float64", HIDDEN_CODES["tanh"], COST_CODES["log-likelihood"], 4, 2, [20, 6, 5, 3])


def test_ragged_batch_evaluate_chunks_and_transfers() -> None:
    """A short last mini-batch, evaluation of a prefix and of the training split, timings."""
    from kernels.cuda.session import CudaSession

    X, y = _data("float64")
    params = init_params(SIZES, "default", np.random.default_rng(1), "float64")
    s = CudaSession(
        sizes=SIZES, dtype="float64", mini_batch=8, hidden=SIGMOID, output=0, warm_up=True
    )
    s.load(params, np.zeros_like(params))
    s.upload(X, y, X[:5], y[:5])
    assert s.compile_seconds > 0  # the warm-up ran, timed apart
    order = np.arange(N, dtype=np.int64)
    s.set_order(order)
    s.steps(0, 1, ETA, 0.0, 0.0, batch=3)
    p_ref = params.copy()
    ref.train_steps(
        Net(p_ref, np.zeros_like(p_ref), np.empty(1)), sizes_array(SIZES), Data(X, y, order),
        Steps(0, 1, 3), Rule(ETA, 0.0, 0.0), Codes(SIGMOID, 0),
    )  # fmt: skip
    np.testing.assert_allclose(s.to_host()[0], p_ref, rtol=1e-10, atol=1e-12)
    got = s.evaluate("train", 6)
    want = ref.evaluate(p_ref, np.empty(1), sizes_array(SIZES), X[:6], y[:6], 6, SIGMOID, 0)
    assert got[0] == want[0]
    np.testing.assert_allclose(got[1], want[1], rtol=1e-10)
    assert s.transfer_seconds > 0
    with pytest.raises(ValueError, match="batch 9"):
        s.steps(0, 1, ETA, 0.0, 0.0, batch=9)
    with pytest.raises(ValueError, match="kernel path"):
        CudaSession(sizes=SIZES, dtype="float64", mini_batch=1, hidden=0, output=0, path="x")


def test_tiled_gemm_and_gpu_record() -> None:
    """The peak's GEMM kernel multiplies correctly (non-multiple-of-tile shapes); the
    machine record names the device (the simulator under tox -e cudasim)."""
    from numba import cuda

    from bench.gpu import gpu_info
    from kernels.cuda.kernels import TILE, blocks, kernel_set

    rng = np.random.default_rng(0)
    a, b = rng.random((9, 7)), rng.random((7, 6))
    c = cuda.device_array((9, 6), dtype=np.float64)
    kernel_set("float64").gemm[(blocks(6, TILE), blocks(9, TILE)), (TILE, TILE)](
        cuda.to_device(a), cuda.to_device(b), c
    )
    np.testing.assert_allclose(c.copy_to_host(), a @ b, rtol=1e-12)
    info = gpu_info()
    assert info is not None and info["model"]
    if os.environ.get("NUMBA_ENABLE_CUDASIM"):
        assert info["model"] == "CUDA simulator"


def test_trial_through_the_harness() -> None:
    """bench.train.run_trial with --backend cuda: the registry opens the cuda session, the
    trial trains, validates on the device and records compile and transfer seconds."""
    from bench.config import DataSpec, NetSpec, TrainSpec, TrialSpec
    from bench.data.dataset import load
    from bench.train import run_trial

    data = load(DataSpec(source="digits", n_train=20, n_val=10), "float64", 0)
    spec = TrialSpec(
        net=NetSpec(sizes=(64, 4, 10)),
        train=TrainSpec(backend="cuda", epochs=1, mini_batch=10, monitor_every=20),
    )
    result = run_trial(spec, data)
    assert result.status == "completed" and len(result.curve) == 2
    assert result.compile_seconds > 0
    assert result.transfer_seconds is not None and result.transfer_seconds > 0
    assert result.summary.kernel_path == "tiled"
