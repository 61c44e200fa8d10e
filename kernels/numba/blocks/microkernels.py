# mypy: allow-untyped-defs
# mypy: disable-error-code="no-untyped-call"
"""Register-tiled micro-kernels of the ``regtile`` paths, written as LLVM vector code.

Every tile keeps ``R × C`` sums in vector registers over a loop of ``n`` steps; each step
loads one ``C``-vector ``x`` and ``R`` scalars ``p_r`` and adds ``p_r·x`` to sum row ``r``
(one broadcast and one multiply-add per row; FMA-contracted, never re-associated: every
lane is one sum, in order). The sums are stored once, after the loop.

- ``grad_tile_R(D, A, rows, r0, G, j0, k0, m)`` sets ``G[j0:j0+R, k0:k0+16]`` to
  ``Σ_s D[s, j0:j0+R]ᵀ · A[rows[r0+s], k0:k0+16]`` over the ``m`` rows of ``D``
  (``m × n_out``) and the rows ``rows[r0:r0+m]`` of ``A`` (the training inputs, read in
  place through the shuffled order, or a slot's activations with ``rows`` the identity);
  ``grad_tile_6x32`` is the same over 32 columns, for float32 on AVX-512
  (:func:`kernels.numba.blocks.grads.grad_tiles`).
- ``push_tile_R(D, W, P, s0, k0, n)`` sets ``P[s0:s0+R, k0:k0+16]`` to
  ``D[s0:s0+R, :n]·W[:n, k0:k0+16]`` (deltas pushed one layer down).
- ``fwd_tile_Rx32(A, rows, r0, WT, P, s0, j0, n)`` sets ``P[s0:s0+R, j0:j0+32]`` to
  ``A[rows[r0+s0:r0+s0+R], :n]·WT[:n, j0:j0+32]`` (a first-layer forward on the
  transposed weights, AVX-512: :func:`kernels.numba.blocks.dense.fwd_rows_cols`).

Why LLVM code: Numba has no vector types. The tiles used to be Python with ``R·C`` named
scalar sums (written out by a generator) that LLVM's SLP vectoriser packed into vector
registers; Numba then typed and lowered several hundred statements per tile, about 2.6 s
of a cold ``regtile`` compile. Each tile is now a Numba ``intrinsic``: its few dozen LLVM
instructions are written straight into the caller, the same operations in the same order
(so the same bits) for about nothing. All arrays are C-contiguous (the slots and the data
are); the arguments are typed strictly, so any other use fails to compile instead of
running on a wrong layout. Under ``NUMBA_DISABLE_JIT`` each name is a NumPy function with
the same sums in the same order (not fused).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from llvmlite import ir
from numba.core import cgutils, types
from numba.core import config as numba_config
from numba.core.errors import TypingError
from numba.extending import intrinsic

from kernels.numba.jit import TILE_FASTMATH

COLS = 16  # columns of G per tile: one 64-byte line of float32, two of float64
WIDE_COLS = 32  # the float32 gradient tile on AVX-512: 6 × 32 sums are 12 zmm accumulators
TILE_ROWS = 6  # rows of G per gradient tile; a ragged last tile overlaps its neighbour
TILE_FLAGS = tuple(sorted(TILE_FASTMATH))  # FMA contraction only, never re-association

GRAD, PUSH, FWD = "grad", "push", "fwd"


class _Array:
    """An array argument of a tile, unpacked once (before the tile's loop)."""

    def __init__(self, context: Any, builder: Any, ty: Any, value: Any) -> None:
        self.context, self.builder, self.ty = context, builder, ty
        ary = context.make_array(ty)(context, builder, value)
        self.data = ary.data
        self.shape = cgutils.unpack_tuple(builder, ary.shape)
        self.strides = cgutils.unpack_tuple(builder, ary.strides)

    def at(self, *index: Any) -> Any:
        """The element pointer of ``[index]``."""
        return cgutils.get_item_pointer2(
            self.context, self.builder, self.data, self.shape, self.strides, self.ty.layout,
            list(index),
        )  # fmt: skip

    def row(self, i: Any) -> Any:
        """Element ``i`` of this 1-D integer array (a row of the shuffled order), an intp."""
        return _intp(self.context, self.builder, self.builder.load(self.at(i)), self.ty.dtype)


def _typecheck(name: str, matrices: tuple[Any, ...], index: Any, ints: tuple[Any, ...]) -> Any:
    """The element type of the tile's matrices, after checking every argument's type."""
    dtype = matrices[0].dtype if isinstance(matrices[0], types.Array) else None
    for m in matrices:
        ok = isinstance(m, types.Array) and m.ndim == 2 and m.layout == "C"
        if not ok or m.dtype != dtype or not isinstance(dtype, types.Float):
            raise TypingError(f"{name}: needs C-contiguous 2-D float arrays of one dtype, got {m}")
    if index is not None:
        ok = isinstance(index, types.Array) and index.ndim == 1
        if not ok or not isinstance(index.dtype, types.Integer):
            raise TypingError(f"{name}: needs a 1-D integer row order, got {index}")
    for i in ints:
        if not isinstance(i, types.Integer):
            raise TypingError(f"{name}: needs integer offsets and counts, got {i}")
    return dtype


def _emit(context: Any, builder: Any, dtype: Any, rows: int, cols: int, n: Any,
          vector_at: Callable[[Any], Any], scalar_at: Callable[[Any, int], Any],
          out_at: Callable[[int], Any]) -> None:  # fmt: skip
    """The tile's loop: ``rows`` vector sums of ``cols`` lanes; step ``t`` of ``n`` adds
    ``scalar_at(t, r)·vector`` (``vector`` loaded from ``vector_at(t)``) to sum ``r``; sum
    ``r`` is stored at ``out_at(r)`` after the loop."""
    lt = context.get_data_type(dtype)
    vt = ir.VectorType(lt, cols)
    align = context.get_abi_sizeof(lt)
    zero = ir.Constant(vt, [ir.Constant(lt, 0.0)] * cols)
    sums = [cgutils.alloca_once_value(builder, zero) for _ in range(rows)]
    undef = ir.Constant(vt, ir.Undefined)
    lane0 = ir.Constant(ir.IntType(32), 0)
    splat = ir.Constant(ir.VectorType(ir.IntType(32), cols), [0] * cols)
    with cgutils.for_range(builder, n) as loop:
        x = builder.load(builder.bitcast(vector_at(loop.index), vt.as_pointer()), align=align)
        for r in range(rows):
            p = builder.shuffle_vector(
                builder.insert_element(undef, scalar_at(loop.index, r), lane0), undef, splat
            )
            prod = builder.fmul(p, x)
            prod.flags.extend(TILE_FLAGS)  # set here, so Numba's fast-math pass leaves them
            total = builder.fadd(builder.load(sums[r]), prod)
            total.flags.extend(TILE_FLAGS)
            builder.store(total, sums[r])
    for r in range(rows):
        ptr = builder.bitcast(out_at(r), vt.as_pointer())
        builder.store(builder.load(sums[r]), ptr, align=align)


def _intp(context: Any, builder: Any, value: Any, ty: Any) -> Any:
    """``value`` of integer type ``ty`` as an ``intp``."""
    return context.cast(builder, value, ty, types.intp)


# What a tile's loop reads and writes, from its arrays and integers (by argument position):
# ``(n, vector_at, scalar_at, out_at)`` for :func:`_emit`.
Addresses = Callable[[Any, dict[int, _Array], dict[int, Any]], tuple[Any, Any, Any, Any]]


def _tile(name: str, rows: int, cols: int, matrices: tuple[int, ...], order: int | None,
          ints: tuple[int, ...], addresses: Addresses) -> Callable[..., Any]:  # fmt: skip
    """The typing of an intrinsic tile of ``rows × cols`` sums, ``(argument types) ->
    (signature, codegen)``: the argument positions of its matrices, its row order (or None)
    and its integers, and where its loop reads and writes. (Numba needs the intrinsic's
    own parameters named, so each kind wraps this in a function of its own.)"""
    arrays = (*matrices, *(() if order is None else (order,)))

    def typer(*args: Any) -> Any:
        order_ty = None if order is None else args[order]
        dtype = _typecheck(name, tuple(args[i] for i in matrices), order_ty,
                           tuple(args[i] for i in ints))  # fmt: skip

        def codegen(context, builder, signature, values):
            tys = signature.args
            arr = {i: _Array(context, builder, tys[i], values[i]) for i in arrays}
            num = {i: _intp(context, builder, values[i], tys[i]) for i in ints}
            _emit(context, builder, dtype, rows, cols, *addresses(builder, arr, num))
            return context.get_dummy_value()

        return types.void(*args), codegen

    return typer


def _offsets(builder: Any, base: Any, rows: int) -> list[Any]:
    """``base + r`` for each tile row ``r`` (computed once, before the loop)."""
    return [builder.add(base, ir.Constant(base.type, r)) for r in range(rows)]


def _grad_tile(rows: int, cols: int) -> Any:
    """``grad_tile_<rows>[x<cols>](D, A, order, r0, G, j0, k0, m)`` (module docstring)."""

    def addresses(builder, a, i):
        D, A, order, G = a[0], a[1], a[2], a[4]
        r0, j0, k0, m = i[3], i[5], i[6], i[7]
        js = _offsets(builder, j0, rows)
        return (m, lambda t: A.at(order.row(builder.add(r0, t)), k0),
                lambda t, r: builder.load(D.at(t, js[r])), lambda r: G.at(js[r], k0))  # fmt: skip

    typer = _tile("grad_tile", rows, cols, (0, 1, 4), 2, (3, 5, 6, 7), addresses)

    @intrinsic
    def grad_tile(typingctx, D, A, order, r0, G, j0, k0, m):
        return typer(D, A, order, r0, G, j0, k0, m)

    return grad_tile


def _push_tile(rows: int, cols: int) -> Any:
    """``push_tile_<rows>(D, W, P, s0, k0, n)`` (module docstring)."""

    def addresses(builder, a, i):
        D, W, P = a[0], a[1], a[2]
        s0, k0, n = i[3], i[4], i[5]
        ss = _offsets(builder, s0, rows)
        return (n, lambda t: W.at(t, k0), lambda t, r: builder.load(D.at(ss[r], t)),
                lambda r: P.at(ss[r], k0))  # fmt: skip

    typer = _tile("push_tile", rows, cols, (0, 1, 2), None, (3, 4, 5), addresses)

    @intrinsic
    def push_tile(typingctx, D, W, P, s0, k0, n):
        return typer(D, W, P, s0, k0, n)

    return push_tile


def _fwd_tile(rows: int, cols: int) -> Any:
    """``fwd_tile_<rows>x<cols>(A, order, r0, WT, P, s0, j0, n)`` (module docstring)."""

    def addresses(builder, a, i):
        A, order, WT, P = a[0], a[1], a[3], a[4]
        r0, s0, j0, n = i[2], i[5], i[6], i[7]
        ss = _offsets(builder, s0, rows)
        zero = ir.Constant(s0.type, 0)
        inputs = [A.at(order.row(builder.add(r0, s)), zero) for s in ss]  # rows, once
        return (n, lambda t: WT.at(t, j0), lambda t, r: builder.load(builder.gep(inputs[r], [t])),
                lambda r: P.at(ss[r], j0))  # fmt: skip

    typer = _tile("fwd_tile", rows, cols, (0, 3, 4), 1, (2, 5, 6, 7), addresses)

    @intrinsic
    def fwd_tile(typingctx, A, order, r0, WT, P, s0, j0, n):
        return typer(A, order, r0, WT, P, s0, j0, n)

    return fwd_tile


# Under NUMBA_DISABLE_JIT: the same sums in the same order, in NumPy (not fused).


def _grad_numpy(rows: int, cols: int) -> Callable[..., None]:
    def grad_tile(D, A, order, r0, G, j0, k0, m):
        acc = np.zeros((rows, cols), G.dtype)
        for s in range(m):
            acc += D[s, j0 : j0 + rows, None] * A[order[r0 + s], k0 : k0 + cols]
        G[j0 : j0 + rows, k0 : k0 + cols] = acc

    return grad_tile


def _push_numpy(rows: int, cols: int) -> Callable[..., None]:
    def push_tile(D, W, P, s0, k0, n):
        acc = np.zeros((rows, cols), P.dtype)
        for j in range(n):
            acc += D[s0 : s0 + rows, j, None] * W[j, k0 : k0 + cols]
        P[s0 : s0 + rows, k0 : k0 + cols] = acc

    return push_tile


def _fwd_numpy(rows: int, cols: int) -> Callable[..., None]:
    def fwd_tile(A, order, r0, WT, P, s0, j0, n):
        acc = np.zeros((rows, cols), P.dtype)
        inputs = A[order[r0 + s0 : r0 + s0 + rows]]
        for k in range(n):
            acc += inputs[:, k, None] * WT[k, j0 : j0 + cols]
        P[s0 : s0 + rows, j0 : j0 + cols] = acc

    return fwd_tile


def _make(kind: str, rows: int, cols: int) -> Any:
    """The tile ``kind`` of ``rows × cols`` sums: an intrinsic, or NumPy without the JIT."""
    compiled = {GRAD: _grad_tile, PUSH: _push_tile, FWD: _fwd_tile}
    plain = {GRAD: _grad_numpy, PUSH: _push_numpy, FWD: _fwd_numpy}
    chosen = plain if numba_config.DISABLE_JIT else compiled  # type: ignore[attr-defined]
    return chosen[kind](rows, cols)


grad_tile_1 = _make(GRAD, 1, COLS)
grad_tile_6 = _make(GRAD, TILE_ROWS, COLS)
grad_tile_6x32 = _make(GRAD, TILE_ROWS, WIDE_COLS)
push_tile_1 = _make(PUSH, 1, COLS)
push_tile_4 = _make(PUSH, 4, COLS)  # 4 samples share each load of W; 1 finishes a batch
fwd_tile_4x32 = _make(FWD, 4, WIDE_COLS)  # float64: 16 zmm sums
fwd_tile_6x32 = _make(FWD, 6, WIDE_COLS)  # float32: 12 zmm sums
