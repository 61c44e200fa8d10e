"""The hash of the kernel sources: one definition for everything keyed by them.

The Numba on-disk cache (:mod:`kernels.numba.cache`) and the tuning file
(:mod:`bench.kernel_tuning`) must both forget what they stored once any kernel source
changes. :func:`kernel_source_hash` hashes every ``*.py`` under ``kernels/`` (subpackages
included), keyed by its path relative to the package, so an edit, a new module or a moved
one gives a new hash. Imports the standard library only.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

KERNEL_DIR = Path(__file__).resolve().parent


def kernel_sources(kernel_dir: Path = KERNEL_DIR) -> list[Path]:
    """Every ``*.py`` under ``kernel_dir``, sorted by path relative to it."""
    return sorted(kernel_dir.rglob("*.py"), key=lambda p: p.relative_to(kernel_dir).as_posix())


def kernel_source_hash(kernel_dir: Path = KERNEL_DIR, *extra: str) -> str:
    """16 hex digits: SHA-256 of every kernel source (name and bytes) and of ``extra``
    strings (versions that shape the machine code, for the Numba cache)."""
    h = hashlib.sha256()
    for part in extra:
        h.update(part.encode() + b"\0")
    for path in kernel_sources(kernel_dir):
        name = path.relative_to(kernel_dir).as_posix()
        h.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:16]
