"""Fetch the MNIST and Fashion-MNIST IDX files once into a local cache, verified by SHA-256.

Downloads go through :func:`pooch.retrieve`: a file already in the cache with the right
SHA-256 is used as is (no network); a missing or damaged one is (re-)downloaded to a
temporary name, checked, and only then moved into place.

* Cache: ``cache_dir`` argument, else ``$MLPBENCH_CACHE``, else ``pooch.os_cache("mlpbench")``;
  each source gets a sub-directory (``<cache>/mnist/``, ``<cache>/fashion-mnist/``).
* Mirrors: the built-in list is tried in order; ``base_url`` or ``$MLPBENCH_MNIST_URL`` /
  ``$MLPBENCH_FASHION_MNIST_URL`` replaces it with one base URL (``<base>/<file name>``).

Errors are :class:`~bench.config.ConfigError` s for ``--data-dir`` (so also ``ValueError``):
:class:`ChecksumError` names file, expected and actual hash; :class:`DownloadError` says
which URLs failed and how to use pre-downloaded files instead.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.config import ConfigError
from bench.data.idx import DataFileError, PathLike
from bench.results import file_mode

#: The four standard files of each source, in the order train images/labels, test images/labels.
FILE_NAMES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)

CACHE_ENV = "MLPBENCH_CACHE"


@dataclass(frozen=True)
class Source:
    """A downloadable IDX data set: mirror base URLs, SHA-256 per file, URL override env var."""

    name: str
    mirrors: tuple[str, ...]
    sha256: Mapping[str, str]
    url_env: str


SOURCES: dict[str, Source] = {
    "mnist": Source(
        name="mnist",
        mirrors=(
            "https://ossci-datasets.s3.amazonaws.com/mnist",
            "https://storage.googleapis.com/cvdf-datasets/mnist",
            "http://yann.lecun.com/exdb/mnist",
        ),
        sha256={
            "train-images-idx3-ubyte.gz": (
                "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"
            ),
            "train-labels-idx1-ubyte.gz": (
                "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"
            ),
            "t10k-images-idx3-ubyte.gz": (
                "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"
            ),
            "t10k-labels-idx1-ubyte.gz": (
                "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"
            ),
        },
        url_env="MLPBENCH_MNIST_URL",
    ),
    "fashion-mnist": Source(
        name="fashion-mnist",
        mirrors=(
            "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com",
            "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion",
        ),
        sha256={
            "train-images-idx3-ubyte.gz": (
                "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84"
            ),
            "train-labels-idx1-ubyte.gz": (
                "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845"
            ),
            "t10k-images-idx3-ubyte.gz": (
                "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073"
            ),
            "t10k-labels-idx1-ubyte.gz": (
                "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5"
            ),
        },
        url_env="MLPBENCH_FASHION_MNIST_URL",
    ),
}


class ChecksumError(DataFileError):
    """A downloaded (or cached) file whose SHA-256 differs from the known one."""

    def __init__(self, path: PathLike, url: str, expected: str, actual: str) -> None:
        super().__init__(
            path,
            f"SHA-256 mismatch for the file from {url}: expected {expected}, got {actual}",
            "the mirror or the connection delivered a damaged or different file; retry, "
            "choose another mirror with the base-URL variable, or download the file "
            "yourself and pass its directory with --data-dir",
        )
        self.url = url
        self.expected = expected
        self.actual = actual


class DownloadError(DataFileError):
    """No mirror could deliver a file (network down, HTTP error, unreachable host)."""


def sha256_of(path: PathLike) -> str:
    """Hex SHA-256 digest of the file at ``path`` (read in 1 MiB chunks)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def cache_root(cache_dir: PathLike | None = None) -> Path:
    """The cache directory: ``cache_dir``, else ``$MLPBENCH_CACHE``, else pooch's OS cache."""
    if cache_dir is not None:
        return Path(cache_dir)
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env)
    import pooch

    return Path(pooch.os_cache("mlpbench"))


