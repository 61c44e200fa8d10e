# mypy: allow-untyped-defs
"""The decorators of every Numba kernel: fast-math flags, SLP vectoriser, source-keyed cache.

One place for the ``FASTMATH`` flags and for the on-disk cache of
:mod:`kernels.numba.cache`: ``jit`` (serial kernels), ``pjit`` (``prange`` kernels),
``vec_jit`` (whole-block kernels) and
``vecmath_jit`` (the vectorisable exp/log1p).

Importing this module loads the BLAS that Numba's ``np.dot`` calls (so threadpoolctl sees
it); every Numba kernel module imports it.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import inspect
import types
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import scipy.linalg.cython_blas  # noqa: F401  (load the BLAS numba calls, so threadpoolctl sees it)
from numba import njit
from numba.core import config as numba_config
from numba.core import types as nb_types
from numba.core.compiler_lock import global_compiler_lock
from numba.core.dispatcher import Dispatcher
from numba.core.registry import CPUDispatcher
from numba.extending import _Intrinsic  # type: ignore[attr-defined]

from kernels.numba.cache import cached
from kernels.numba.link_only import compiling_block, install

install()  # building blocks get no machine code of their own (kernels.numba.link_only)

# Only flags whose effect does not depend on where a function is compiled. A kernel calls
# other @njit functions; Numba links a copy of each callee into the caller and optimises it
# again there, while in the process that compiled them a call that is not inlined jumps to
# the callee's own (separately optimised) code, and in a process that loads the caller from
# the on-disk cache to the caller's copy. With "nsz" next to "reassoc" LLVM re-associates
# the copy differently, so freshly compiled and cached kernels gave different bits (mini-batch
# 1). "reassoc" (vectorised reductions), "contract" (FMA) and "arcp" (reciprocals) keep the
# speed (scripts/fastmath_cost.py); "nsz" made no measurable difference. No nnan/ninf:
# sigmoid/softplus rely on exp overflowing to inf.
FASTMATH: set[str] = {"reassoc", "contract", "arcp"}
# FMA contraction only: the register tiles (kernels.numba.blocks.microkernels) and the
# vectorisable exp/log1p (vecmath_jit), whose sums must not be re-associated.
TILE_FASTMATH: set[str] = {"contract"}


def with_slp(dispatcher: Any) -> Any:
    """Compile ``dispatcher`` with LLVM's SLP vectoriser on; returns it.

    Numba turns the SLP vectoriser off by default (numba#8852: miscompilations seen with
    older LLVMs). The register tiles needed it while they were scalar code (named sums that
    only SLP packed into vector registers: 10× faster); they are vector code now
    (:mod:`kernels.numba.blocks.microkernels`). It stays on because every other kernel was
    tuned, timed and published with it (turning it off would change their code and maybe
    their bits, not measured). Every mlpbench kernel is compiled this way, never only
    some, so a helper that several kernels call is optimised the same whichever compiles it
    first (cold and cached runs give the same bits, issue 7). The switch is Numba's own
    ``config.SLP_VECTORIZE``, set only while one of these dispatchers compiles, under
    Numba's compiler lock, and restored after: a user's other Numba code in the process
    compiles as configured. The property tests compare every kernel path with the numpy
    reference.
    """
    return around_compile(dispatcher, _slp_on)


@contextlib.contextmanager
def _slp_on() -> Iterator[None]:
    """Numba's ``SLP_VECTORIZE`` on, under its compiler lock; restored after."""
    with global_compiler_lock:
        before = getattr(numba_config, "SLP_VECTORIZE", 0)
        setattr(numba_config, "SLP_VECTORIZE", 1)  # noqa: B010 (not in numba's stubs)
        try:
            yield
        finally:
            setattr(numba_config, "SLP_VECTORIZE", before)  # noqa: B010


def around_compile(dispatcher: Any, context: Callable[[], AbstractContextManager[Any]]) -> Any:
    """Run every ``compile`` of ``dispatcher`` (compiling, or loading from the on-disk
    cache) inside ``context()``; returns it. A plain function (``NUMBA_DISABLE_JIT``) is
    returned as it is. The one way this module and :mod:`kernels.numba.specialise` change
    how a kernel compiles (SLP on, the garbage collector paused, the seconds counted)."""
    if not isinstance(dispatcher, Dispatcher):  # NUMBA_DISABLE_JIT: a plain function
        return dispatcher
    compile_plain = dispatcher.compile

    def compile_inside(sig: Any) -> Any:
        with context():
            return compile_plain(sig)

    dispatcher.compile = compile_inside  # type: ignore[method-assign]
    return dispatcher


