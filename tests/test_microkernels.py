"""The regtile path's register-tiled micro-kernels and the SLP switch of every kernel."""

from __future__ import annotations

import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

import fake_blas
import numpy as np
import pytest
from numba import njit
from numba.core import config as numba_config

from kernels.numba.blocks import microkernels as mk
from kernels.numba.blocks.grads import grad_tiles as grad_tiles_block
from kernels.numba.blocks.grads import strip_cols, wide_tiles
from kernels.numba.blocks.microkernels import COLS, grad_tile_6, grad_tile_6x32
from kernels.numba.jit import TILE_FASTMATH, from_python, jit, python_entry, with_slp
from kernels.paths import isa_class

grad_tiles = from_python(grad_tiles_block)  # a building block: called from Python this way

ROOT = Path(__file__).resolve().parent.parent


def _offset_rows(n: int, cols: int, dtype: Any, offset_bytes: int, rng: Any) -> np.ndarray:
    """An ``n × cols`` C-contiguous array whose data starts ``offset_bytes`` past a line."""
    item = np.dtype(dtype).itemsize
    buf = np.empty(n * cols * item + 128, np.uint8)
    start = (-buf.ctypes.data) % 64 + offset_bytes
    out = buf[start : start + n * cols * item].view(dtype).reshape(n, cols)
    out[:] = rng.standard_normal((n, cols))
    return out


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n_in", [5, 16, 20, 32, 37, 48, 784])
@pytest.mark.parametrize("offset", [0, 16, 40])
def test_grad_tiles_equals_dt_a(dtype: Any, n_in: int, offset: int) -> None:
    """``G = Dᵀ·A[rows]`` for narrow, exact, ragged and line-multiple widths, every row
    count 1-13 and 30 (all tile heights), any alignment of ``A`` (the line-boundary strips
    and the overlapping edges), rows taken through a shuffled index."""
    rng = np.random.default_rng(n_in + offset)
    m, n_rows = 23, 60
    A = _offset_rows(n_rows, n_in, dtype, offset, rng)
    rows = rng.permutation(n_rows).astype(np.int64)
    r0 = 7
    tol = 1e-12 if dtype == np.float64 else 2e-5
    for n_out in (*range(1, 14), 30):
        D = rng.standard_normal((m, n_out)).astype(dtype)
        G = np.full((n_out, n_in), np.nan, dtype)
        grad_tiles(D, A, rows, r0, G, m, n_in, n_out)
        want = D.astype(np.float64).T @ A[rows[r0 : r0 + m]].astype(np.float64)
        np.testing.assert_allclose(G, want, rtol=tol, atol=tol * 10, err_msg=f"n_out={n_out}")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_grad_tiles_bits_do_not_depend_on_alignment(dtype: Any) -> None:
    """Where the strips start follows ``A``'s address; every column is summed the same way
    in any strip, so the same data at another address gives the same bits (reruns whose
    arrays land elsewhere in memory stay bit-identical)."""
    m, n_in, n_out = 37, 784, 30
    rng = np.random.default_rng(3)
    data = rng.standard_normal((m, n_in)).astype(dtype)
    D = rng.standard_normal((m, n_out)).astype(dtype)
    rows = np.arange(m, dtype=np.int64)
    got = []
    for offset in (0, 8, 16, 40):
        A = _offset_rows(m, n_in, dtype, offset, rng)
        A[:] = data
        G = np.empty((n_out, n_in), dtype)
        grad_tiles(D, A, rows, 0, G, m, n_in, n_out)
        got.append(G.tobytes())
    assert len(set(got)) == 1


def test_wide_float32_tiles_give_the_bits_of_the_narrow_ones() -> None:
    """float32 strips are 6 × 32 tiles (``grad_tile_6x32``); each column is the same sum
    over the samples, in the same order, as in the 6 × 16 tile that float64 (and float32
    before) uses, so the gradient has the same bits."""
    m, n_in, n_out = 41, 784, 30
    rng = np.random.default_rng(5)
    A = rng.standard_normal((m, n_in)).astype(np.float32)
    D = rng.standard_normal((m, n_out)).astype(np.float32)
    rows = rng.permutation(m).astype(np.int64)
    G = np.empty((n_out, n_in), np.float32)
    grad_tiles(D, A, rows, 0, G, m, n_in, n_out)
    narrow = np.empty_like(G)
    tile = from_python(grad_tile_6)
    for j0 in range(0, n_out, 6):
        for k0 in range(0, n_in, COLS):
            tile(D, A, rows, 0, narrow, j0, k0, m)
    assert G.tobytes() == narrow.tobytes()
    assert strip_cols(A) == (32 if isa_class() == "avx512" else COLS)
    assert strip_cols(A.astype(np.float64)) == COLS
    wide = from_python(grad_tile_6x32)
    G[:] = np.nan
    wide(D, A, rows, 0, G, 0, 32, m)
    assert G[:6, 32:64].tobytes() == narrow[:6, 32:64].tobytes()


