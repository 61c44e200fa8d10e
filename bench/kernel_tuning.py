"""Per-machine choice of the kernel paths, kept as "wisdom" in the user cache.

Like FFTW's wisdom or cuDNN's benchmark mode: for each shape — (backend, layer sizes,
dtype, threads, mini-batch) — candidate paths of :mod:`kernels.paths` are timed on this
machine and the fastest is remembered in a JSON *tuning file*
(``<user cache>/mlpbench/kernel-wisdom.json``; the cache is platformdirs' user cache dir,
which honours ``$XDG_CACHE_HOME``; ``$MLPBENCH_KERNEL_WISDOM`` names another file).

A trial's path (:func:`resolve_path`): ``--kernel-path`` when forced; else the tuning
file's choice (``tuned`` by ``mlpbench kernels tune``, which times every candidate, or
``brief-tune``); else the documented default of this machine's ISA class
(:data:`kernels.paths.ISA_DEFAULTS`). Where that table lists close runners-up for the shape,
the default and those runners-up are first timed briefly (:func:`brief_tune`: at most
:data:`BRIEF_REPEATS` interleaved rounds, no round started past :data:`BRIEF_SECONDS`),
before the trial and outside all its timings; the winner is saved as ``brief-tune`` and
one line says so. ``$MLPBENCH_KERNEL_TUNE=off`` (or ``--no-kernel-tune``) never times:
the default is used as is.

The file is keyed by this machine and software: CPU model, the CPU and ISA features Numba
compiles for, the numba, llvmlite, numpy and BLAS versions and the kernels' source key
(:func:`kernels.source_hash.kernel_source_hash`). A file whose key differs (another machine,
upgraded libraries, edited kernels), or that cannot be read, is ignored with a warning and
never trusted. Writers merge into it under a file lock, atomically.
"""

from __future__ import annotations

import functools
import json
import logging
import math
import os
import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bench import strict_json
from bench.blas_coretype import blas_info, cpu_flags, narrow_blas
from bench.file_lock import locked
from bench.timing import timed_steps
from kernels.paths import (
    AUTO,
    BACKEND_PATHS,
    blas_free_rival,
    candidates,
    check_path,
    isa_class,
    isa_default,
    target_cpu,
)
from kernels.source_hash import kernel_source_hash  # the one hash of the kernel sources

FORMAT = "mlpbench-kernel-wisdom/1"
WISDOM_ENV = "MLPBENCH_KERNEL_WISDOM"
TUNE_ENV = "MLPBENCH_KERNEL_TUNE"  # "off": never time paths before a trial
# Why a trial runs its path (TrialSummary.kernel_path_source); DEFAULT gets ":<ISA class>".
FORCED, TUNED, BRIEF, DEFAULT = "forced", "tuned", "brief-tune", "default"
# The brief tune's bounds: calls of BRIEF_SAMPLES samples (at least 2 mini-batches), at most
# BRIEF_REPEATS interleaved rounds, and no round started once the rounds so far add up to
# BRIEF_SECONDS of timed calls. Why these: docs/autotune.md.
BRIEF_SAMPLES = 2000
BRIEF_REPEATS = 3
BRIEF_SECONDS = 1.0
log = logging.getLogger("mlpbench.kernels")

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
    import hashlib

    import llvmlite
    import numba
    import scipy.linalg.cython_blas  # noqa: F401  (the BLAS Numba's np.dot calls: in the key)

    from bench.blas_coretype import blas_info
    from bench.cpu_identity import cpu_model

    name, features = target_cpu()
    blas = sorted(f"{b.get('internal_api')} {b.get('version')} {b.get('architecture')}"
                  for b in blas_info() if b.get("user_api") == "blas")  # fmt: skip
    return {
        "cpu": cpu_model(),
        "llvm_cpu": name,
        "isa": hashlib.sha256(",".join(features).encode()).hexdigest()[:16],
        "avx512f": "avx512f" in features,
        "numba": numba.__version__,
        "llvmlite": llvmlite.__version__,
        "numpy": np.__version__,
        "blas": blas,
        "kernels": kernel_source_hash(),
    }