def without_gc_pauses(dispatcher: Any) -> Any:
    """Compile ``dispatcher`` with Python's cyclic garbage collector paused; returns it.

    Numba's typing and lowering allocate millions of objects (IR nodes, types, LLVM IR
    text), and every 700 net allocations start a collection that traverses the young ones,
    about every hundredth the whole heap: in the ``mlpbench`` process a cold ``regtile``
    compile spent 2.2 s of about 16 in 1,779 collections (13 of them full, 1.9 s; 2-vCPU
    Zen 5). The outermost compile pauses the collector (``gc.disable``) and ends with one
    collection of the young generations, every object it allocated but not the older heap
    (0.07 s after ``regtile`` in ``mlpbench train``, which found no garbage; 0.65 s in a
    sweep, which freed 0.5 M objects), so nothing is left to a later collection that might
    fall into a timed region; a compile nested in it, or one started while the collector
    is already off (by the user), changes nothing. Compiling never overlaps a timing (the
    warm-ups compile first), and the collector only frees memory: the compiled code is the
    same.
    """
    return around_compile(dispatcher, _gc_paused)


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """The collector off, unless it already is; on again after, with the young
    generations collected (see :func:`without_gc_pauses`)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect(1)  # the young objects: all the compile allocated


# The parameters whose integer constants are compile-time choices: the activation and cost
# codes (kernels.numba.specialise). Every other integer constant a kernel passes to another
# (an offset 0, a first row 0, one slot) is typed as a plain int64, see plain_int_args.
LITERAL_PARAMS = frozenset({"hidden", "output"})
# Boolean switches that one path calls with both values (``_fwd_quad``'s prefetch switch,
# ``update_range``'s L2 term, both in every ``regtile`` step): typed as plain ``bool``, so
# each such function compiles once, both branches in it, instead of once per value. Every
# other constant ``bool`` keeps its literal type (one compiled copy per value).
RUNTIME_FLAGS = frozenset({"ahead", "weight"})


def plain_int_args(dispatcher: Any) -> Any:
    """Compile ``dispatcher`` for plain ``int64`` where a kernel calls it with an integer
    constant, except in the parameters of :data:`LITERAL_PARAMS`; returns it.

    Numba compiles a function called from compiled code once per combination of constant
    arguments it meets (``Literal[int](0)`` is a type of its own): ``grad_tile_6`` was
    compiled eight times for the 0 or non-0 of its three offsets, and each copy linked into
    each caller, which made the ``regtile`` path's cold compile 2-3× longer for no speed.
    Constant ``bool`` switches keep their literal type (they select code at compile time),
    except the parameters of :data:`RUNTIME_FLAGS`, typed as plain ``bool``.
    """
    if not isinstance(dispatcher, Dispatcher):  # NUMBA_DISABLE_JIT: a plain function
        return dispatcher
    names = list(inspect.signature(dispatcher.py_func).parameters)
    plain = [
        nb_types.BooleanLiteral if name in RUNTIME_FLAGS else
        () if name in LITERAL_PARAMS else nb_types.IntegerLiteral
        for name in names
    ]  # fmt: skip
    template_of = dispatcher.get_call_template

    def get_call_template(args: Any, kws: Any) -> Any:
        args = tuple(
            nb_types.unliteral(a)  # type: ignore[no-untyped-call]
            if i < len(plain) and isinstance(a, plain[i])
            else a
            for i, a in enumerate(args)
        )
        return template_of(args, kws)

    dispatcher.get_call_template = get_call_template  # type: ignore[method-assign]
    return dispatcher


class BuildingBlock(CPUDispatcher):
    """A kernel compiled to be called from other kernels only: without the CPython and
    cfunc wrappers that a call from Python needs (:func:`_kernel`). Called from Python it
    raises instead of jumping into a missing wrapper; :func:`from_python` calls it."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        name = self.py_func.__name__
        raise TypeError(
            f"{name} is a kernel building block, compiled to be called from other kernels "
            f"only; from Python, call kernels.numba.jit.from_python({name})(...)"
        )


def _kernel(fn: Callable[..., Any], *, python: bool = False, **options: Any) -> Any:
    """``fn`` compiled by ``njit(nogil=True, **options)``, with the SLP vectoriser
    (:func:`with_slp`), the garbage collector paused while it compiles
    (:func:`without_gc_pauses`), plain integer arguments (:func:`plain_int_args`) and the
    source-keyed on-disk cache (:mod:`kernels.numba.cache`).

    Only a kernel called from Python (``python``: a path's driver, the evaluation) gets
    Numba's CPython wrapper; the others are :class:`BuildingBlock` s, compiled to optimised
    LLVM IR that their callers link, without machine code of their own
    (:mod:`kernels.numba.link_only`). No kernel gets a cfunc
    wrapper (mlpbench passes no kernel as a first-class function). Each wrapper is extra
    code that every caller's compile links, optimises and emits again: without them a
    cold ``regtile`` compile took 17.2 s instead of 23.4 s (2-vCPU Zen 5, idle). The
    wrappers are not part of a kernel's own code: the bits are the same.
    """
    options = dict(options, no_cfunc_wrapper=True)
    if not python:
        options["no_cpython_wrapper"] = True
    dispatcher = njit(nogil=True, **options)(fn)
    if not python and isinstance(dispatcher, CPUDispatcher):  # not under NUMBA_DISABLE_JIT
        dispatcher.__class__ = BuildingBlock
        name = dispatcher.py_func.__qualname__
        around_compile(dispatcher, lambda: compiling_block(name))
    return cached(plain_int_args(without_gc_pauses(with_slp(dispatcher))))


