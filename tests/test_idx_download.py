"""IDX reader/writer and the pooch download path, against files served on 127.0.0.1."""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import http.server
import os
import socket
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bench.config import ConfigError
from bench.data import download
from bench.data.idx import DataFileError, IdxError, read_idx, read_images_labels, write_idx

RNG = np.random.default_rng(1234)


def _images(n: int) -> np.ndarray:
    return RNG.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)


def _labels(n: int) -> np.ndarray:
    return (np.arange(n) % 10).astype(np.uint8)


# --- IDX reader / writer -------------------------------------------------------------


@pytest.mark.parametrize("name", ["imgs-idx3-ubyte", "imgs-idx3-ubyte.gz"])
def test_read_idx_roundtrip_plain_and_gz(tmp_path: Path, name: str) -> None:
    imgs = _images(7)
    path = write_idx(tmp_path / name, imgs)
    assert (path.read_bytes()[:2] == b"\x1f\x8b") == name.endswith(".gz")
    back = read_idx(path)
    assert back.shape == (7, 28, 28)
    assert back.dtype == np.uint8
    np.testing.assert_array_equal(back, imgs)
    assert back.flags.writeable


def test_idx_header_layout_is_standard(tmp_path: Path) -> None:
    path = write_idx(tmp_path / "l", np.array([3, 1, 4], dtype=np.uint8))
    raw = path.read_bytes()
    assert raw[:4] == b"\x00\x00\x08\x01"  # uint8, 1 dim: labels magic 2049
    assert int.from_bytes(raw[4:8], "big") == 3
    assert raw[8:] == bytes([3, 1, 4])


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int32, np.float32, np.float64])
def test_idx_other_dtypes_roundtrip(tmp_path: Path, dtype: Any) -> None:
    arr = (np.arange(24) - 7).astype(dtype).reshape(2, 3, 4)
    back = read_idx(write_idx(tmp_path / "a.idx", arr))
    assert back.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(back, arr)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match="file not found") as info:
        read_idx(tmp_path / "nope-idx3-ubyte")
    assert "nope-idx3-ubyte" in str(info.value)
    assert info.value.option == "--data-dir"
    assert isinstance(info.value, ValueError)


def test_truncated_payload(tmp_path: Path) -> None:
    path = write_idx(tmp_path / "t-idx3-ubyte", _images(5))
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(IdxError, match="truncated payload") as info:
        read_idx(path)
    msg = str(info.value)
    assert str(path) in msg and "delete the file and retry" in msg
    assert "3920 bytes" in msg and "3820" in msg


