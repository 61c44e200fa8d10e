# mypy: disable-error-code="no-untyped-call,misc"
"""Building blocks compiled to optimised LLVM IR only, never to machine code of their own.

Numba finalises every function it compiles the same way: it links in the IR of what the
function calls, optimises the whole module, and has LLVM emit machine code for all of it
(``JITCodeLibrary``). A kernel building block (:class:`kernels.numba.jit.BuildingBlock`)
has no CPython or cfunc wrapper, so nothing can ever jump into that machine code: its
callers link a copy of its optimised IR (``_get_module_for_linking``) and emit their own.
In a cold ``regtile`` compile that unused machine code was 2.9 s of about 14 (75
libraries; 2-vCPU Zen 5).

:class:`LinkOnlyLibrary` is Numba's JIT library with one difference: a library compiled
inside :func:`compiling_block` for the block's own name is optimised as always but not
added to the execution engine, so LLVM never emits it; the on-disk cache stores its IR
with an empty object (and loads it back the same way). Callers link the block's
optimised IR as before, except that Numba used to clone it after LLVM had emitted it, and
emitting rewrites a module in place (LLVM's code-generation passes): the drivers' machine
code is not byte for byte the same, their results are (the 592-training hash,
``scripts/train_hash.py``, cold and warm), and no path ran slower (six alternating rounds,
``docs/kernels-layout.md``). Every other library (the paths' drivers, the evaluation,
Numba's own helpers, a user's functions in the same process) is finalised exactly as
Numba does. :func:`install` puts the class on Numba's CPU code generator.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import llvmlite.binding as ll
from numba.core import codegen
from numba.core.registry import cpu_target

# The names of the building blocks being compiled, innermost last: Numba finalises a
# function's library at the end of its own compile, after its callees' compiles ended.
_BLOCKS: list[str] = []


@contextlib.contextmanager
def compiling_block(name: str) -> Iterator[None]:
    """While it is open, the library Numba finalises under ``name`` (a building block's
    qualified name) becomes link-only, unless a compile nested inside claims the name."""
    _BLOCKS.append(name)
    try:
        yield
    finally:
        _BLOCKS.pop()


class LinkOnlyLibrary(codegen.JITCodeLibrary):
    """Numba's ``JITCodeLibrary``, link-only for the building blocks (module docstring)."""

    _link_only = False

    def finalize(self) -> None:
        """As Numba's, deciding first whether this library is a block's own."""
        self._link_only = bool(_BLOCKS) and _BLOCKS[-1] == self.name
        super().finalize()

    def _finalize_final_module(self) -> None:
        if not self._link_only:
            super()._finalize_final_module()
            return
        self._finalize_dynamic_globals()
        self._verify_declare_only_symbols()
        self._finalized = True  # optimised and linkable; never added to the engine

    @property
    def codegen(self) -> Any:
        """Numba's code generator; for a link-only library, one that sets no environment
        (Numba writes a function's environment pointer into its module in the execution
        engine, where a link-only module never goes)."""
        return _NoEnvironment(self._codegen) if self._link_only else self._codegen

    def get_pointer_to_function(self, name: str) -> int:
        """0 (no code) for a link-only library, else as Numba's."""
        if self._link_only:
            self._ensure_finalized()
            return 0
        return int(super().get_pointer_to_function(name))

    def serialize_using_object_code(self) -> Any:
        """As Numba's; a link-only library stores an empty object beside its IR."""
        if not self._link_only:
            return super().serialize_using_object_code()
        self._ensure_finalized()
        return (self.name, "object", (b"", self._get_module_for_linking().as_bitcode()))

    @classmethod
    def _unserialize(cls, codegen: Any, state: Any) -> Any:
        name, kind, data = state
        if kind != "object" or data[0] != b"":
            return super()._unserialize(codegen, state)
        self = codegen.create_library(name)
        self._link_only = True
        self._shared_module = ll.parse_bitcode(data[1])
        self._finalized = True
        return self


class _NoEnvironment:
    """A code generator whose ``set_env`` does nothing (see :attr:`LinkOnlyLibrary.codegen`):
    a building block's code uses no environment (no object-mode code, no dynamic
    globals), and no caller can reach the copy Numba would set."""

    def __init__(self, cg: Any) -> None:
        self._cg = cg

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cg, name)

    def set_env(self, env_name: str, env: Any) -> None:
        """Nothing to set: the module is not in the execution engine."""


def install() -> None:
    """Make Numba's CPU code generator create :class:`LinkOnlyLibrary` libraries (once)."""
    cg = cpu_target.target_context.codegen()
    if cg._library_class is not LinkOnlyLibrary:
        cg._library_class = LinkOnlyLibrary
