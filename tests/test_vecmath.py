"""The vectorisable exp/log1p (kernels.numba.blocks.vecmath) and the whole-block kernels that use
them (kernels.numba.blocks.vector): accuracy, results against the row loops, and that
the loops really are vector code."""

from __future__ import annotations

import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numba.core import config as numba_config

from kernels import reference
from kernels.layout import CROSS_ENTROPY, LOG_LIKELIHOOD, QUADRATIC, RELU, SIGMOID, TANH
from kernels.numba.blocks import vector
from kernels.numba.blocks.vecmath import exp_neg, log1p_unit
from kernels.numba.jit import from_python, python_entry, vec_jit

# building blocks, called from Python through a compiled trampoline
act_block, output_block, push_down = (
    from_python(vector.act_block),
    from_python(vector.output_block),
    from_python(vector.push_down),
)

JIT = not numba_config.DISABLE_JIT
ROOT = Path(__file__).resolve().parent.parent


@python_entry(vec_jit)
def _exp_all(x, out, one):
    for i in range(x.shape[0]):
        out[i] = exp_neg(x[i], one)


@python_entry(vec_jit)
def _log1p_all(e, out, one):
    for i in range(e.shape[0]):
        out[i] = log1p_unit(e[i], one)


def _ulps(got: np.ndarray, want: np.ndarray, dtype: Any) -> np.ndarray:
    """|got − want| in units of the last place of ``want`` rounded to ``dtype``."""
    tiny = np.finfo(dtype).smallest_subnormal
    return np.abs(got.astype(np.float64) - want) / np.maximum(
        np.spacing(np.abs(want).astype(dtype)).astype(np.float64), tiny
    )


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_exp_neg_within_one_ulp_down_to_zero(dtype: Any) -> None:
    """From 0 to below the smallest subnormal result: ≤ 1 ulp, zero exactly where the
    correctly rounded result is zero."""
    lo = 110.0 if dtype == np.float32 else 760.0
    n = 200_001 if JIT else 2_001
    x = -np.concatenate([np.linspace(0, lo, n), np.random.default_rng(0).exponential(3, n)])
    x = x.astype(dtype)
    got = np.empty_like(x)
    _exp_all(x, got, dtype(1))
    want = np.exp(x.astype(np.float64))
    assert _ulps(got, want, dtype).max() <= 1.0
    np.testing.assert_array_equal(got == 0, want.astype(dtype) == 0)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_log1p_unit_within_three_ulp(dtype: Any) -> None:
    e = np.random.default_rng(1).random(100_000 if JIT else 2_000)
    e = np.concatenate([[0.0, 1.0, 1e-30, 1e-8, 0.5], e]).astype(dtype)
    got = np.empty_like(e)
    _log1p_all(e, got, dtype(1))
    want = np.log1p(e.astype(np.float64))
    assert got[0] == 0
    assert _ulps(got[1:], want[1:], dtype).max() <= 3.0


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("hidden", [SIGMOID, TANH, RELU])
@pytest.mark.parametrize("vec", [True, False])
def test_act_block_matches_float64_reference(dtype: Any, hidden: int, vec: bool) -> None:
    """The block activations (vectorised sigmoid and the scalar loops) agree with the numpy
    reference evaluated in float64, including |z| where exp under- or overflows."""
    z = np.random.default_rng(2).standard_normal(999) * 30
    z[:4] = [0.0, -800.0, 800.0, -90.0]
    z = z.astype(dtype)
    got = z.copy()
    act_block(got, z.size, hidden, dtype(1), vec)
    want = reference.hidden_activation(z.astype(np.float64), hidden)
    rtol = 4 * np.finfo(dtype).eps
    np.testing.assert_allclose(got, want, rtol=rtol, atol=np.finfo(dtype).tiny)