def test_truncated_gzip(tmp_path: Path) -> None:
    path = write_idx(tmp_path / "t-idx3-ubyte.gz", _images(5))
    path.write_bytes(path.read_bytes()[:-50])
    with pytest.raises(IdxError, match="gzip") as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_wrong_magic(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_bytes(b"<html><body>404 Not Found</body></html>")
    with pytest.raises(IdxError, match="wrong magic number 0x3c68746d") as info:
        read_idx(path)
    assert str(path) in str(info.value) and "not an IDX file" in str(info.value)


def test_too_short(tmp_path: Path) -> None:
    path = tmp_path / "x"
    path.write_bytes(b"\x00\x00")
    with pytest.raises(IdxError, match="too short"):
        read_idx(path)


def test_count_mismatch(tmp_path: Path) -> None:
    imgs = write_idx(tmp_path / "i-idx3-ubyte", _images(6))
    labs = write_idx(tmp_path / "l-idx1-ubyte", _labels(5))
    with pytest.raises(IdxError, match=r"holds 5 labels but .* holds 6 images") as info:
        read_images_labels(imgs, labs)
    assert str(labs) in str(info.value)


def test_label_out_of_range(tmp_path: Path) -> None:
    imgs = write_idx(tmp_path / "i-idx3-ubyte", _images(3))
    labs = write_idx(tmp_path / "l-idx1-ubyte", np.array([0, 12, 3], dtype=np.uint8))
    with pytest.raises(IdxError, match="label 12 is outside 0-9"):
        read_images_labels(imgs, labs)


def test_swapped_files(tmp_path: Path) -> None:
    imgs = write_idx(tmp_path / "i-idx3-ubyte", _images(3))
    labs = write_idx(tmp_path / "l-idx1-ubyte", _labels(3))
    with pytest.raises(IdxError, match="expected 3-D uint8 images"):
        read_images_labels(labs, imgs)


def test_read_images_labels_flattens(tmp_path: Path) -> None:
    imgs = _images(4)
    X, y = read_images_labels(
        write_idx(tmp_path / "i.gz", imgs), write_idx(tmp_path / "l.gz", _labels(4))
    )
    assert X.shape == (4, 784) and X.dtype == np.uint8
    np.testing.assert_array_equal(X[2], imgs[2].ravel())
    np.testing.assert_array_equal(y, [0, 1, 2, 3])


# --- download over loopback -----------------------------------------------------------


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """Generated MNIST-layout files served by http.server on 127.0.0.1 (ephemeral port)."""
    root = tmp_path / "www"
    files = {
        "train-images-idx3-ubyte.gz": _images(60),
        "train-labels-idx1-ubyte.gz": _labels(60),
        "t10k-images-idx3-ubyte.gz": _images(12),
        "t10k-labels-idx1-ubyte.gz": _labels(12),
    }
    hashes = {name: _sha(write_idx(root / name, arr)) for name, arr in files.items()}
    hits: Counter[str] = Counter()

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(root), **kwargs)

        def do_GET(self) -> None:
            hits[self.path.lstrip("/")] += 1
            super().do_GET()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.timeout = 5
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield {
            "url": f"http://127.0.0.1:{server.server_address[1]}",
            "root": root,
            "hashes": hashes,
            "hits": hits,
            "arrays": files,
        }
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def fake_source(monkeypatch: pytest.MonkeyPatch, served: dict[str, Any]) -> dict[str, Any]:
    """Register the served files' true hashes as the ``mnist`` source's known ones."""
    src = dataclasses.replace(download.SOURCES["mnist"], sha256=dict(served["hashes"]))
    monkeypatch.setitem(download.SOURCES, "mnist", src)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.delenv("MLPBENCH_MNIST_URL", raising=False)
    return served


@pytest.fixture
def fetch(fake_source: dict[str, Any], tmp_path: Path) -> Callable[..., Path]:
    """``fetch(NAME)``: the mnist file NAME from the local server, cached in ``tmp_path /
    "cache"``; ``url=`` fetches from another address instead."""

    def fetch(name: str, *, url: str | None = None) -> Path:
        base = fake_source["url"] if url is None else url
        return download.fetch_file("mnist", name, cache_dir=tmp_path / "cache", base_url=base)

    return fetch


# The published SHA-256 digests of the original gzip files (as listed by e.g.
# tensorflow-datasets' checksums for mnist and fashion_mnist).
PUBLISHED_NAMES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                   "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")  # fmt: skip
PUBLISHED_SHA256 = {
    "mnist": (
        "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    ),
    "fashion-mnist": (
        "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
        "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
        "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
        "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
    ),
}


def test_real_checksums_are_the_published_ones(tmp_path: Path) -> None:
    assert set(download.FILE_NAMES) == set(PUBLISHED_NAMES)
    got = {k: tuple(s.sha256[n] for n in PUBLISHED_NAMES) for k, s in download.SOURCES.items()}
    assert got == PUBLISHED_SHA256
    for src in download.SOURCES.values():
        assert src.mirrors and all(m.startswith("http") for m in src.mirrors)
    abc = tmp_path / "abc"
    abc.write_bytes(b"abc")  # FIPS 180-2 test vector
    assert download.sha256_of(abc) == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )


