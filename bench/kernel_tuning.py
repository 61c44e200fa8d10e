"""Per-machine autotuning of the kernel paths, kept as "wisdom" in the user cache.

Like FFTW's wisdom or cuDNN's benchmark mode: for each shape — (backend, layer sizes,
dtype, threads, mini-batch) — every candidate path of :mod:`kernels.paths` is timed on this
machine and the fastest is remembered in a JSON *tuning file*
(``<user cache>/mlpbench/kernel-wisdom.json``; the cache is platformdirs' user cache dir,
which honours ``$XDG_CACHE_HOME``; ``$MLPBENCH_KERNEL_WISDOM`` names another file).

The file is keyed by this machine and software: CPU model, the ISA features LLVM sees, the
numba, llvmlite, numpy and BLAS versions and a hash of the kernel sources. A file whose
key differs (another machine, upgraded libraries, edited kernels), or that cannot be read,
is ignored with a warning and never trusted. Without a choice for a shape, training uses
the documented default (:func:`kernels.paths.default_path`) — no tuning happens
implicitly, so a cold first ``mlpbench sweep`` costs nothing extra.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import os
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from kernels.paths import AUTO, BACKEND_PATHS, candidates, check_path, default_path
from kernels.source_hash import kernel_source_hash  # the one hash of the kernel sources

FORMAT = "mlpbench-kernel-wisdom/1"
WISDOM_ENV = "MLPBENCH_KERNEL_WISDOM"

# Timer: (backend, path, sizes, dtype, threads, mini_batch, samples) -> seconds of one call
Timer = Callable[[str, str, tuple[int, ...], str, int, int, int], float]


@dataclass(frozen=True)
class Shape:
    """What a choice is for: backend, layer sizes, dtype, threads, mini-batch size."""

    backend: str
    sizes: tuple[int, ...]
    dtype: str
    threads: int
    mini_batch: int

    def key(self) -> str:
        """The shape's key in the tuning file, e.g. ``numba|784x30x10|float64|t1|mb10``."""
        sizes = "x".join(map(str, self.sizes))
        return f"{self.backend}|{sizes}|{self.dtype}|t{self.threads}|mb{self.mini_batch}"


@dataclass(frozen=True)
class Tuned:
    """One tuned shape: samples/s of every candidate timed and the chosen path."""

    shape: Shape
    samples_per_s: dict[str, float]  # path -> best samples/s over the repeats
    chosen: str


def wisdom_path() -> Path:
    """The tuning file: ``$MLPBENCH_KERNEL_WISDOM``, else the user cache (platformdirs)."""
    env = os.environ.get(WISDOM_ENV)
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("mlpbench")) / "kernel-wisdom.json"


def machine_key() -> dict[str, Any]:
    """What a tuning file must match to be trusted here (CPU, ISA, versions, kernels)."""
    return dict(_machine_key())


@functools.cache
def _machine_key() -> dict[str, Any]:
    import llvmlite
    import llvmlite.binding as llvm
    import numba
    import scipy.linalg.cython_blas  # noqa: F401  (the BLAS Numba's np.dot calls: in the key)

    from bench.machine import blas_info, cpu_model

    features = sorted(
        f[1:] for f in llvm.get_host_cpu_features().flatten().split(",") if f[:1] == "+"
    )
    blas = sorted(f"{b.get('internal_api')} {b.get('version')} {b.get('architecture')}"
                  for b in blas_info() if b.get("user_api") == "blas")  # fmt: skip
    return {
        "cpu": cpu_model(),
        "llvm_cpu": llvm.get_host_cpu_name(),
        "isa": hashlib.sha256(",".join(features).encode()).hexdigest()[:16],
        "avx512f": "avx512f" in features,
        "numba": numba.__version__,
        "llvmlite": llvmlite.__version__,
        "numpy": np.__version__,
        "blas": blas,
        "kernels": kernel_source_hash(),
    }


def load_wisdom(path: Path | None = None, key: dict[str, Any] | None = None) -> dict[str, Any]:
    """The choices of the tuning file (``{shape key: {"path": …, "samples_per_s": …}}``).

    Missing file: ``{}``. Unreadable, malformed or foreign (key differs from
    :func:`machine_key`): ``{}`` and a ``UserWarning`` saying why; never trusted.
    """
    path = path or wisdom_path()
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError(f"not a {FORMAT} file")
        choices = data["choices"]
        if not isinstance(choices, dict) or not all(
            isinstance(v, dict) and isinstance(v.get("path"), str) for v in choices.values()
        ):
            raise ValueError("malformed 'choices'")
    except (OSError, ValueError, KeyError, TypeError) as err:
        warnings.warn(f"ignoring kernel tuning file {path}: {err}", UserWarning, stacklevel=2)
        return {}
    want = key if key is not None else machine_key()
    if data.get("key") != want:
        diff = sorted(k for k in want if (data.get("key") or {}).get(k) != want[k])
        warnings.warn(
            f"ignoring kernel tuning file {path}: made for another machine or software "
            f"({', '.join(diff) or 'key'} differ); run `mlpbench kernels tune` again",
            UserWarning,
            stacklevel=2,
        )
        return {}
    return choices


