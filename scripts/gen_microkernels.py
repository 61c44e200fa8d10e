"""Write ``kernels/numba/blocks/microkernels.py``: the register-tiled micro-kernels.

Each kernel ``grad_tile_R`` sums ``G[j0:j0+R, k0:k0+C] = Σ_s D[s, j0:j0+R]ᵀ·A[row s, k0:k0+C]``
over ``m`` samples with the ``R × C`` sums held in named scalars across the sample loop,
which LLVM's SLP vectoriser turns into ``R·C/lanes`` vector registers (one broadcast of
``D[s, j]`` and ``C/lanes`` loads of ``A[s]`` per ``R·C/lanes`` FMAs). Written out by this
script because Numba has no vector types. ``push_tile_R`` does the same for the deltas
pushed one layer down, ``P[s0:s0+R, k0:k0+C] = D[s0:s0+R]·W[:, k0:k0+C]`` (R samples, the
sum over the layer's ``n`` units), ``fwd_tile_6x32`` the first layer's forward products
on the transposed weights. ``tests/test_microkernels.py`` checks the
committed file is what this script writes.

Usage: ``python scripts/gen_microkernels.py [--check]``.
"""

from __future__ import annotations

import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "kernels" / "numba" / "blocks" / "microkernels.py"
TILE_ROWS = 6  # rows of G per tile; a ragged last tile overlaps its neighbour
ROWS = (1, TILE_ROWS)  # 1: layers of fewer rows than one tile (every other height was a
# compile of its own, seconds each, for the few rows at a layer's end)
PUSH_ROWS = (1, 4)  # samples per push-down tile: 4 share each W load; 1 finishes a batch
COLS = 16  # columns of G per tile: one 64-byte line of float32, two of float64
FWD_ROWS = (4, 6)  # samples per forward tile of 32 outputs: 4 in float64 (16 zmm sums),
# 6 in float32 (12 zmm)
WIDE_COLS = 32  # the float32 gradient tile: 6 × 32 sums are 12 zmm accumulators (6 × 16
# are 6, too few to hide the FMA latency on two FMA pipes); float64 keeps 6 × 16 (12 zmm)

HEADER = '''# mypy: allow-untyped-defs
"""Register-tiled micro-kernels of the ``regtile`` paths (generated: do not edit).

Written by ``scripts/gen_microkernels.py``; edit that script and rerun it.
``grad_tile_R(D, A, rows, r0, G, j0, k0, m)`` sets ``G[j0:j0+R, k0:k0+{cols}]`` to
``Σ_s D[s, j0:j0+R]ᵀ · A[rows[r0+s], k0:k0+{cols}]`` over the ``m`` rows of ``D``
(``m × n_out``) and the rows ``rows[r0:r0+m]`` of ``A`` (the training inputs, read in place
through the shuffled order, or a slot's activations with ``rows`` the identity): the
``R × {cols}`` sums stay in registers for the whole sample loop
(SLP-vectorised: :func:`kernels.numba.jit.tile_jit` says how). ``grad_tile_6x{wide}`` is
the same over ``{wide}`` columns, for float32 (:func:`kernels.numba.blocks.grads.grad_tiles`).
``push_tile_R(D, W, P, s0, k0, n)`` sets ``P[s0:s0+R, k0:k0+{cols}]`` to
``D[s0:s0+R, :n]·W[:n, k0:k0+{cols}]`` (deltas pushed one layer down) the same way, and
``fwd_tile_Rx{wide}(A, rows, r0, WT, P, s0, j0, n)`` sets ``P[s0:s0+R, j0:j0+{wide}]`` to
``A[rows[r0+s0:r0+s0+R], :n]·WT[:n, j0:j0+{wide}]`` (a first-layer forward on the
transposed weights, AVX-512: :func:`kernels.numba.blocks.dense.fwd_rows_cols`).
"""

from __future__ import annotations

from kernels.numba.jit import tile_jit

COLS = {cols}
WIDE_COLS = {wide}
TILE_ROWS = {tile_rows}
'''


