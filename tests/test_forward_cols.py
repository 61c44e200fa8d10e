"""The forward products on transposed weights (``fwd_cols``, ``fwd_rows_cols``) and the
rule that picks them for a first layer (``cols_first``)."""

from __future__ import annotations

from typing import Any

import fake_blas
import numpy as np
import pytest

from kernels.numba.blocks import dense
from kernels.numba.jit import from_python
from kernels.numba.slots import padded, scratch_size

fwd_cols = from_python(dense.fwd_cols)
fwd_rows_cols = from_python(dense.fwd_rows_cols)
transpose_into = from_python(dense.transpose_into)

TOL = {np.float64: 1e-12, np.float32: 2e-5}


def _want(A: np.ndarray, W: np.ndarray, b: np.ndarray, sc: float) -> np.ndarray:
    """``sc·A·Wᵀ + b`` in float64."""
    return sc * (A.astype(np.float64) @ W.astype(np.float64).T) + b


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n_out", [1, 10, 16, 30, 33])
def test_fwd_cols_equals_a_wt_plus_b(dtype: Any, n_out: int) -> None:
    """Every sample count (the 4-sample tiles and the single rows after them), outputs
    narrower than a tile, exactly one, ragged and past one padded width; the scratch as
    large as the slot gives it, filled with NaN first (nothing read before written)."""
    rng = np.random.default_rng(n_out)
    n_in = 30
    W = rng.standard_normal((n_out, n_in)).astype(dtype)
    b = rng.standard_normal(n_out).astype(dtype)
    for m in (1, 3, 4, 5, 13):
        A = rng.standard_normal((m, n_in)).astype(dtype)
        T = np.full(scratch_size([n_in, n_out], m), np.nan, dtype)
        Z = np.full((m, n_out), np.nan, dtype)
        fwd_cols(A, W, b, Z, dtype(0.5), m, n_in, n_out, T)
        np.testing.assert_allclose(
            Z, _want(A, W, b, 0.5), rtol=TOL[dtype], atol=TOL[dtype] * 10, err_msg=f"m={m}"
        )


def _first_layer(dtype: Any, n_out: int, m: int, pos: int, rng: Any) -> tuple[Any, ...]:
    n_in, n_rows = 100, 60
    X = rng.standard_normal((n_rows, n_in)).astype(dtype)
    order = rng.permutation(n_rows).astype(np.int64)
    W = rng.standard_normal((n_out, n_in)).astype(dtype)
    b = rng.standard_normal(n_out).astype(dtype)
    WT = np.full((n_in, padded(n_out)), np.nan, dtype)
    transpose_into(W, WT, n_in, n_out)
    return X, order, W, b, WT


def _run_rows_cols(X: Any, order: Any, WT: Any, b: Any, pos: int, m: int) -> np.ndarray:
    n_in, n_out = X.shape[1], b.shape[0]
    T = np.full(m * WT.shape[1], np.nan, X.dtype)
    Z = np.full((m, n_out), np.nan, X.dtype)
    fwd_rows_cols(X, order, pos, WT, T, b, Z, X.dtype.type(2), m, n_in, n_out)
    return Z


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n_out", [10, 30, 32, 40])
def test_fwd_rows_cols_equals_the_rows_in_order_times_wt(dtype: Any, n_out: int) -> None:
    """The tiles (6 rows in float32, 4 in float64) over the rows ``X[order[pos + s]]``,
    the last tile overlapping (13), exactly full (12), one or one and a half tiles (6);
    one and two 32-column strips with zero padding; ``transpose_into`` leaves no NaN in
    the padding."""
    rng = np.random.default_rng(n_out)
    X, order, W, b, WT = _first_layer(dtype, n_out, 13, 7, rng)
    assert not np.isnan(WT).any()
    for m in (6, 12, 13):
        Z = _run_rows_cols(X, order, WT, b, 7, m)
        want = _want(X[order[7 : 7 + m]], W, b, 2.0)
        np.testing.assert_allclose(Z, want, rtol=TOL[dtype], atol=TOL[dtype] * 10, err_msg=f"m={m}")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_row_gets_the_same_bits_in_any_tile(dtype: Any) -> None:
    """Rows 7–12 of a 13-row call come from the overlapping last tile; run alone as one
    6-row call from the same inputs they must give the same bytes (each row's sum runs
    the same way whichever tile holds it): the overlap cannot make a result depend on the
    mini-batch size."""
    rng = np.random.default_rng(1)
    X, order, _, b, WT = _first_layer(dtype, 30, 13, 5, rng)
    whole = _run_rows_cols(X, order, WT, b, 5, 13)
    alone = _run_rows_cols(X, order, WT, b, 5 + 7, 6)
    assert whole[7:].tobytes() == alone.tobytes()


def test_first_layer_on_wt_only_with_avx512_and_from_the_break_even_batch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """AVX-512 holds the 6 × 32 tile in registers (24 zmm in float64); AVX2 keeps the dot
    products. Below the measured break-even mini-batch the transpose costs more than the
    tiles save: the threshold is per dtype."""
    x32, x64 = np.zeros((1, 1), np.float32), np.zeros((1, 1), np.float64)
    least32, least64 = dense.COLS_MIN_BATCH[4], dense.COLS_MIN_BATCH[8]
    monkeypatch.setenv("NUMBA_CPU_FEATURES", fake_blas.NUMBA_AVX512)
    assert dense.cols_first(x32, least32) and not dense.cols_first(x32, least32 - 1)
    assert dense.cols_first(x64, least64) and not dense.cols_first(x64, least64 - 1)
    monkeypatch.setenv("NUMBA_CPU_FEATURES", fake_blas.NUMBA_AVX2)
    assert not dense.cols_first(x32, 1000) and not dense.cols_first(x64, 1000)
