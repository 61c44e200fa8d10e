"""Compile-time activation and cost codes: one compiled driver per (path, hidden, output).

A path's driver is written once as a plain function that reads the globals ``HIDDEN`` and
``OUTPUT``; :func:`specialised` makes (once per process, lazily) the compiled copy of it
with those globals bound to the codes of a call. Numba freezes global integers as
compile-time constants and hands them on to every callee as literal types, so each building
block is compiled for the one activation and cost it runs, the branches of the others
removed: a trial compiles only the path, activation and cost it uses. (``numba.literally``
does the same, but types each driver twice in every process; the copies here are found in
the on-disk cache directly.)
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from typing import Any

from kernels.numba.jit import around_compile, bind, python_entry

_MADE: dict[tuple[Any, ...], Any] = {}
_SECONDS: dict[str, float] = {}  # name of a copy -> seconds its compiles (or loads) took


def specialised(template: Callable[..., Any], decorator: Callable[..., Any], hidden: int,
                output: int) -> Any:  # fmt: skip
    """The compiled copy of ``template`` (decorated by ``decorator``) for the activation
    code ``hidden`` and the cost code ``output`` (:mod:`kernels.layout`), made once."""
    key = (template, decorator, int(hidden), int(output))
    if key not in _MADE:
        module = template.__module__.rsplit(".", 1)[-1]  # the path: loops, split, …
        name = f"{module}_{template.__name__}_h{int(hidden)}_o{int(output)}"
        made_one = bind(template, python_entry(decorator), name, HIDDEN=int(hidden),
                        OUTPUT=int(output))  # fmt: skip
        _MADE[key] = _timed(made_one, name)
    return _MADE[key]


def _timed(dispatcher: Any, name: str) -> Any:
    """Add the wall seconds of every ``compile`` of ``dispatcher`` (compiling, or loading
    from the on-disk cache, with every callee it needs) to :func:`compile_seconds`."""
    return around_compile(dispatcher, lambda: _counted(name))


@contextlib.contextmanager
def _counted(name: str) -> Iterator[None]:
    """Add the wall seconds of the ``with`` body to ``name``'s in :func:`compile_seconds`."""
    t0 = time.perf_counter()
    try:
        yield
    finally:
        _SECONDS[name] = _SECONDS.get(name, 0.0) + time.perf_counter() - t0


def compile_seconds() -> dict[str, float]:
    """Seconds each compiled copy took to compile (cold cache) or load (warm) in this
    process, by name (``<module>_<driver>_h<hidden>_o<output>``, e.g.
    ``loops_train_h0_o0``), callees included; a kernel the
    process did not need is absent."""
    return dict(_SECONDS)


def made() -> dict[str, Any]:
    """Every copy made so far in this process, by name (``<module>_<driver>_h<code>_o<code>``):
    their dispatchers' ``stats`` say what was compiled and what came from the cache."""
    return {getattr(d, "__name__", str(k)): d for k, d in _MADE.items()}
