"""Kernel building blocks are compiled to linkable LLVM IR without machine code of their own
(kernels.numba.link_only), also when loaded from the on-disk cache; every other function
is compiled as Numba does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numba import njit
from uncached import uncached

from kernels.numba.jit import jit, python_entry
from kernels.numba.link_only import LinkOnlyLibrary

pytestmark = pytest.mark.skipif(
    os.environ.get("NUMBA_DISABLE_JIT") == "1", reason="about compiled code (NUMBA_DISABLE_JIT=1)"
)

ROOT = Path(__file__).resolve().parent.parent


@uncached
@jit
def _triple(a: Any, k: int) -> Any:
    return a[k] * 3.0


@uncached
@python_entry(jit)
def _use(a: Any, k: int) -> Any:
    return _triple(a, k) + 1.0


def _compiled(dispatcher: Any) -> Any:
    (cres,) = dispatcher.overloads.values()
    return cres


def test_a_block_has_no_code_of_its_own_and_its_caller_links_its_ir() -> None:
    assert _use(np.arange(4.0), 2) == 7.0
    block, entry = _compiled(_triple), _compiled(_use)
    assert isinstance(block.library, LinkOnlyLibrary)
    assert block.library._link_only
    assert block.library.get_pointer_to_function(block.fndesc.llvm_func_name) == 0
    assert not entry.library._link_only
    # the caller links the block's IR: inlined, or defined in its module, never a symbol left
    # for the execution engine to find in the block's own (absent) code
    declared = {f.name for f in entry.library._final_module.functions if f.is_declaration}
    assert block.fndesc.llvm_func_name not in declared


def test_other_functions_are_compiled_as_numba_does() -> None:
    """A user's function in the same process keeps its machine code (and its wrapper)."""

    def plus_one(x: float) -> float:
        return x + 1.0

    plain = njit(plus_one)
    assert plain(1.0) == 2.0
    library = _compiled(plain).library
    assert not library._link_only
    assert library.get_pointer_to_function(_compiled(plain).fndesc.llvm_func_name) != 0


_CHILD = """
import numpy as np
from kernels.numba.blocks.dense import dots4
from kernels.numba.jit import from_python
rng = np.random.default_rng(0)
W = rng.standard_normal((7, 50)); x = rng.standard_normal(50); out = np.zeros(7)
from_python(dots4)(W, x, out, 50, 7)  # dots4: a block; the trampoline is compiled here
(cres,) = dots4.overloads.values()
print(int(cres.library._link_only), sum(dots4.stats.cache_hits.values()), out.tobytes().hex())
"""


def test_a_block_loaded_from_the_cache_links_into_a_new_caller(tmp_path: Path) -> None:
    """Compiled cold in one process and saved, the block is loaded link-only in the next,
    where a caller compiled afresh links its cached IR and gets the same bits."""
    env = {"NUMBA_CACHE_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    runs = []
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-c", _CHILD], cwd=ROOT, env=env, capture_output=True, text=True,
            check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        runs.append(done.stdout.split())
    (cold_link, cold_hits, cold_bits), (warm_link, warm_hits, warm_bits) = runs
    assert (cold_link, warm_link) == ("1", "1")
    assert (cold_hits, warm_hits) == ("0", "1")
    assert cold_bits == warm_bits
