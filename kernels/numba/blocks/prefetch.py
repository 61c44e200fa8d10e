# mypy: allow-untyped-defs
"""Software prefetch for the Numba kernels: LLVM's ``llvm.prefetch`` as a Numba intrinsic.

The ``regtile`` forward pass reads the training inputs in place, four rows of 784 at a
time, through the shuffled order; the hardware prefetchers do not keep up with four
streams from DRAM, and on the Zen 4 of ``results/`` the first layer's forward pass took
665 ns a float32 sample from DRAM against 499 ns with the rows in L2. Asking for the next
four rows a few lines at a time while the current ones are multiplied
(:func:`kernels.numba.blocks.dense.fwd_rows`) brought it to 566 ns. Under ``NUMBA_DISABLE_JIT``
the hint is a no-op.
"""

from __future__ import annotations

from typing import Any

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.core import config as numba_config
from numba.extending import intrinsic


@intrinsic
def _prefetch_l2(typingctx, arr, i):
    """Ask for the cache line holding ``arr[i]`` (a 1-d array) to be brought into L2."""
    if not isinstance(arr, types.Array) or arr.ndim != 1:
        return None

    def codegen(context, builder, signature, args):
        ary = context.make_array(signature.args[0])(context, builder, args[0])
        ptr = cgutils.get_item_pointer(  # type: ignore[no-untyped-call]
            context, builder, signature.args[0], ary, [args[1]]
        )
        i8p = ir.IntType(8).as_pointer()
        fnty = ir.FunctionType(ir.VoidType(), [i8p, ir.IntType(32), ir.IntType(32), ir.IntType(32)])
        fn = cgutils.get_or_insert_function(  # type: ignore[no-untyped-call]
            builder.module, fnty, "llvm.prefetch.p0i8"
        )
        i32 = ir.IntType(32)
        builder.call(fn, [builder.bitcast(ptr, i8p), i32(0), i32(2), i32(1)])
        return context.get_dummy_value()

    return types.none(arr, i), codegen


def _prefetch_py(arr: Any, i: Any) -> None:
    """The hint in pure Python: nothing to do."""
    return None


prefetch_l2: Any = _prefetch_py if getattr(numba_config, "DISABLE_JIT", 0) else _prefetch_l2
