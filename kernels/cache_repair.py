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
import fcntl
import os
import warnings
from collections.abc import Iterator
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


@contextlib.contextmanager
def _save_lock(folder: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``folder/.save.lock`` (waiting for another process).

    Numba saves an entry by reading the function's index, picking the first free data-file
    number, writing the index and then the data, with no lock: two processes compiling the
    same function for different types into one cache at once (``search --workers``, tests
    run side by side) can pick the same number, and one index then names the other's data.
    Loads need no lock: every file is replaced whole (``os.replace``).
    """
    fd = os.open(folder / ".save.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


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
        """Numba's save, one process at a time (:func:`_save_lock`); a damaged index is
        discarded first, a full disk is named."""
        try:
            with _save_lock(Path(self._cache_path)):
                try:
                    self._cache_file._load_index()
                except Exception as err:
                    discard(self._cache_file, err)
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
