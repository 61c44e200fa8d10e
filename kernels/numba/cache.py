"""An on-disk cache for the Numba kernels that cannot serve stale machine code.

Numba's own ``cache=True`` checks only the source file of the function it compiles: a
cached caller survives edits to the ``@njit`` functions it calls in other modules, and
module constants are frozen into the cached code. Here every kernel is cached in a
directory keyed by :data:`KERNEL_KEY`, a hash of the source of every ``kernels/**.py`` and
of the versions that shape the machine code (Python, numpy, numba, llvmlite, the machine
type); the CPU name and features are in Numba's own index key. Any edit to any kernel
module, or an upgrade, selects a fresh directory.

Where: ``$NUMBA_CACHE_DIR/mlpbench-kernels-<key>`` when the user set ``NUMBA_CACHE_DIR``,
else ``$XDG_CACHE_HOME/mlpbench/kernels-<key>`` (``~/.cache/...``). Only the dispatchers
made by :func:`cached` use this cache (no global Numba setting is changed), so a user's
other Numba code keeps its usual cache. Old directories are never read again and may be
deleted at any time.

Imports numba only; the cache classes extend Numba's (``numba.core.caching``).
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import os
import platform
import sys
from pathlib import Path
from typing import Any

import numba
import numpy as np
from numba.core import caching, config
from numba.core.dispatcher import Dispatcher

from kernels.cache_repair import RepairingCache
from kernels.source_hash import KERNEL_DIR, kernel_source_hash


def kernel_key() -> str:
    """16 hex digits: the kernel sources (:func:`kernels.source_hash.kernel_source_hash`)
    and the versions that shape the machine code."""
    llvmlite = importlib.metadata.version("llvmlite")
    versions = (sys.version, np.__version__, numba.__version__, llvmlite, platform.machine())
    return kernel_source_hash(KERNEL_DIR, *versions)


KERNEL_KEY = kernel_key()


def cache_dir() -> Path:
    """The directory the kernels of this source tree and these versions are cached in."""
    user_dir = getattr(config, "CACHE_DIR", "")
    if user_dir:
        return Path(user_dir) / f"mlpbench-kernels-{KERNEL_KEY}"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "mlpbench" / f"kernels-{KERNEL_KEY}"


class _KernelLocator(caching._CacheLocator):
    """Every kernel in :func:`cache_dir`; the source stamp is :data:`KERNEL_KEY`."""

    def __init__(self, py_func: Any, py_file: str) -> None:
        self._py_file = py_file
        self._lineno = py_func.__code__.co_firstlineno
        self._path = str(cache_dir())

    def get_cache_path(self) -> str:
        return self._path

    def get_source_stamp(self) -> str:
        return KERNEL_KEY

    def get_disambiguator(self) -> str:
        return str(self._lineno)

    @classmethod
    def from_function(cls, py_func: Any, py_file: str) -> _KernelLocator | None:
        self = cls(py_func, py_file)
        try:
            self.ensure_cache_path()  # type: ignore[no-untyped-call]
        except OSError:  # not writable: no cache (compiled in every process)
            return None
        return self


class _KernelCacheImpl(caching.CompileResultCacheImpl):
    _locator_classes: list[type[object]] = [_KernelLocator]  # noqa: RUF012 (Numba's API)


class KernelCache(RepairingCache, caching.FunctionCache):
    """Numba's per-function cache, located by :class:`_KernelLocator`; damaged entries are
    recompiled (:mod:`kernels.cache_repair`)."""

    _impl_class = _KernelCacheImpl


def cached(dispatcher: Any) -> Any:
    """Give a Numba dispatcher the source-keyed on-disk cache; returns it.

    A plain Python function (``NUMBA_DISABLE_JIT=1``) is returned unchanged; when no cache
    directory is writable the dispatcher compiles in every process, as without caching.
    """
    if isinstance(dispatcher, Dispatcher):
        with contextlib.suppress(RuntimeError):  # no locator: leave Numba's NullCache
            dispatcher._cache = KernelCache(dispatcher.py_func)  # type: ignore[attr-defined,no-untyped-call]
    return dispatcher
