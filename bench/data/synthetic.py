"""The ``synthetic`` source: random inputs labelled by a fixed random linear map, any size.

Rows are generated in chunks straight into the final arrays (in the chosen dtype), so
loading peaks at about the size of those arrays, not several times it. The random stream
is the one a single ``rng.random((rows, features))`` call draws, followed by the map's
``rng.standard_normal((features, classes))``; the map is drawn first from a generator
advanced past the rows, so the arrays are bit-identical to drawing everything at once.

Sets of at least :data:`MMAP_MIN_BYTES` are cached as memory-mapped ``.npy`` files in the
data cache (``$MLPBENCH_CACHE``, else the OS user cache) under ``synthetic/``, named by a
hash of the generating parameters, written to a temporary name and renamed into place
(atomic: a killed run leaves no half file under the final name). A cached set is mapped
copy-on-write, so the run's memory holds only the pages it touches. A cached pair that
cannot be read as the set it is named for (truncated, garbage, another shape) is discarded
with a warning and generated again; a disk that cannot take the files raises a
:class:`bench.write_errors.WriteError` naming the file.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import warnings
from pathlib import Path

import numpy as np
import numpy.typing as npt

from bench.config import ConfigError, DataSpec
from bench.data.dataset import Dataset, finish
from bench.data.sources import SOURCES
from bench.write_errors import naming

MMAP_MIN_BYTES = 512 * 2**20  # inputs at least this large are cached as .npy memory maps
CHUNK_BYTES = 8 * 2**20  # float64 rows generated per step (about)
_FORMAT = 1  # bump when the generator changes, so old cache files are not reused


def generate(
    rows: int, features: int, classes: int, seed: int, X: npt.NDArray[np.floating]
) -> npt.NDArray[np.int64]:
    """Fill ``X`` (``rows`` x ``features``, any float dtype) with U[0, 1); return labels.

    The labels are ``argmax((x - 0.5) @ W)`` for a standard-normal ``W`` drawn after the
    rows from the same seeded stream.
    """
    bits = np.random.PCG64(seed)  # what default_rng(seed) uses
    bits.advance(rows * features)  # one 64-bit draw per uniform double
    W = np.random.Generator(bits).standard_normal((features, classes))
    rng = np.random.default_rng(seed)
    labels = np.empty(rows, dtype=np.int64)
    step = max(1, CHUNK_BYTES // (8 * features))
    for start in range(0, rows, step):
        stop = min(rows, start + step)
        block = rng.random((stop - start, features))
        X[start:stop] = block
        labels[start:stop] = ((block - 0.5) @ W).argmax(axis=1)
    return labels


def cache_paths(rows: int, features: int, classes: int, seed: int, dtype: str) -> tuple[Path, Path]:
    """Where a cached set lives: ``(inputs .npy, labels .npy)``, keyed by its parameters."""
    from bench.data.download import cache_root

    key = json.dumps([_FORMAT, rows, features, classes, seed, dtype], allow_nan=False)
    name = hashlib.sha256(key.encode()).hexdigest()[:20]
    folder = cache_root() / "synthetic"
    return folder / f"{name}-X.npy", folder / f"{name}-y.npy"


def _write_npy_atomic(path: Path, fill: npt.NDArray[np.generic] | None, shape: tuple[int, ...],
                      dtype: str) -> np.memmap:  # fmt: skip
    """A writable ``.npy`` memory map at a temporary name beside ``path``, its blocks
    allocated up front (``posix_fallocate``): a disk too full for it fails here with
    ENOSPC, not later with SIGBUS while the pages are written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        out = np.lib.format.open_memmap(tmp, mode="w+", dtype=dtype, shape=shape)
        fd = os.open(tmp, os.O_RDWR)
        try:
            os.posix_fallocate(fd, 0, os.fstat(fd).st_size)
        finally:
            os.close(fd)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    if fill is not None:
        out[...] = fill
    return out