def test_wide_tiles_only_for_float32_where_there_are_32_vector_registers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """6 × 32 float32 tiles need 12 of AVX-512's 32 registers; on AVX2 (16 registers) they
    would spill, so the target's ISA decides (Numba's ``NUMBA_CPU_FEATURES`` here)."""
    monkeypatch.setenv("NUMBA_CPU_FEATURES", fake_blas.NUMBA_AVX512)
    assert wide_tiles("float32") and not wide_tiles("float64")
    monkeypatch.setenv("NUMBA_CPU_FEATURES", fake_blas.NUMBA_AVX2)
    assert not wide_tiles("float32") and not wide_tiles("float64")


def _packed_fmas(asm: str) -> int:
    """Packed (vector) FMA instructions in x86 assembly text."""
    return sum(asm.count(op) for op in ("vfmadd231ps", "vfmadd231pd", "vfmadd213p", "vfmadd132p"))


TILE_CASES = [  # (tile, kind, rows, cols)
    (mk.grad_tile_1, "grad", 1, mk.COLS), (mk.grad_tile_6, "grad", 6, mk.COLS),
    (mk.grad_tile_6x32, "grad", 6, mk.WIDE_COLS), (mk.push_tile_1, "push", 1, mk.COLS),
    (mk.push_tile_4, "push", 4, mk.COLS), (mk.fwd_tile_4x32, "fwd", 4, mk.WIDE_COLS),
    (mk.fwd_tile_6x32, "fwd", 6, mk.WIDE_COLS),
]  # fmt: skip


@njit(fastmath=TILE_FASTMATH)
def _one_sum_per_lane(S, s_rows, s_col0, s_step, V, v_rows, v_col0, out, o_row0, o_col0,
                      R, C, n, zero):  # fmt: skip
    """What every tile computes, one lane at a time: ``out[o_row0+r, o_col0+c] =
    Σ_t S[s_rows[...]]·V[v_rows[t], v_col0+c]`` summed in order, FMA-contracted only."""
    for r in range(R):
        for c in range(C):
            acc = zero
            for t in range(n):
                p = S[s_rows[r], s_col0 + t] if s_step else S[t, s_col0 + r]
                acc += p * V[v_rows[t], v_col0 + c]
            out[o_row0 + r, o_col0 + c] = acc


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(("tile", "kind", "R", "C"), TILE_CASES)
def test_every_tile_is_one_fused_sum_per_lane_in_order(
    tile: Any, kind: str, R: int, C: int, dtype: Any
) -> None:
    """Each lane of each tile has the bits of its own sum taken in order with FMA
    contraction and no re-association (what the scalar tiles before computed): the same
    data summed by another tile, or by a caller compiled with other fast-math flags, gives
    the same bits. Offsets, a shuffled row order and a ragged count are all non-trivial."""
    rng = np.random.default_rng(R * 100 + C)
    zero = np.dtype(dtype).type(0)
    n, r0, o0, c0 = 37, 3, 2, 5
    order = rng.permutation(60).astype(np.int64)
    ident = np.arange(60, dtype=np.int64)
    out = np.full((12, 80), np.nan, dtype)
    want = out.copy()
    if kind == "grad":  # G[j0+r, k0+c] = Σ_s D[s, j0+r]·A[order[r0+s], k0+c]
        D = rng.standard_normal((n, 12)).astype(dtype)
        A = rng.standard_normal((60, 80)).astype(dtype)
        from_python(tile)(D, A, order, r0, out, o0, c0, n)
        _one_sum_per_lane(D, ident, o0, False, A, order[r0:], c0, want, o0, c0, R, C, n, zero)
    elif kind == "push":  # P[s0+r, k0+c] = Σ_j D[s0+r, j]·W[j, k0+c]
        D = rng.standard_normal((12, n)).astype(dtype)
        W = rng.standard_normal((n, 80)).astype(dtype)
        from_python(tile)(D, W, out, o0, c0, n)
        _one_sum_per_lane(D, ident[o0:], 0, True, W, ident, c0, want, o0, c0, R, C, n, zero)
    else:  # P[s0+r, j0+c] = Σ_k A[order[r0+s0+r], k]·WT[k, j0+c]
        A = rng.standard_normal((60, n)).astype(dtype)
        WT = rng.standard_normal((n, 80)).astype(dtype)
        from_python(tile)(A, order, r0, WT, out, o0, c0, n)
        _one_sum_per_lane(A, order[r0 + o0 :], 0, True, WT, ident, c0, want, o0, c0, R, C, n,
                          zero)  # fmt: skip
    assert out.tobytes() == want.tobytes()
    assert np.isnan(out[o0 + R :]).all() and np.isnan(out[:, c0 + C :]).all()


@pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64"), reason="x86 assembly only")
def test_tiles_are_packed_fmas_with_the_same_bits_whatever_the_caller(tmp_path: Path) -> None:
    """A tile is vector code in any caller: inlined into a function compiled with no
    fast-math flags and no SLP vectoriser it still runs packed FMAs, and gives the bits it
    gives in a kernel compiled with mlpbench's flags (its own flags travel with it)."""
    code = f"""
import numpy as np
from numba import njit
from kernels.numba.jit import jit, python_entry
from kernels.numba.blocks.microkernels import grad_tile_6
rng = np.random.default_rng(0)
D = rng.standard_normal((40, 6)); A = rng.standard_normal((40, {mk.COLS}))
rows = np.arange(40)
def call(D, A, rows, G):
    grad_tile_6(D, A, rows, 0, G, 0, 0, 40)
plain = njit(call)
ours = python_entry(jit)(call)
G1 = np.zeros((6, {mk.COLS})); G2 = np.zeros((6, {mk.COLS}))
plain(D, A, rows, G1); ours(D, A, rows, G2)
asm = "".join(plain.inspect_asm().values())
print(sum(asm.count(op) for op in ("vfmadd231pd", "vfmadd213pd", "vfmadd132pd")),
      int(G1.tobytes() == G2.tobytes()))
"""
    env = {"NUMBA_CACHE_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, env=env, check=False
    )
    assert done.returncode == 0, done.stderr
    packed, same = (int(v) for v in done.stdout.split())
    assert packed > 0
    assert same == 1


def test_slp_switch_is_restored_and_scoped() -> None:
    """The switch is on only while an mlpbench kernel compiles, and off again after."""
    before = numba_config.SLP_VECTORIZE
    seen: list[int] = []

    def probe(x: float) -> float:
        return x + 1.0

    kernel = python_entry(jit)(probe)
    original = kernel.compile

    def spy(sig: Any) -> Any:
        seen.append(numba_config.SLP_VECTORIZE)
        return original(sig)

    # with_slp wraps whatever compile the dispatcher has: wrap the spy to observe inside
    kernel.compile = spy
    with_slp(kernel)
    assert kernel(1.0) == 2.0
    assert 1 in seen
    assert before == numba_config.SLP_VECTORIZE


@pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64"), reason="x86 assembly only")
def test_forward_in_place_prefetches_and_gathered_forward_agrees(tmp_path: Path) -> None:
    """``fwd_rows`` (inputs read in place) issues prefetches for the next rows, and gives
    the same bits as the gathered forward ``fwd_loops`` (the hint changes no result).
    Compiled afresh in a child: a kernel loaded from the on-disk cache has no assembly."""
    code = """
import numpy as np
from kernels.numba.blocks.dense import fwd_loops, fwd_rows
from kernels.numba.jit import from_python
rng = np.random.default_rng(0)
X = rng.standard_normal((50, 100)).astype(np.float32); order = rng.permutation(50)
W = rng.standard_normal((30, 100)).astype(np.float32); b = np.ones(30, np.float32)
Z1 = np.zeros((13, 30), np.float32); Z2 = np.zeros((13, 30), np.float32)
one = np.float32(1)
from_python(fwd_rows)(X, order, 35, W, b, Z1, one, 13, 100, 30)
from_python(fwd_loops)(X[order[35:48]].copy(), W, b, Z2, one, 13, 100, 30)
asm = "".join(fwd_rows.inspect_asm().values())
print(int("prefetch" in asm), int(np.array_equal(Z1, Z2)))
"""
    env = {"NUMBA_CACHE_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, env=env, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1", "1"]