def _output_oracle(z: np.ndarray, labels: np.ndarray, output: int) -> tuple[Any, Any, float]:
    """Activations, deltas and summed cost of an ``m × n`` block by the numpy reference, in
    float64 (an evaluation independent of the Numba code)."""
    z64 = z.astype(np.float64)
    a = reference.output_activation(z64, output)
    d = a - reference.one_hot(labels, z.shape[1], np.float64)
    if output == QUADRATIC:
        d = d * a * (1 - a)
    return a, d, float(reference.sample_costs(z64, a, labels, output).sum())


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("output", [CROSS_ENTROPY, QUADRATIC, LOG_LIKELIHOOD])
@pytest.mark.parametrize("vec", [True, False])
def test_output_block_matches_float64_reference(dtype: Any, output: int, vec: bool) -> None:
    """Activations, deltas and the summed cost of a block (the labels read through the
    shuffled order) agree with the float64 numpy reference, for the vectorised block and
    the row loops alike."""
    rng = np.random.default_rng(3)
    m, n = 37, 10
    z = (rng.standard_normal(m * n) * 8).astype(dtype)
    y = rng.integers(0, n, 60)
    order = rng.permutation(60).astype(np.int64)
    pos, one = 5, dtype(1)
    a, d = np.full_like(z, np.nan), np.full_like(z, np.nan)
    cost = output_block(z, a, d, y, order, pos, m, n, output, one, vec)
    a_want, d_want, want = _output_oracle(z.reshape(m, n), y[order[pos : pos + m]], output)
    tol = 8 * float(np.finfo(dtype).eps)
    np.testing.assert_allclose(a.reshape(m, n), a_want, rtol=tol, atol=tol)
    np.testing.assert_allclose(d.reshape(m, n), d_want, rtol=tol, atol=tol)
    assert cost == pytest.approx(want, rel=float(tol * 10))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n_in", [5, 16, 30, 37])
def test_push_down_equals_dw_times_derivative(dtype: Any, n_in: int) -> None:
    """``Dp = sc·(D·W) ⊙ σ'(A)`` for narrow, exact and ragged widths (the overlapping last
    strip), every sample count 1-9 and 100 (4-sample tiles and the single ones)."""
    rng = np.random.default_rng(n_in)
    n_out, sc = 10, dtype(0.75)
    W = rng.standard_normal((n_out, n_in)).astype(dtype)
    for m in (*range(1, 10), 100):
        D = rng.standard_normal((m, n_out)).astype(dtype)
        A = rng.random((m, n_in)).astype(dtype)
        Dp = np.full((m, n_in), np.nan, dtype)
        push_down(D, W, Dp, A, sc, SIGMOID, dtype(1), m, n_in, n_out)
        want = sc * (D.astype(np.float64) @ W) * A * (1 - A)
        tol = 1e-12 if dtype == np.float64 else 1e-5
        np.testing.assert_allclose(Dp, want, rtol=tol, atol=tol, err_msg=f"m={m}")


@pytest.mark.skipif(not JIT, reason="assembly exists only when compiled")
@pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64"), reason="x86 assembly only")
def test_block_loops_are_vector_code(tmp_path: Path) -> None:
    """The block sigmoid and output loops compile to packed float32 arithmetic: their
    divisions are vector divisions (a division check or a libm call in the loop would leave
    them scalar, at 5-8× the cost). Compiled afresh in a child (a kernel loaded from the
    on-disk cache has no assembly to show)."""
    code = """
import numpy as np
from kernels.layout import CROSS_ENTROPY, SIGMOID
from kernels.numba.blocks.vector import act_block
from kernels.numba.blocks.vector import output_block
from kernels.numba.jit import from_python
z = np.zeros(64, np.float32); one = np.float32(1)
from_python(act_block)(z, 64, SIGMOID, one, True)
y, order = np.zeros(8, np.int64), np.arange(8, dtype=np.int64)
from_python(output_block)(z, z.copy(), z.copy(), y, order, 0, 8, 8, CROSS_ENTROPY, one, True)
for kernel in (act_block, output_block):
    asm = "".join(kernel.inspect_asm().values())
    print(int("vfmadd" in asm), int("vdivps\t%ymm" in asm or "vdivps\t%zmm" in asm))
"""
    env = {"NUMBA_CACHE_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, env=env, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1", "1", "1", "1"]  # FMAs and 8- or 16-lane divisions