def _register_tile(head: str, zero: str, loop: list[str], vec: str, rows: int, cols: int,
                   coef: str, out: tuple[str, str]) -> str:  # fmt: skip
    """A kernel summing ``rows × cols`` products in named scalars over ``loop``.

    ``head``: the ``def`` line and docstring; ``zero``: an element of the dtype; ``loop``:
    the loop header and the loads of the iteration, whose ``cols``-vector is ``vec``;
    ``coef``: the scalar of row ``r`` (``{r}`` is filled in); ``out``: the row ``r`` of the
    result as a slice and the name it is bound to.
    """
    lines = ["", "", "@tile_jit", *head.splitlines(), f"    zero = {zero} - {zero}"]
    for r in range(rows):
        lines.append("    " + "; ".join(f"c{r}_{c} = zero" for c in range(cols)))
    lines += loop
    lines.append("        " + "; ".join(f"x{c} = {vec}[{c}]" for c in range(cols)))
    for r in range(rows):
        lines.append(f"        p = {coef.format(r=r)}")
        lines.append("        " + "; ".join(f"c{r}_{c} += p * x{c}" for c in range(cols)))
    for r in range(rows):
        lines.append(f"    {out[1]} = {out[0].format(r=r)}")
        lines.append("    " + "; ".join(f"{out[1]}[{c}] = c{r}_{c}" for c in range(cols)))
    return "\n".join(lines) + "\n"


def tile_source(rows: int, cols: int) -> str:
    """The source of ``grad_tile_<rows>`` (``cols`` columns; ``grad_tile_<rows>x<cols>``
    when that is not :data:`COLS`)."""
    name = f"grad_tile_{rows}" + ("" if cols == COLS else f"x{cols}")
    head = (
        f"def {name}(D, A, rows, r0, G, j0, k0, m):\n"
        f'    """``G[j0:j0+{rows}, k0:k0+{cols}] = Σ_s D[s, j0:j0+{rows}]ᵀ'
        f'·A[rows[r0+s], k0:k0+{cols}]``"""'
    )
    loop = ["    for s in range(m):", f"        a = A[rows[r0 + s], k0 : k0 + {cols}]",
            f"        d = D[s, j0 : j0 + {rows}]"]  # fmt: skip
    out = (f"G[j0 + {{r}}, k0 : k0 + {cols}]", "g")
    return _register_tile(head, "A[0, 0]", loop, "a", rows, cols, "d[{r}]", out)


def push_source(rows: int, cols: int) -> str:
    """The source of ``push_tile_<rows>`` (``cols`` columns)."""
    head = (
        f"def push_tile_{rows}(D, W, P, s0, k0, n):\n"
        f'    """``P[s0:s0+{rows}, k0:k0+{cols}] = D[s0:s0+{rows}, :n]·W[:n, k0:k0+{cols}]``"""'
    )
    loop = ["    for j in range(n):", f"        w = W[j, k0 : k0 + {cols}]"]
    out = (f"P[s0 + {{r}}, k0 : k0 + {cols}]", "q")
    return _register_tile(head, "W[0, 0]", loop, "w", rows, cols, "D[s0 + {r}, j]", out)


def fwd_source(rows: int, cols: int) -> str:
    """The source of ``fwd_tile_<rows>x<cols>``: forward products by outer products on ``Wᵀ``."""
    head = (
        f"def fwd_tile_{rows}x{cols}(A, rows, r0, WT, P, s0, j0, n):\n"
        f'    """``P[s0:s0+{rows}, j0:j0+{cols}] = A[rows[r0+s0:r0+s0+{rows}], :n]'
        f'·WT[:n, j0:j0+{cols}]``"""'
    )
    loop = [f"    a{r} = A[rows[r0 + s0 + {r}]]" for r in range(rows)]
    loop += ["    for k in range(n):", f"        w = WT[k, j0 : j0 + {cols}]"]
    out = (f"P[s0 + {{r}}, j0 : j0 + {cols}]", "q")
    return _register_tile(head, "WT[0, 0]", loop, "w", rows, cols, "a{r}[k]", out)


def source() -> str:
    """The whole generated module."""
    return (
        HEADER.format(cols=COLS, tile_rows=TILE_ROWS, wide=WIDE_COLS)
        + "".join(tile_source(r, COLS) for r in ROWS)
        + tile_source(TILE_ROWS, WIDE_COLS)
        + "".join(push_source(r, COLS) for r in PUSH_ROWS)
        + "".join(fwd_source(r, WIDE_COLS) for r in FWD_ROWS)
    )


def main(argv: list[str]) -> int:
    """Write the module (exit 0), or with ``--check`` exit 1 when the file is stale."""
    text = source()
    if "--check" in argv:
        if OUT.read_text() != text:
            print(f"{OUT} is stale: run python scripts/gen_microkernels.py", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