def from_python(kernel: Any) -> Any:
    """A compiled function that calls the building block (or intrinsic) ``kernel`` with its
    arguments, so that Python (a test, a notebook) can run it; ``kernel`` itself when it is a plain
    function (``NUMBA_DISABLE_JIT``) or has a Python wrapper. Arguments are typed as
    Python passes them (no compile-time constants)."""
    if not isinstance(kernel, BuildingBlock | _Intrinsic):
        return kernel

    def call(*args: Any) -> Any:
        return kernel(*args)

    return njit(nogil=True)(call)


def python_entry(decorator: Callable[..., Any]) -> Callable[[Callable[..., Any]], Any]:
    """``decorator`` (:func:`jit`, :func:`pjit`, …) for a kernel called from Python: it
    keeps Numba's CPython wrapper (see :func:`_kernel`)."""
    return functools.partial(decorator, python=True)


def jit(fn: Callable[..., Any], *, python: bool = False) -> Any:
    """The decorator of every serial kernel: ``njit`` with :data:`FASTMATH`, cached, SLP on.

    The on-disk cache is keyed by the kernel sources and versions (:mod:`kernels.numba.cache`);
    :func:`with_slp` says why the SLP vectoriser is on; ``python``: see :func:`_kernel`.
    """
    return _kernel(fn, python=python, fastmath=FASTMATH)


def inline_jit(fn: Callable[..., Any]) -> Any:
    """The decorator of a path's ``step`` and ``batch``: as :func:`jit`, but inlined into
    each caller by Numba (``inline="always"``), never compiled on its own.

    A function compiled on its own links a copy of everything it calls and optimises and
    emits that whole tree again (Numba's ``CodeLibrary.finalize``): about 1.5-3 s of a
    cold ``regtile`` compile for each such level on a 2-vCPU Zen 4. ``step`` and ``batch``
    only glue their path's building blocks together, and their callers (the step loop,
    the blocked batch) are compiled with the same flags, so inlining them changes no
    instruction, only how often the tree below is compiled.
    """
    return njit(nogil=True, fastmath=FASTMATH, inline="always")(fn)


def vec_jit(fn: Callable[..., Any], *, python: bool = False) -> Any:
    """The decorator of the whole-block kernels (:mod:`kernels.numba.blocks.vector`,
    :func:`kernels.numba.blocks.vector.act_block`): as :func:`jit`, with NumPy's error model.

    Under Python's error model (Numba's default) every float division first tests its
    divisor and may raise ``ZeroDivisionError``: a branch that stops the loop vectoriser
    (the sigmoid ran at 3.8 ns an element instead of 0.5). Only for kernels whose divisors
    cannot be zero (``1 + e``, ``2 + e`` with ``e ≥ 0``).
    """
    return _kernel(fn, python=python, fastmath=FASTMATH, error_model="numpy")


def vecmath_jit(fn: Callable[..., Any], *, python: bool = False) -> Any:
    """The decorator of :mod:`kernels.numba.blocks.vecmath`: as :func:`vec_jit`, with FMA
    contraction only (:data:`TILE_FASTMATH`): re-association would undo the two-part range
    reduction."""
    return _kernel(fn, python=python, fastmath=TILE_FASTMATH, error_model="numpy")


def pjit(fn: Callable[..., Any], *, python: bool = False) -> Any:
    """The decorator of the ``parallel=True`` kernels (``prange``); otherwise as :func:`jit`."""
    return _kernel(fn, python=python, fastmath=FASTMATH, parallel=True)


def bind(
    template: Callable[..., Any], decorator: Callable[..., Any], name: str, **callees: Any
) -> Any:
    """A compiled copy of the plain function ``template`` whose globals ``callees`` name
    the jitted functions it calls (one copy per path: e.g. the step loop with a path's step).

    The copy shares the template's code, so the loop is written once; each copy is its own
    dispatcher (``decorator``, e.g. :func:`jit`), named ``name`` in the cache, and calls
    its callees as globals, directly (a jitted function passed as an argument instead
    would be stored as a pointer in the machine code, which the on-disk cache refuses).
    """
    return decorator(rebound(template, name, template.__module__, **callees))


def rebound(template: Callable[..., Any], name: str, module: str, **names: Any) -> Any:
    """A plain copy of the function ``template`` named ``name`` in ``module``, its globals
    ``names`` bound (the rest are the template's): the code is shared, not written again."""
    namespace = dict(template.__globals__)
    namespace.update(names)
    fn = types.FunctionType(template.__code__, namespace, name, template.__defaults__)
    fn.__qualname__ = name
    fn.__doc__ = template.__doc__
    fn.__module__ = module
    return fn
