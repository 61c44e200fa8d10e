"""Kernels the tests watch compile: without the on-disk cache."""

from __future__ import annotations

from typing import Any

from numba.core.caching import NullCache
from numba.core.dispatcher import Dispatcher


def uncached(dispatcher: Any) -> Any:
    """``dispatcher`` without the on-disk cache, returned: a kernel loaded from a cache
    written by an earlier run compiles nothing (no callee either), and a test that counts
    signatures or watches compiles would see none. A plain function
    (``NUMBA_DISABLE_JIT``) is returned as it is."""
    if not isinstance(dispatcher, Dispatcher):
        return dispatcher
    dispatcher._cache = NullCache()
    return dispatcher
