"""Shared fixtures: small real data sets loaded once per session."""

from __future__ import annotations

import importlib.util

import pytest

from bench.config import DataSpec
from bench.data import Dataset, load


def available_backends() -> list[str]:
    """Backends whose module exists in this checkout (all three once the kernels land)."""
    from kernels import BACKEND_MODULES

    return [n for n, m in BACKEND_MODULES.items() if importlib.util.find_spec(m) is not None]


@pytest.fixture(scope="session")
def mnist5k() -> Dataset:
    """The default data set: 4,000 training and 1,000 validation real MNIST digits."""
    return load(DataSpec(), "float64", 0)


@pytest.fixture(scope="session")
def mnist_small() -> Dataset:
    """A stripped problem: 500 training / 200 validation images of mnist5k."""
    return load(DataSpec(n_train=500, n_val=200), "float64", 0)
