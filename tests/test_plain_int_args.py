"""Integer constants passed between kernels do not multiply compiles (kernels.numba.jit).

Numba compiles a function called from compiled code once per combination of constant
integer arguments (``Literal[int](0)`` is a type of its own); the ``regtile`` tile
``grad_tile_6`` was compiled eight times that way. The kernel decorators type such
arguments as plain ``int64``, except the activation and cost codes, which are compile-time
choices on purpose (:mod:`kernels.numba.specialise`).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pytest
from numba.core import types
from uncached import uncached

from kernels.numba.jit import LITERAL_PARAMS, jit, python_entry

pytestmark = pytest.mark.skipif(
    os.environ.get("NUMBA_DISABLE_JIT") == "1", reason="about compiled code (NUMBA_DISABLE_JIT=1)"
)


@uncached
@jit
def _callee(a: Any, k: int, hidden: int) -> Any:
    return a[k] + hidden


@uncached
@python_entry(jit)
def _caller(a: Any, n: int) -> Any:
    # the same callee with constant and variable offsets, and a constant code
    return _callee(a, 0, 1) + _callee(a, n, 1) + _callee(a, 2, 1)


def test_a_kernel_called_with_constant_offsets_is_compiled_once() -> None:
    a = np.arange(5.0)
    assert _caller(a, 3) == 0.0 + 3.0 + 2.0 + 3
    assert len(_callee.signatures) == 1, _callee.signatures
    (sig,) = _callee.signatures
    assert sig[1] == types.int64  # the offset: plain
    assert isinstance(sig[2], types.IntegerLiteral) and sig[2].literal_value == 1  # the code
    assert "hidden" in LITERAL_PARAMS


@uncached
@jit
def _flagged(a: Any, ahead: bool, vec: bool) -> Any:
    return a[0] + (1.0 if ahead else 0.0) + (2.0 if vec else 0.0)


@uncached
@python_entry(jit)
def _flag_caller(a: Any) -> Any:
    # both values of a runtime flag (ahead) and of a compile-time switch (vec)
    return _flagged(a, True, True) + _flagged(a, False, True) + _flagged(a, False, False)


def test_a_runtime_flag_compiles_once_a_literal_switch_once_per_value() -> None:
    from kernels.numba.jit import RUNTIME_FLAGS

    assert _flag_caller(np.zeros(1)) == 3.0 + 2.0 + 0.0
    assert "ahead" in RUNTIME_FLAGS and "vec" not in RUNTIME_FLAGS
    assert len(_flagged.signatures) == 2, _flagged.signatures  # vec True / False
    for sig in _flagged.signatures:
        assert sig[1] == types.boolean  # ahead: plain
        assert isinstance(sig[2], types.BooleanLiteral)  # vec: the value


def test_building_blocks_have_no_python_wrapper_and_refuse_python_calls() -> None:
    """Kernels called only from other kernels are compiled without the CPython and cfunc
    wrappers (less to compile in every caller); called from Python they raise a one-line
    TypeError naming ``from_python`` instead of jumping into a missing wrapper."""
    from kernels.numba.jit import BuildingBlock, from_python
    from kernels.numba.steps import scale_mode

    assert isinstance(scale_mode, BuildingBlock)
    assert scale_mode.targetoptions["no_cpython_wrapper"] is True
    assert scale_mode.targetoptions["no_cfunc_wrapper"] is True
    with pytest.raises(TypeError, match=r"from_python\(scale_mode\)"):
        scale_mode(0.1, 0.01, 0.0, 1.0)
    c, use_scale = from_python(scale_mode)(0.1, 0.01, 0.0, 1.0)
    assert c == pytest.approx(1 - 0.1 * 0.01) and use_scale
    assert from_python(_caller) is _caller  # a kernel called from Python keeps its wrapper
    assert _caller.targetoptions.get("no_cpython_wrapper") is not True