def test_downloaded_files_honour_the_umask(fake_source: dict[str, Any], tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        got = download.fetch("mnist", cache_dir=tmp_path, base_url=fake_source["url"], timeout=5)
    finally:
        os.umask(old)
    assert {oct(p.stat().st_mode & 0o777) for p in got.values()} == {"0o644"}


def test_fetch_downloads_once_and_verifies(fake_source: dict[str, Any], tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    got = download.fetch("mnist", cache_dir=cache, base_url=fake_source["url"], timeout=5)
    assert set(got) == set(download.FILE_NAMES)
    for name, path in got.items():
        assert path == cache / "mnist" / name
        assert _sha(path) == fake_source["hashes"][name]
    assert all(fake_source["hits"][n] == 1 for n in download.FILE_NAMES)
    again = download.fetch("mnist", cache_dir=cache, base_url=fake_source["url"], timeout=5)
    assert again == got
    assert all(fake_source["hits"][n] == 1 for n in download.FILE_NAMES)  # no re-download


def test_fetch_uses_env_cache_and_url(
    fake_source: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLPBENCH_CACHE", str(tmp_path / "envcache"))
    monkeypatch.setenv("MLPBENCH_MNIST_URL", fake_source["url"] + "/")
    path = download.fetch_file("mnist", "t10k-labels-idx1-ubyte.gz", timeout=5)
    assert path == tmp_path / "envcache" / "mnist" / "t10k-labels-idx1-ubyte.gz"
    assert fake_source["hits"]["t10k-labels-idx1-ubyte.gz"] == 1


def test_wrong_hash_raises_checksum_error(
    fake_source: dict[str, Any],
    fetch: Callable[..., Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    name = "train-labels-idx1-ubyte.gz"
    wrong = "0" * 64
    src = download.SOURCES["mnist"]
    monkeypatch.setitem(
        download.SOURCES, "mnist", dataclasses.replace(src, sha256={**src.sha256, name: wrong})
    )
    with pytest.raises(download.ChecksumError) as info:
        fetch(name)
    err = info.value
    msg = str(err)
    assert name in msg and wrong in msg and fake_source["hashes"][name] in msg
    assert "--data-dir" in msg and err.option == "--data-dir"
    assert err.expected == wrong and err.actual == fake_source["hashes"][name]
    assert isinstance(err, ConfigError)
    assert not (tmp_path / "cache" / "mnist" / name).exists()  # the bad download is not kept


def test_corrupted_cache_is_detected_and_refetched(
    fake_source: dict[str, Any], fetch: Callable[..., Path]
) -> None:
    name = "t10k-images-idx3-ubyte.gz"
    fetch(name).write_bytes(b"garbage")
    again = fetch(name)
    assert fake_source["hits"][name] == 2
    assert _sha(again) == fake_source["hashes"][name]
    assert read_idx(again).shape == (12, 28, 28)


def test_corrupted_cache_offline_gives_download_error(
    fake_source: dict[str, Any], fetch: Callable[..., Path]
) -> None:
    name = "t10k-labels-idx1-ubyte.gz"
    fetch(name).write_bytes(gzip.compress(b"damaged"))
    with pytest.raises(download.DownloadError, match="--data-dir"):
        fetch(name, url=fake_source["url"] + "/gone")


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def test_network_failure_suggests_data_dir(fake_source: dict[str, Any], tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    with pytest.raises(download.DownloadError) as info:
        download.fetch_file(
            "mnist", "train-labels-idx1-ubyte.gz", cache_dir=tmp_path, base_url=url, timeout=5
        )
    msg = str(info.value)
    assert msg.startswith("--data-dir:")
    assert url in msg and "pass their directory with --data-dir" in msg
    assert "MLPBENCH_MNIST_URL" in msg


def test_http_404_is_a_download_error(
    fake_source: dict[str, Any], fetch: Callable[..., Path]
) -> None:
    with pytest.raises(download.DownloadError, match="HTTPError"):
        fetch("train-labels-idx1-ubyte.gz", url=fake_source["url"] + "/missing")


def test_unknown_source_and_file() -> None:
    with pytest.raises(ConfigError, match="--dataset"):
        download.fetch("cifar10")
    with pytest.raises(DataFileError, match="not a file of mnist"):
        download.fetch_file("mnist", "train-images.zip")


def test_cache_root_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLPBENCH_CACHE", str(tmp_path / "env"))
    assert download.cache_root(tmp_path / "arg") == tmp_path / "arg"
    assert download.cache_root() == tmp_path / "env"
    monkeypatch.delenv("MLPBENCH_CACHE")
    assert "mlpbench" in str(download.cache_root())


def test_base_urls_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MLPBENCH_FASHION_MNIST_URL", raising=False)
    assert download.base_urls("fashion-mnist") == download.SOURCES["fashion-mnist"].mirrors
    monkeypatch.setenv("MLPBENCH_FASHION_MNIST_URL", "http://127.0.0.1:1/f/")
    assert download.base_urls("fashion-mnist") == ("http://127.0.0.1:1/f",)
    assert download.base_urls("fashion-mnist", "http://x") == ("http://x",)
