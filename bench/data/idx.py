"""Reader and writer for the IDX format of the MNIST files (LeCun et al.), plain or gzipped.

An IDX file is a 4-byte magic number ``0x00 0x00 <dtype code> <ndim>``, then ``ndim``
big-endian uint32 dimension sizes, then the payload in C order, big-endian. MNIST uses code
``0x08`` (unsigned byte): images are ``(n, 28, 28)`` (``idx3``), labels ``(n,)`` (``idx1``).
Gzip is detected from the file's first two bytes, not its name.

Every problem raises :class:`IdxError`, a :class:`~bench.config.ConfigError` (hence a
``ValueError``) for the ``--data-dir`` option whose message names the file, the problem and
the fix, so the command line prints one line and exits before any training.
"""

from __future__ import annotations

import gzip
import os
import struct
import zlib
from pathlib import Path

import numpy as np
import numpy.typing as npt

from bench.config import ConfigError

#: IDX dtype code -> numpy dtype (big-endian, as the format stores it).
IDX_DTYPES: dict[int, np.dtype[np.generic]] = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODES = {dt.newbyteorder("="): code for code, dt in IDX_DTYPES.items()}

#: The fix suggested for a damaged or missing file.
REFETCH = (
    "delete the file and retry, re-download it with `mlpbench data --dataset mnist` "
    "(or fashion-mnist), or point --data-dir at a directory holding good copies"
)

PathLike = str | os.PathLike[str]


class DataFileError(ConfigError):
    """A data file is missing or damaged: names the file, the problem and the fix.

    Raised for the ``--data-dir`` option; ``path`` holds the offending file.
    """

    def __init__(self, path: PathLike, problem: str, fix: str = REFETCH) -> None:
        super().__init__("--data-dir", f"{os.fspath(path)}: {problem}; {fix}")
        self.path = Path(path)


class IdxError(DataFileError):
    """A file that is not a valid IDX file (bad magic, truncated, inconsistent)."""


def _read_bytes(path: Path) -> bytes:
    if not path.exists():
        raise DataFileError(
            path,
            "file not found",
            "download it with `mlpbench data --dataset mnist` (or fashion-mnist), or point "
            "--data-dir at a directory holding the four IDX files",
        )
    if not path.is_file():
        raise DataFileError(path, "is not a regular file", "give the path of an IDX file")
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise IdxError(path, f"corrupt or truncated gzip data ({exc})") from exc
    return raw


def read_idx(path: PathLike) -> npt.NDArray[np.generic]:
    """Read one IDX file (plain or gzipped) into a writable array in native byte order.

    The shape is the file's dimensions (e.g. ``(60000, 28, 28)`` for MNIST training
    images, ``(60000,)`` for its labels); the dtype follows the file's code (``uint8``
    for MNIST). Raises :class:`DataFileError` / :class:`IdxError` on a missing file, a
    wrong magic number, an unknown dtype code, or a payload whose size differs from
    the header's dimensions.
    """
    path = Path(path)
    data = _read_bytes(path)
    if len(data) < 4:
        raise IdxError(path, f"only {len(data)} bytes, too short for an IDX header")
    zero, code, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or code not in IDX_DTYPES or ndim == 0:
        raise IdxError(
            path,
            f"wrong magic number 0x{data[:4].hex()} (expected 0x0000 then a dtype code "
            f"in {sorted(hex(c) for c in IDX_DTYPES)} and ndim >= 1): not an IDX file",
        )
    header = 4 + 4 * ndim
    if len(data) < header:
        raise IdxError(path, f"truncated header: {len(data)} bytes, {ndim} dims need {header}")
    dims = struct.unpack(f">{ndim}I", data[4:header])
    dtype = IDX_DTYPES[code]
    expected = int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    have = len(data) - header
    if have != expected:
        what = "truncated" if have < expected else "too long"
        raise IdxError(
            path,
            f"{what} payload: header says {'x'.join(map(str, dims))} of {dtype.name} = "
            f"{expected} bytes, file holds {have}",
        )
    buf = bytearray(data[header:])
    arr = np.frombuffer(buf, dtype=dtype).reshape(dims)
    if dtype.byteorder == ">":
        arr = arr.astype(dtype.newbyteorder("="))
    return arr


def write_idx(path: PathLike, array: npt.ArrayLike) -> Path:
    """Write ``array`` as an IDX file at ``path``, gzipped when the name ends in ``.gz``.

    Supported dtypes: uint8, int8, int16, int32, float32, float64 (stored big-endian).
    Creates parent directories; returns the path written.
    """
    path = Path(path)
    arr = np.asarray(array)
    if arr.ndim == 0 or arr.ndim > 255:
        raise ValueError(f"write_idx: need 1 to 255 dimensions, got {arr.ndim}")
    native = arr.dtype.newbyteorder("=")
    if native not in _CODES:
        raise ValueError(
            f"write_idx: dtype {arr.dtype} has no IDX code; use one of "
            f"{', '.join(d.name for d in IDX_DTYPES.values())}"
        )
    code = _CODES[native]
    head = struct.pack(">HBB", 0, code, arr.ndim) + struct.pack(f">{arr.ndim}I", *arr.shape)
    payload = np.ascontiguousarray(arr, dtype=IDX_DTYPES[code]).tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    blob = head + payload
    if path.suffix == ".gz":
        blob = gzip.compress(blob, compresslevel=6, mtime=0)
    path.write_bytes(blob)
    return path


def read_images_labels(
    images_path: PathLike, labels_path: PathLike, n_classes: int = 10
) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint8]]:
    """Read a matching MNIST-style pair: images ``(n, rows*cols)`` and labels ``(n,)``, uint8.

    Pixels stay raw (0-255); each image is flattened row by row. Checks that the images
    file is 3-D uint8, the labels file 1-D uint8, that both hold the same count, and that
    every label is in ``0 .. n_classes-1``.
    """
    images = read_idx(images_path)
    labels = read_idx(labels_path)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise IdxError(
            images_path,
            f"expected 3-D uint8 images (n, rows, cols), found {images.ndim}-D "
            f"{images.dtype.name} of shape {images.shape}; is this a labels file?",
        )
    if labels.ndim != 1 or labels.dtype != np.uint8:
        raise IdxError(
            labels_path,
            f"expected 1-D uint8 labels, found {labels.ndim}-D {labels.dtype.name} "
            f"of shape {labels.shape}; is this an images file?",
        )
    if len(images) != len(labels):
        raise IdxError(
            labels_path,
            f"holds {len(labels)} labels but {os.fspath(images_path)} holds "
            f"{len(images)} images: the pair does not match",
        )
    if len(labels) and int(labels.max()) >= n_classes:
        bad = int(labels.max())
        raise IdxError(labels_path, f"label {bad} is outside 0-{n_classes - 1}")
    flat = images.reshape(len(images), -1).astype(np.uint8, copy=False)
    return flat, labels.astype(np.uint8, copy=False)