def base_urls(source: str, base_url: str | None = None) -> tuple[str, ...]:
    """Base URLs to try for ``source``: ``base_url``, else its env variable, else the mirrors."""
    src = get_source(source)
    override = base_url or os.environ.get(src.url_env)
    if override:
        return (override.rstrip("/"),)
    return src.mirrors


def get_source(source: str) -> Source:
    """The :class:`Source` registered under ``source`` (``mnist`` or ``fashion-mnist``)."""
    try:
        return SOURCES[source]
    except KeyError:
        raise ConfigError(
            "--dataset", f"{source!r} has no download; choose one of {', '.join(SOURCES)}"
        ) from None


class _HashingDownloader:
    """pooch's HTTP downloader that also records the SHA-256 of what it downloaded."""

    def __init__(self, timeout: float, progress: bool) -> None:
        import pooch

        self._inner = pooch.HTTPDownloader(timeout=timeout, progressbar=progress)
        self.actual: str | None = None

    def __call__(self, url: str, output_file: Any, pooch_obj: Any, check_only: bool = False) -> Any:
        result = self._inner(url, output_file, pooch_obj, check_only=check_only)
        if not check_only and isinstance(output_file, str | os.PathLike):
            self.actual = sha256_of(output_file)
        return result


def fetch_file(
    source: str,
    file_name: str,
    *,
    cache_dir: PathLike | None = None,
    base_url: str | None = None,
    timeout: float = 60.0,
    progress: bool = False,
) -> Path:
    """Path of ``file_name`` of ``source`` in the cache, downloading it first if needed.

    A cached file is used when its SHA-256 matches; otherwise the mirrors are tried in
    order (``timeout`` seconds per connection/read). Raises :class:`ChecksumError` when a
    mirror delivers a file with a different SHA-256 (and no later mirror delivers the
    right one) and :class:`DownloadError` when none can be reached.
    """
    import pooch
    import requests

    src = get_source(source)
    if file_name not in src.sha256:
        raise DataFileError(file_name, f"not a file of {source}", f"use one of {FILE_NAMES}")
    expected = src.sha256[file_name]
    folder = cache_root(cache_dir) / src.name
    target = folder / file_name
    failures: list[str] = []
    checksum_error: ChecksumError | None = None
    for base in base_urls(source, base_url):
        url = f"{base}/{file_name}"
        downloader = _HashingDownloader(timeout, progress)
        try:
            got = pooch.retrieve(
                url,
                known_hash=f"sha256:{expected}",
                fname=file_name,
                path=folder,
                downloader=downloader,
                progressbar=progress,
            )
            os.chmod(got, file_mode())  # pooch's temporary file was 0600
            return Path(got)
        except requests.exceptions.RequestException as exc:
            failures.append(f"{url} ({type(exc).__name__}: {exc})")
        except ValueError as exc:
            if downloader.actual is None or downloader.actual == expected:
                raise
            checksum_error = ChecksumError(target, url, expected, downloader.actual)
            failures.append(f"{url} (SHA-256 mismatch)")
            checksum_error.__cause__ = exc
        except OSError as exc:
            failures.append(f"{url} ({type(exc).__name__}: {exc})")
    if checksum_error is not None:
        raise checksum_error
    raise DownloadError(
        target,
        "could not download: " + "; ".join(failures),
        "check the network (or set the base URL with $" + src.url_env + "), or download "
        f"the four files ({', '.join(FILE_NAMES)}) yourself and pass their directory "
        "with --data-dir",
    )


def fetch(
    source: str,
    *,
    cache_dir: PathLike | None = None,
    base_url: str | None = None,
    timeout: float = 60.0,
    progress: bool = False,
) -> dict[str, Path]:
    """Fetch all four files of ``source`` (see :func:`fetch_file`): file name -> cached path."""
    return {
        name: fetch_file(
            source,
            name,
            cache_dir=cache_dir,
            base_url=base_url,
            timeout=timeout,
            progress=progress,
        )
        for name in FILE_NAMES
    }