def load_wisdom(path: Path | None = None, key: dict[str, Any] | None = None) -> dict[str, Any]:
    """The choices of the tuning file (``{shape key: {"path": …, "samples_per_s": …,
    "how": "tune" | "brief"}}``; ``how`` is absent in files written before brief tunes).

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


def save_wisdom(tuned: Iterable[Tuned], path: Path | None = None, how: str = "tune") -> Path:
    """Merge ``tuned`` into the tuning file (under its lock, atomically); returns its path.

    ``how``: ``"tune"`` (every candidate timed) or ``"brief"`` (:func:`brief_tune`).
    """
    from bench.results import atomic_write_text

    path = path or wisdom_path()
    key = machine_key()
    with locked(path):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a foreign or corrupt file is replaced
            choices = dict(load_wisdom(path, key))
        for t in tuned:
            entry = {"path": t.chosen, "samples_per_s": t.samples_per_s, "how": how}
            choices[t.shape.key()] = entry
        doc = {"format": FORMAT, "key": key, "choices": choices}
        atomic_write_text(path, strict_json.dumps(doc, indent=1, sort_keys=True) + "\n")
    return path


def choose_path(
    shape: Shape, requested: str = AUTO, wisdom: dict[str, Any] | None = None
) -> tuple[str, str]:
    """``(path, source)`` for ``shape`` without timing anything.

    ``requested`` other than ``auto`` is checked and used as is (``forced``). Else the
    tuning file's choice (``tuned``, or ``brief-tune`` when a brief tune made it); else the
    ISA class's default (``default:<class>``, e.g. ``default:avx512``). A tuned choice that
    cannot run the shape (stale file) falls back to the default.
    """
    if requested != AUTO:
        check_path(shape.backend, requested, shape.mini_batch, shape.threads)
        return requested, FORCED
    choices = load_wisdom() if wisdom is None else wisdom
    hit = choices.get(shape.key())
    if hit and hit["path"] in candidates(shape.backend, shape.mini_batch, shape.threads):
        return str(hit["path"]), BRIEF if hit.get("how") == "brief" else TUNED
    return isa_default(shape.backend, shape.mini_batch, shape.threads)[0], default_source()


def default_source() -> str:
    """The ``kernel_path_source`` of a default: ``default:<ISA class>``."""
    return f"{DEFAULT}:{isa_class()}"


def tuning_enabled() -> bool:
    """Whether a trial may time paths first (``$MLPBENCH_KERNEL_TUNE`` is not ``off``)."""
    return os.environ.get(TUNE_ENV, "brief").strip().lower() != "off"


def resolve_path(
    shape: Shape, requested: str = AUTO, *, timer: Timer | None = None
) -> tuple[str, str]:
    """``(path, source)`` for a trial of ``shape``: :func:`choose_path`, and where that
    falls back to a default the ISA table is unsure of (close runners-up listed for the
    shape) and tuning is enabled, a :func:`brief_tune` of the default and those runners-up,
    saved to the tuning file (source ``brief-tune``) and reported in one log line.
    """
    path, source = choose_path(shape, requested)
    unsure, why = _brief_tune_due(shape, source)
    if not unsure:
        return path, source
    t0 = time.perf_counter()
    tuned, timed = brief_tune(shape, unsure, timer=timer or time_call)
    where = _save_brief(tuned)
    rates = ", ".join(f"{p} {r / 1e3:,.0f} k" for p, r in tuned.samples_per_s.items())
    log.warning(
        "mlpbench: kernel path for %s not tuned (%s): timed %s samples/s in %.1f s (%.2f s "
        "of timed calls): %s, %s (`mlpbench kernels tune` times every path; "
        "--no-kernel-tune never times)", shape.key(), why, rates, time.perf_counter() - t0,
        timed, tuned.chosen, where,
    )  # fmt: skip
    return tuned.chosen, BRIEF


def paths_to_compile(shape: Shape, requested: str = AUTO) -> tuple[str, ...]:
    """The paths a trial of ``shape`` may run, before any timing: the one
    :func:`choose_path` gives, or, where :func:`resolve_path` would tune briefly, every
    path that tune times (so they can be compiled ahead, in parallel:
    :mod:`bench.prewarm`)."""
    path, source = choose_path(shape, requested)
    return _brief_tune_due(shape, source)[0] or (path,)


def _brief_tune_due(shape: Shape, source: str) -> tuple[tuple[str, ...], str]:
    """The paths a brief tune of ``shape`` times (the default first) and why, or
    ``((), "")`` when none is due: the path was forced or tuned (``source``), tuning is
    off, or the ISA table is sure of its default."""
    if not source.startswith(DEFAULT) or not tuning_enabled():
        return (), ""
    unsure, why = unsure_paths(shape)
    return (unsure, why) if len(unsure) > 1 else ((), "")


def unsure_paths(shape: Shape) -> tuple[tuple[str, ...], str]:
    """The ISA default of ``shape`` and the paths a brief tune must time against it, and
    why: its close runners-up in the ISA table, and, where the default calls a BLAS that
    runs narrower kernels than the CPU (:func:`bench.blas_coretype.narrow_blas`: Haswell
    kernels on an AVX-512 CPU, when ``OPENBLAS_CORETYPE`` says so), the register-tiled
    path: the table was measured with the BLAS at the CPU's width. On a Zen 5 under
    ``OPENBLAS_CORETYPE=Haswell`` the default ``gemm`` at mini-batch 10 ran 199 k
    samples/s in float64 against ``regtile``'s 380 k (279 k / 509 k in float32)."""
    backend, mb, threads = shape.backend, shape.mini_batch, shape.threads
    default, close = isa_default(backend, mb, threads)
    reasons = ["runners-up close to the default on this ISA"] if close else []
    rival = blas_free_rival(backend, mb, threads, default)
    arch = narrow_blas(blas_info(), cpu_flags()) if rival and rival not in close else None
    if rival and arch:
        close = (*close, rival)
        reasons.append(f"the BLAS runs {arch} kernels, narrower than the CPU")
    return (default, *close), "; ".join(reasons)


