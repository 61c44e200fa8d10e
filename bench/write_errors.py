"""Writes that fail for lack of space or permission, as one error that names the file.

Every file mlpbench writes goes through a writer that turns such an ``OSError`` (``ENOSPC``,
``EDQUOT``, ``EACCES``, ``EPERM``, ``EROFS``) into a :class:`WriteError`: the path that could
not be written, the cause, and, where something finished could not be saved there, the
file it was kept in instead. The CLI prints it as one line and exits 2
(:func:`bench.cli.main.main`). Other ``OSError`` values (a bug, a vanished folder) are left
as they are. This module does no I/O.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

NO_ROOM = frozenset({errno.ENOSPC, errno.EDQUOT})  # the disk or the user's quota is full
NO_ACCESS = frozenset({errno.EACCES, errno.EPERM, errno.EROFS})  # not allowed to write there


def is_write_fault(err: BaseException) -> bool:
    """True for an ``OSError`` caused by a full disk, a full quota or a missing permission."""
    return isinstance(err, OSError) and err.errno in NO_ROOM | NO_ACCESS


class WriteError(OSError):
    """A file that could not be written: ``filename``, ``strerror``, and what was kept.

    ``kept``: where the content that could not be written was saved instead (None: nothing
    needed keeping, or keeping it failed too); ``hint``: what was kept and how to use it.
    """

    def __init__(self, code: int, cause: str, path: Path, kept: Path | None = None,
                 hint: str = "") -> None:  # fmt: skip
        super().__init__(code, cause, str(path))
        self.kept = kept
        self.hint = hint

    def __str__(self) -> str:
        """One line: the file, the cause, what was kept and the fix."""
        fix = ("free some space (or choose a folder with room) and run again"
               if self.errno in NO_ROOM else "make it writable or choose another path")  # fmt: skip
        hint = f"; {self.hint}" if self.hint else ""
        return f"cannot write {self.filename}: {self.strerror}{hint}; {fix}"


def write_error(
    err: OSError, path: Path | str | None = None, kept: Path | None = None, hint: str = ""
) -> WriteError:
    """``err`` as a :class:`WriteError` naming ``path`` (else the file ``err`` names)."""
    name = path if path is not None else (err.filename or "(a file whose name is unknown)")
    cause = err.strerror or os.strerror(err.errno or 0)
    return WriteError(err.errno or 0, cause, Path(name), kept, hint)


@contextmanager
def naming(path: Path | str) -> Iterator[None]:
    """Turn a full-disk or permission ``OSError`` inside the block into a WriteError naming
    ``path`` (not the temporary file a write went through); other exceptions pass unchanged."""
    try:
        yield
    except WriteError:
        raise
    except OSError as err:
        if not is_write_fault(err):
            raise
        raise write_error(err, path) from err
