"""The ``npz`` source: your own arrays, ``--dataset npz --data-path FILE.npz``.

The file (``numpy.savez`` or ``savez_compressed``) holds ``X_train`` and ``X_val`` (2-D,
real numbers, the same number of columns) and ``y_train`` and ``y_val`` (1-D integer class
indices, one per row). Inputs are used as given (no scaling); the class count is the
largest label + 1. Everything is checked before training: a missing file or array, wrong
dimensions, mismatched rows or columns, non-numeric inputs, non-integer or negative labels,
fewer than 2 classes, NaN or infinite inputs each give one
:class:`~bench.config.ConfigError` naming the file, the array and the fix. Arrays are read
from the archive in chunks straight into the final dtype, so loading peaks at about the
size of the final arrays.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import IO, Any

import numpy as np
import numpy.typing as npt

from bench.config import ConfigError, DataSpec
from bench.data.dataset import Dataset, finish

ARRAYS = ("X_train", "y_train", "X_val", "y_val")
CHUNK_BYTES = 16 * 2**20  # bytes of the stored array read per step
_HEADERS = {
    (1, 0): np.lib.format.read_array_header_1_0,
    (2, 0): np.lib.format.read_array_header_2_0,
}


def _bad(path: Path, message: str) -> ConfigError:
    return ConfigError("--data-path", f"{path}: {message}")


def _read(fh: IO[bytes], path: Path, name: str, dtype: Any) -> npt.NDArray[Any]:
    """Array ``name`` from the open ``.npy`` stream ``fh``, converted to ``dtype`` in chunks.

    Inputs (``dtype`` a float type) must be real numbers and finite; labels (``dtype``
    int64) must be stored as integers.
    """
    try:
        version = np.lib.format.read_magic(fh)
        shape, fortran, stored = _HEADERS[version](fh)
    except (ValueError, KeyError) as err:
        message = f"{name} is not a readable .npy array ({err}); save with numpy.savez"
        raise _bad(path, message) from None
    if stored.hasobject or stored.kind not in "biuf":
        raise _bad(path, f"{name} has dtype {stored}; save real numbers")
    want_ndim = 2 if name.startswith("X") else 1
    if len(shape) != want_ndim:
        raise _bad(path, f"{name} has shape {shape}; it must be {want_ndim}-D")
    if want_ndim == 1 and stored.kind not in "biu":
        raise _bad(path, f"{name} has dtype {stored}; labels must be integers 0, 1, ...")
    out = np.empty(shape, dtype=dtype)
    if fortran:  # rare: read it whole (no chunking for column-major files)
        raw = np.frombuffer(fh.read(), dtype=stored, count=int(np.prod(shape)))
        out[...] = raw.reshape(shape, order="F")
    else:
        row = int(np.prod(shape[1:])) if len(shape) > 1 else 1
        step = max(1, CHUNK_BYTES // max(1, row * stored.itemsize))
        for start in range(0, shape[0], step):
            stop = min(shape[0], start + step)
            size = (stop - start) * row * stored.itemsize
            buf = fh.read(size)
            if len(buf) != size:
                raise _bad(path, f"{name} is truncated; save the file again")
            block = np.frombuffer(buf, dtype=stored).reshape((stop - start, *shape[1:]))
            if stored.kind == "f" and not np.isfinite(block).all():
                bad = start + int(np.argwhere(~np.isfinite(block))[0][0])
                raise _bad(path, f"{name} row {bad} is NaN or infinite; remove or fix it")
            out[start:stop] = block
    return out


def read_arrays(path: Path, dtype: str) -> dict[str, npt.NDArray[Any]]:
    """The four arrays of ``path``: inputs in ``dtype``, labels int64; checked one by one."""
    if not path.is_file():
        raise _bad(path, "no such file; give an .npz made with numpy.savez")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as err:
        raise _bad(path, f"not an .npz archive ({err}); save it with numpy.savez") from None
    with archive:
        names = set(archive.namelist())
        missing = [a for a in ARRAYS if f"{a}.npy" not in names]
        if missing:
            raise _bad(path, f"has no {', '.join(missing)}; it needs {', '.join(ARRAYS)}")
        arrays = {}
        for name in ARRAYS:
            with archive.open(f"{name}.npy") as fh:
                arrays[name] = _read(fh, path, name, dtype if name[0] == "X" else np.int64)
    return arrays


def _check(path: Path, a: dict[str, npt.NDArray[Any]]) -> int:
    """Shapes and labels agree; returns the class count (largest label + 1)."""
    for split in ("train", "val"):
        X, y = a[f"X_{split}"], a[f"y_{split}"]
        if len(X) != len(y):
            raise _bad(path, f"X_{split} has {len(X)} rows but y_{split} {len(y)} labels")
        if len(y) == 0:
            raise _bad(path, f"X_{split} has no rows; give at least one")
    if a["X_train"].shape[1] != a["X_val"].shape[1]:
        raise _bad(
            path, f"X_train has {a['X_train'].shape[1]} columns, X_val {a['X_val'].shape[1]}"
        )
    low = min(int(a["y_train"].min()), int(a["y_val"].min()))
    if low < 0:
        raise _bad(path, f"label {low} is negative; labels are class indices 0, 1, ...")
    n_classes = max(int(a["y_train"].max()), int(a["y_val"].max())) + 1
    if n_classes < 2:
        raise _bad(path, "all labels are 0; give at least 2 classes")
    return n_classes


def load_npz(spec: DataSpec, dtype: str, seed: int) -> Dataset:
    """The user's arrays from ``spec.file`` (``--data-path``), as stored (``seed`` unused)."""
    del seed
    assert spec.file is not None  # DataSpec requires it for this source
    path = Path(spec.file).expanduser()
    a = read_arrays(path, dtype)
    n_classes = _check(path, a)
    return finish(
        path.stem, a["X_train"], a["y_train"], a["X_val"], a["y_val"], n_classes, spec, dtype
    )