def save_wisdom(tuned: Iterable[Tuned], path: Path | None = None) -> Path:
    """Merge ``tuned`` into the tuning file (atomically); returns its path."""
    from bench.results import atomic_write_text

    path = path or wisdom_path()
    key = machine_key()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a foreign or corrupt file is replaced
        choices = dict(load_wisdom(path, key))
    for t in tuned:
        choices[t.shape.key()] = {"path": t.chosen, "samples_per_s": t.samples_per_s}
    doc = {"format": FORMAT, "key": key, "choices": choices}
    atomic_write_text(path, json.dumps(doc, indent=1, sort_keys=True) + "\n")
    return path


def choose_path(
    shape: Shape, requested: str = AUTO, wisdom: dict[str, Any] | None = None
) -> tuple[str, str]:
    """``(path, source)`` for ``shape``: ``forced``, ``tuned`` (tuning file) or ``default``.

    ``requested`` other than ``auto`` is checked and used as is. A tuned choice that cannot
    run the shape (stale file) falls back to the default.
    """
    if requested != AUTO:
        check_path(shape.backend, requested, shape.mini_batch, shape.threads)
        return requested, "forced"
    choices = load_wisdom() if wisdom is None else wisdom
    hit = choices.get(shape.key())
    if hit and hit["path"] in candidates(shape.backend, shape.mini_batch, shape.threads):
        return str(hit["path"]), "tuned"
    return default_path(shape.backend, shape.mini_batch, shape.threads), "default"


def time_call(
    backend: str, path: str, sizes: tuple[int, ...], dtype: str, threads: int, mb: int,
    samples: int,
) -> float:  # fmt: skip
    """Seconds of one ``train_steps`` call over ``samples`` synthetic rows on ``path``.

    A first call (compile, warm caches) is not timed. Threads: Numba's (numba-parallel)
    and BLAS's are both limited to ``threads`` (BLAS to one on the split paths:
    :func:`kernels.paths.blas_threads`).
    """
    from threadpoolctl import threadpool_limits

    from bench.train import timed_steps  # the one timed region (bench.train imports this module)
    from kernels import load_backend, open_session
    from kernels.layout import CROSS_ENTROPY, SIGMOID, init_params
    from kernels.paths import blas_threads

    load_backend(backend)  # imports it and its BLAS, so the limit below reaches it
    rng = np.random.default_rng(0)
    steps = max(1, samples // mb)
    n = steps * mb
    X = rng.random((n, sizes[0])).astype(dtype)
    y = rng.integers(0, sizes[-1], n).astype(np.int64)
    order = rng.permutation(n).astype(np.int64)
    session = open_session(
        backend, sizes=sizes, dtype=dtype, mini_batch=mb, threads=threads, hidden=SIGMOID,
        output=CROSS_ENTROPY, path=path,
    )  # fmt: skip
    params = init_params(list(sizes), "default", rng, dtype)
    session.load(params, np.zeros_like(params))
    session.upload(X, y, X[:0], y[:0])
    session.set_order(order)
    hyper = (0.5, 5.0 / 50_000, 0.0)
    with threadpool_limits(limits=blas_threads(path, threads), user_api="blas"):
        session.steps(0, 1, *hyper)
        session.synchronize()
        return timed_steps(session, session.info, 0, steps, mb, hyper)[1]


def tune_shape(
    shape: Shape, *, repeats: int = 3, samples: int = 4000, exclude: Sequence[str] = (),
    timer: Timer = time_call,
) -> Tuned:  # fmt: skip
    """Time every available candidate of ``shape`` (interleaved, best of ``repeats``).

    ``exclude`` makes paths unavailable (the candidate list without them must not be empty).
    """
    paths = [p for p in candidates(shape.backend, shape.mini_batch, shape.threads)
             if p not in exclude]  # fmt: skip
    if not paths:
        raise ValueError(f"no kernel path left for {shape.key()} after excluding {exclude}")
    n = max(samples, 2 * shape.mini_batch)
    best = {p: math.inf for p in paths}
    for _ in range(repeats):  # round-robin: a slow moment hurts every candidate alike
        for p in paths:
            sec = timer(shape.backend, p, shape.sizes, shape.dtype, shape.threads,
                        shape.mini_batch, n)  # fmt: skip
            best[p] = min(best[p], sec)
    rate = {p: (n // shape.mini_batch) * shape.mini_batch / s if s > 0 else math.inf
            for p, s in best.items()}  # fmt: skip
    return Tuned(shape=shape, samples_per_s=rate, chosen=max(rate, key=lambda p: rate[p]))


def tunable_backends() -> tuple[str, ...]:
    """The registered backends with more than one kernel path (the others have no choice)."""
    return tuple(b for b, paths in BACKEND_PATHS.items() if len(paths) > 1)


def shapes(
    backends: Sequence[str], sizes: tuple[int, ...], dtypes: Sequence[str],
    threads: Sequence[int], batches: Sequence[int],
) -> list[Shape]:  # fmt: skip
    """Every combination (an unthreaded backend only on one thread; a backend with a
    single kernel path, such as ``numpy``, is never tuned)."""
    from kernels import backend_info

    out: list[Shape] = []
    for b in backends:
        if b not in BACKEND_PATHS:
            raise ValueError(f"unknown backend {b!r}; choose one of {', '.join(BACKEND_PATHS)}")
        if b not in tunable_backends():
            continue
        for dt in dtypes:
            for t in sorted(set(threads) if backend_info(b).threaded else {1}):
                out.extend(Shape(b, sizes, dt, t, mb) for mb in batches)
    return out
