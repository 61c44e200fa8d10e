"""The dataset registry, the synthetic source at scale (chunks, memory maps) and npz files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from test_data import _write_mnist_dir  # tests/ is on sys.path (not a package)

from bench.cli.main import main
from bench.config import ConfigError, DataSpec
from bench.data import synthetic as data_synthetic
from bench.data.dataset import load
from bench.data.sources import FASHION_CLASSES, SOURCES

# --- registry ----------------------------------------------------------------------------


def test_registry_drives_dataset_choices_and_digits() -> None:
    assert set(SOURCES) == {"mnist5k", "mnist", "fashion-mnist", "digits", "synthetic", "npz"}
    with pytest.raises(ConfigError, match="outside 0-9"):
        DataSpec(digits=(0, 10))
    DataSpec(source="synthetic", synthetic_classes=12, digits=(0, 11))
    with pytest.raises(ConfigError, match="outside 0-2"):
        DataSpec(source="synthetic", synthetic_classes=3, digits=(0, 3))
    with pytest.raises(ConfigError, match="--data-path"):
        DataSpec(source="npz")


def test_synthetic_shape_from_options() -> None:
    ds = load(DataSpec(source="synthetic", n_synthetic=200, synthetic_features=7,
                       synthetic_classes=3), "float32", 0)  # fmt: skip
    assert ds.X_train.shape == (200, 7) and ds.X_val.shape == (40, 7) and ds.n_classes == 3
    assert set(np.unique(ds.y_train)) <= {0, 1, 2}


def test_fashion_class_names_in_data_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _write_mnist_dir(tmp_path)
    ds = load(DataSpec(source="fashion-mnist", path=str(tmp_path)), "float32", 0)
    assert ds.class_names == FASHION_CLASSES
    code = main(["data", "--dataset", "fashion-mnist", "--data-dir", str(tmp_path)])
    assert code == 0
    assert "Ankle boot:" in capsys.readouterr().out


# --- synthetic at scale ------------------------------------------------------------------


def _legacy_synthetic(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The pre-chunking generator (everything in one draw), as the reference."""
    rng = np.random.default_rng(seed)
    X = rng.random((n + max(1, n // 5), 784))
    labels = ((X - 0.5) @ rng.standard_normal((784, 10))).argmax(axis=1)
    return X, labels


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_synthetic_bit_identical_to_one_draw(dtype: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(data_synthetic, "CHUNK_BYTES", 8 * 784 * 37)  # many uneven chunks
    ds = load(DataSpec(source="synthetic", n_synthetic=1000), dtype, 5)
    X, labels = _legacy_synthetic(1000, 5)
    assert np.array_equal(ds.X_train, X[:1000].astype(dtype))
    assert np.array_equal(ds.X_val, X[1000:].astype(dtype))
    assert np.array_equal(ds.y_train, labels[:1000]) and np.array_equal(ds.y_val, labels[1000:])


PEAK_SCRIPT = """
import json, sys, tracemalloc
from bench.config import DataSpec
from bench.data.dataset import load
tracemalloc.start()
ds = load(DataSpec(source="synthetic", n_synthetic=int(sys.argv[1]),
                   n_train=int(sys.argv[2])), "float32", 0)
peak = tracemalloc.get_traced_memory()[1]
final = sum(a.nbytes for a in (ds.X_train, ds.y_train, ds.X_val, ds.y_val))
print(json.dumps({"peak": peak, "final": final}))
"""


def test_synthetic_peak_memory_is_bounded() -> None:
    """Loading in a fresh process allocates at most 1.5x the arrays it returns."""
    out = subprocess.run(
        [sys.executable, "-c", PEAK_SCRIPT, "24000", "20000"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    got = json.loads(out.stdout)
    assert got["peak"] <= 1.5 * got["final"], got


def test_large_synthetic_cached_as_memory_map(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLPBENCH_CACHE", str(tmp_path))
    spec = DataSpec(source="synthetic", n_synthetic=300)
    plain = data_synthetic.load_synthetic(spec, "float32", 2)
    first = data_synthetic.load_synthetic(spec, "float32", 2, mmap_min_bytes=0)
    files = sorted(p.name for p in (tmp_path / "synthetic").iterdir())
    assert len(files) == 2 and all(f.endswith(".npy") for f in files), files  # no temp left

    def no_generate(*args: Any) -> None:
        raise AssertionError("the cached set was generated again")

    monkeypatch.setattr(data_synthetic, "generate", no_generate)
    again = data_synthetic.load_synthetic(spec, "float32", 2, mmap_min_bytes=0)
    for ds in (first, again):
        assert np.array_equal(ds.X_train, plain.X_train) and np.array_equal(ds.y_val, plain.y_val)
        assert isinstance(ds.X_train.base, np.memmap) or ds.X_train.base is not None
    other = data_synthetic.cache_paths(360, 784, 10, 3, "float32")
    assert other[0].name not in files  # another seed is another file


# --- npz ---------------------------------------------------------------------------------


def _arrays(n: int = 60, features: int = 5, classes: int = 3) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(1)
    return {
        "X_train": rng.random((n, features)),
        "y_train": np.arange(n) % classes,
        "X_val": rng.random((n // 3, features)),
        "y_val": np.arange(n // 3) % classes,
    }


@pytest.mark.parametrize("compressed", [False, True])
def test_npz_loads_as_stored(
    tmp_path: Path, compressed: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bench.data import npz as data_npz

    monkeypatch.setattr(data_npz, "CHUNK_BYTES", 64)  # several chunks per array
    a = _arrays()
    path = tmp_path / "mine.npz"
    (np.savez_compressed if compressed else np.savez)(path, **a)
    ds = load(DataSpec(source="npz", file=str(path)), "float32", 0)
    assert ds.n_classes == 3 and ds.n_features == 5 and ds.name == "mine"
    assert np.array_equal(ds.X_train, a["X_train"].astype(np.float32))
    assert np.array_equal(ds.y_val, a["y_val"]) and ds.y_val.dtype == np.int64
    two = load(DataSpec(source="npz", file=str(path), digits=(0, 2), n_train=10), "float64", 0)
    assert set(np.unique(two.y_train)) == {0, 2} and two.n_train == 10


def _nan(a: dict[str, np.ndarray]) -> None:
    a["X_val"][3, 1] = np.nan


def _inf(a: dict[str, np.ndarray]) -> None:
    a["X_train"][7, 0] = np.inf


BAD_NPZ = {
    "has no y_val": lambda a: a.pop("y_val"),
    "row 3 is NaN or infinite": _nan,
    "row 7 is NaN or infinite": _inf,
    "label -1 is negative": lambda a: a.__setitem__("y_train", a["y_train"] - 1),
    "60 rows but y_train 59 labels": lambda a: a.__setitem__("y_train", a["y_train"][:-1]),
    "labels must be integers": lambda a: a.__setitem__("y_val", a["y_val"] * 1.0),
    "must be 2-D": lambda a: a.__setitem__("X_val", a["X_val"].ravel()),
    "X_val 4": lambda a: a.__setitem__("X_val", a["X_val"][:, :4]),
    "save real numbers": lambda a: a.__setitem__("X_train", a["X_train"].astype(str)),
    "at least 2 classes": lambda a: a.update(y_train=a["y_train"] * 0, y_val=a["y_val"] * 0),
}


@pytest.mark.parametrize("problem", sorted(BAD_NPZ))
def test_bad_npz_exits_2_with_one_line(
    problem: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = _arrays()
    BAD_NPZ[problem](a)
    path = tmp_path / "bad.npz"
    np.savez(path, **a)
    argv = ["train", "--dataset", "npz", "--data-path", str(path), "--sizes", "5,3"]
    code = main([*argv, "--quiet", "--no-plot", "--results-dir", str(tmp_path / "r")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and problem in err[0] and "--data-path" in err[0], err
    assert not (tmp_path / "r" / "runs").exists() or not any((tmp_path / "r" / "runs").iterdir())


@pytest.mark.parametrize("content", [None, b"not a zip"])
def test_missing_or_broken_npz(
    content: bytes | None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "x.npz"
    if content is not None:
        path.write_bytes(content)
    code = main(["data", "--dataset", "npz", "--data-path", str(path)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and str(path) in err[0], err


def test_npz_digits_beyond_its_classes(tmp_path: Path) -> None:
    path = tmp_path / "mine.npz"
    np.savez(path, **_arrays())
    with pytest.raises(ConfigError, match="outside 0-2"):
        load(DataSpec(source="npz", file=str(path), digits=(0, 5)), "float32", 0)


def test_npz_trains_end_to_end(tmp_path: Path) -> None:
    path = tmp_path / "mine.npz"
    np.savez(path, **_arrays())
    argv = ["train", "--dataset", "npz", "--data-path", str(path), "--sizes", "5,4,3",
            "--backend", "numpy", "--epochs", "1", "--batch-size", "5"]  # fmt: skip
    assert main([*argv, "--quiet", "--no-plot", "--results-dir", str(tmp_path / "r")]) == 0
    run = json.loads(next((tmp_path / "r" / "runs").glob("*.json")).read_text())
    assert run["trials"][0]["config"]["data"]["file"] == str(path)
