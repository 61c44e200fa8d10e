"""A compiled-kernel cache that repairs damaged entries and names the file a full disk hit.

Numba's cache loader unpickles the index (``<function>.nbi``) and data (``.nbc``) files of
a function as they are: a truncated, garbage or foreign file raises (``UnpicklingError``,
``EOFError``, ...) out of the compile and the program cannot start until someone finds and
deletes the file. :class:`RepairingCache`, mixed into a ``numba.core.caching.Cache``
subclass, treats any failure to load an entry as a miss instead: it warns once per
process (:class:`KernelCacheWarning`), deletes that function's index and data files and
lets Numba compile and save the kernel afresh, which is the same code a clean compile
gives. A save that fails for lack of space or permission raises an ``OSError`` naming the
cache file and what to do (set ``NUMBA_CACHE_DIR``), instead of one without a file name.

Imports numba and the standard library only.
"""

from __future__ import annotations

import contextlib
import errno
import os
import warnings
from pathlib import Path
from typing import Any

_FULL_OR_DENIED = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EPERM, errno.EROFS})
_warned: set[str] = set()  # cache folders already warned about in this process


class KernelCacheWarning(UserWarning):
    """A damaged compiled-kernel cache entry was discarded and its kernel recompiled."""


def entry_files(cache_file: Any) -> list[Path]:
    """The index file of a Numba ``IndexDataCacheFile`` and every data file beside it."""
    index = Path(cache_file._index_path)
    base = index.name.removesuffix(".nbi")
    return [index, *sorted(index.parent.glob(f"{base}.*.nbc"))]


def discard(cache_file: Any, err: BaseException) -> None:
    """Delete the entry of ``cache_file`` (a damaged index or data file); warn once."""
    files = entry_files(cache_file)
    for path in files:
        with contextlib.suppress(OSError):  # another process got there; the save overwrites
            path.unlink(missing_ok=True)
    folder = str(files[0].parent)
    if folder not in _warned:
        _warned.add(folder)
        warnings.warn(
            f"damaged compiled-kernel cache entry {files[0].name} in {folder} "
            f"({type(err).__name__}: {err}); discarded and recompiled (further damaged "
            "entries there are repaired silently)",
            KernelCacheWarning,
            stacklevel=2,
        )


class RepairingCache:
    """Mixin for a ``numba.core.caching.Cache`` subclass: a damaged entry is a cache miss
    (discarded, recompiled); a full disk or denied write names the cache file."""

    _cache_file: Any
    _cache_path: str

    def load_overload(self, sig: Any, target_context: Any) -> Any:
        """Numba's load; any failure to read or rebuild the entry discards it (None: compile)."""
        try:
            return super().load_overload(sig, target_context)  # type: ignore[misc]
        except Exception as err:  # a damaged pickle can raise anything
            discard(self._cache_file, err)
            return None

    def save_overload(self, sig: Any, data: Any) -> None:
        """Numba's save; a damaged index is discarded first, a full disk is named."""
        try:
            self._cache_file._load_index()
        except Exception as err:
            discard(self._cache_file, err)
        try:
            super().save_overload(sig, data)  # type: ignore[misc]
        except OSError as err:
            if err.errno not in _FULL_OR_DENIED:
                raise
            cause = err.strerror or os.strerror(err.errno)
            raise OSError(
                err.errno,
                f"{cause} (the compiled-kernel cache; set NUMBA_CACHE_DIR to a folder with room)",
                self._cache_file._index_path,
            ) from None
