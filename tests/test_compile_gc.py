"""Python's garbage collector is paused while an mlpbench kernel compiles
(kernels.numba.jit.without_gc_pauses), and only then."""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from numba.core import event
from uncached import uncached

from kernels.numba.jit import jit, python_entry

pytestmark = pytest.mark.skipif(
    os.environ.get("NUMBA_DISABLE_JIT") == "1", reason="about compiled code (NUMBA_DISABLE_JIT=1)"
)


@uncached
@jit
def _block(a: Any, k: int) -> Any:
    return a[k] * 2.0


@uncached
@python_entry(jit)
def _entry(a: Any, k: int) -> Any:
    return _block(a, k) + 1.0


@uncached
@python_entry(jit)
def _broken(a: Any) -> Any:
    return a.no_such_attribute


class _Watch(event.Listener):
    """Whether the collector was on at the start of each Numba compile, by function name."""

    def __init__(self) -> None:
        self.seen: dict[str, bool] = {}

    def on_start(self, ev: event.Event) -> None:
        self.seen[ev.data["dispatcher"].py_func.__name__] = gc.isenabled()

    def on_end(self, ev: event.Event) -> None:
        pass


@pytest.fixture
def watch() -> Iterator[_Watch]:
    listener = _Watch()
    with event.install_listener("numba:compile", listener):
        yield listener


@pytest.fixture
def gc_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


@pytest.mark.usefixtures("gc_on")
def test_the_collector_is_off_while_a_kernel_and_its_callees_compile(watch: _Watch) -> None:
    assert _entry(np.arange(3.0), 2) == 5.0
    assert watch.seen == {"_entry": False, "_block": False}
    assert gc.isenabled()  # on again after
    assert _entry(np.arange(3.0), 1) == 3.0  # a call that compiles nothing
    assert gc.isenabled()


@pytest.mark.usefixtures("gc_on")
def test_a_failed_compile_turns_the_collector_back_on() -> None:
    with pytest.raises(Exception, match="no_such_attribute"):
        _broken(np.arange(3.0))
    assert gc.isenabled()


@pytest.mark.usefixtures("gc_on")
def test_a_collector_the_user_turned_off_stays_off() -> None:
    gc.disable()
    _entry(np.arange(4.0), 0)
    _entry.compile((_entry.signatures[0][0], _entry.signatures[0][1]))
    _entry(np.arange(4.0, dtype=np.float32), 1)  # compiles for float32
    assert not gc.isenabled()