def physical_memory() -> int | None:
    """Bytes of physical memory of this machine (POSIX ``sysconf``); None if unknown."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, OSError, ValueError):
        return None


def _check_room(folder: Path, need: int, rows: int) -> None:
    """ConfigError unless ``need`` bytes fit in this machine's memory (every epoch reads
    the rows in a shuffled order: a larger set would be read from disk at random) and
    ``folder`` (created if needed) has them free."""
    memory = physical_memory()
    if memory is not None and need > memory:
        raise ConfigError(
            "--synthetic-size",
            f"{rows:,} rows need {need / 2**30:,.1f} GiB, more than this machine's "
            f"{memory / 2**30:,.1f} GiB of memory (each epoch reads them in shuffled order); "
            "use fewer rows or features",
        )
    try:
        folder.mkdir(parents=True, exist_ok=True)
        free = shutil.disk_usage(folder).free
    except OSError as err:
        raise ConfigError(
            "--synthetic-size", f"the data cache {folder} is not usable ({err.strerror or err}); "
            "set MLPBENCH_CACHE to a writable folder",
        ) from None  # fmt: skip
    if need > free:
        raise ConfigError(
            "--synthetic-size",
            f"{rows:,} rows need {need / 2**30:,.1f} GiB in the data cache {folder}, which has "
            f"{free / 2**30:,.1f} GiB free; use fewer rows or set MLPBENCH_CACHE elsewhere",
        )


def _load_cached(
    x_path: Path, y_path: Path, shape: tuple[int, int], dtype: str
) -> tuple[np.memmap, np.memmap] | None:
    """The cached pair mapped copy-on-write; None (both files deleted, a warning) when
    either is missing, unreadable, truncated or of another shape or dtype."""
    if not (x_path.is_file() and y_path.is_file()):
        return None
    try:
        X = np.load(x_path, mmap_mode="c")
        y = np.load(y_path, mmap_mode="c")
        if X.shape != shape or X.dtype != np.dtype(dtype) or y.shape != shape[:1]:
            raise ValueError(f"holds {X.dtype} {X.shape}, not {dtype} {shape}")
        if y.dtype != np.int64:
            raise ValueError(f"labels are {y.dtype}, not int64")
    except (OSError, ValueError, EOFError) as err:
        warnings.warn(
            f"damaged synthetic-data cache {x_path.name} in {x_path.parent} ({err}); "
            "discarded and generated again",
            UserWarning,
            stacklevel=3,
        )
        x_path.unlink(missing_ok=True)
        y_path.unlink(missing_ok=True)
        return None
    return X, y


def _generate_cached(
    rows: int, features: int, classes: int, seed: int, dtype: str
) -> tuple[npt.NDArray[np.floating], npt.NDArray[np.int64]]:
    """The set from the cache, generating it there first if it is missing or damaged."""
    from bench.results import file_mode

    x_path, y_path = cache_paths(rows, features, classes, seed, dtype)
    maps = _load_cached(x_path, y_path, (rows, features), dtype)
    if maps is None:
        _check_room(x_path.parent, rows * (features * np.dtype(dtype).itemsize + 8), rows)
        with naming(x_path):
            X = _write_npy_atomic(x_path, None, (rows, features), dtype)
            labels = generate(rows, features, classes, seed, X)
            y = _write_npy_atomic(y_path, labels, (rows,), "int64")
            for mm, final in ((y, y_path), (X, x_path)):  # inputs last: their name means "done"
                mm.flush()
                tmp = str(mm.filename)
                os.chmod(tmp, file_mode())
                os.replace(tmp, final)
        del X, y
        maps = _load_cached(x_path, y_path, (rows, features), dtype)
        assert maps is not None, f"{x_path} unreadable just after writing it"
    return np.asarray(maps[0]), np.asarray(maps[1])


def load_synthetic(
    spec: DataSpec, dtype: str, seed: int, *, mmap_min_bytes: int = MMAP_MIN_BYTES
) -> Dataset:
    """``spec.n_synthetic`` training rows and ``max(1, n // 5)`` validation rows.

    Features and classes are ``--synthetic-features`` and ``--synthetic-classes`` (784
    and 10 by default). Learnable but meaningless: for timing at any scale. Sets whose
    inputs take at least ``mmap_min_bytes`` come from (or go to) the memory-mapped cache.
    """
    n = spec.n_synthetic
    total = n + max(1, n // 5)
    features, classes = SOURCES["synthetic"].shape(spec)
    assert features is not None and classes is not None
    if total * features * np.dtype(dtype).itemsize >= mmap_min_bytes:
        X, labels = _generate_cached(total, features, classes, seed, dtype)
    else:
        X = np.empty((total, features), dtype=dtype)
        labels = generate(total, features, classes, seed, X)
    return finish("synthetic", X[:n], labels[:n], X[n:], labels[n:], classes, spec, dtype)
