"""Shared fixtures: small real data sets loaded once per session."""

from __future__ import annotations

import pytest

from bench.config import DataSpec
from bench.data.dataset import Dataset, load


@pytest.fixture(autouse=True)
def _no_user_kernel_wisdom(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tests never read the user's kernel tuning file nor time paths before a trial: paths
    come from the documented defaults (tests of the brief tune switch it on)."""
    monkeypatch.setenv(
        "MLPBENCH_KERNEL_WISDOM", str(tmp_path_factory.mktemp("wisdom") / "none.json")
    )
    monkeypatch.setenv("MLPBENCH_KERNEL_TUNE", "off")


@pytest.fixture(autouse=True)
def _no_ceiling_measurement(monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs made by tests record no measured ceiling (half a minute each); the ceiling's own
    tests measure it for real (tests/test_ceiling.py)."""
    monkeypatch.setenv("MLPBENCH_CEILINGS", "off")
    monkeypatch.setenv("MLPBENCH_PREWARM", "off")  # tests/test_prewarm.py switches it on


@pytest.fixture(scope="session")
def mnist5k() -> Dataset:
    """The default data set: 4,000 training and 1,000 validation real MNIST digits."""
    return load(DataSpec(), "float64", 0)


@pytest.fixture(scope="session")
def mnist_small() -> Dataset:
    """A stripped problem: 500 training / 200 validation images of mnist5k."""
    return load(DataSpec(n_train=500, n_val=200), "float64", 0)