def _save_brief(tuned: Tuned) -> str:
    """Save a brief tune's choice; the words for the log line (where, or why not)."""
    try:
        return f"saved in {save_wisdom([tuned], how='brief')}"
    except OSError as err:
        return f"not saved ({err.strerror or err}: set ${WISDOM_ENV} to a writable file)"


def brief_tune(shape: Shape, paths: Sequence[str], *, timer: Timer) -> tuple[Tuned, float]:
    """Time ``paths`` for ``shape`` in interleaved rounds (best of at most
    :data:`BRIEF_REPEATS`, no round started once the timed calls reach
    :data:`BRIEF_SECONDS`); ``(the tuned shape, seconds of timed calls)``.

    Each call runs ``BRIEF_SAMPLES`` samples (at least two mini-batches); the timer's
    untimed first call per path compiles or loads it (not counted in the seconds).
    """
    n = max(BRIEF_SAMPLES, 2 * shape.mini_batch)
    best = {p: math.inf for p in paths}
    spent, rounds = 0.0, 0
    # a round is started only if, at the mean pace so far, it ends within the budget
    while rounds < BRIEF_REPEATS and (
        rounds == 0 or spent * (rounds + 1) / rounds <= BRIEF_SECONDS
    ):
        for p in paths:
            sec = timer(shape.backend, p, shape.sizes, shape.dtype, shape.threads,
                        shape.mini_batch, n)  # fmt: skip
            best[p] = min(best[p], sec)
            spent += sec
        rounds += 1
    return _tuned(shape, best, n), spent


def _tuned(shape: Shape, best: dict[str, float], n: int) -> Tuned:
    """The :class:`Tuned` of the best seconds per path for calls of ``n`` samples."""
    done = (n // shape.mini_batch) * shape.mini_batch
    rate = {p: done / s if s > 0 else math.inf for p, s in best.items()}
    return Tuned(shape=shape, samples_per_s=rate, chosen=max(rate, key=lambda p: rate[p]))


@functools.lru_cache(maxsize=2)
def _synthetic(sizes: tuple[int, ...], dtype: str, n: int) -> tuple[Any, Any, Any]:
    """``(X, y, order)``: ``n`` random rows for timing (cached: the rounds reuse them)."""
    rng = np.random.default_rng(0)
    X = rng.random((n, sizes[0])).astype(dtype)
    y = rng.integers(0, sizes[-1], n).astype(np.int64)
    return X, y, rng.permutation(n).astype(np.int64)


def time_call(
    backend: str, path: str, sizes: tuple[int, ...], dtype: str, threads: int, mb: int,
    samples: int,
) -> float:  # fmt: skip
    """Seconds of one ``train_steps`` call over ``samples`` synthetic rows on ``path``.

    A first call (compile or cache load, warm caches) is not timed. Threads: Numba's
    (numba-parallel) and BLAS's are both limited to ``threads`` (BLAS to one on the split
    paths: :func:`kernels.paths.blas_threads`).
    """
    from threadpoolctl import threadpool_limits

    from kernels import load_backend, open_session
    from kernels.layout import CROSS_ENTROPY, SIGMOID, init_params
    from kernels.paths import blas_threads

    load_backend(backend)  # imports it and its BLAS, so the limit below reaches it
    steps = max(1, samples // mb)
    X, y, order = _synthetic(tuple(sizes), dtype, steps * mb)
    session = open_session(
        backend, sizes=sizes, dtype=dtype, mini_batch=mb, threads=threads, hidden=SIGMOID,
        output=CROSS_ENTROPY, path=path,
    )  # fmt: skip
    params = init_params(list(sizes), "default", np.random.default_rng(0), dtype)
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
    return _tuned(shape, best, n)


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
