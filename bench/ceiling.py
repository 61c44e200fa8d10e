"""This machine's measured ceilings: compute (GFLOP/s per dtype and threads) and bandwidth.

The compute ceiling of ``dtype/threads`` is the higher of two measurements:

* **BLAS GEMM at its best core type**: an ``n``×``n`` numpy matmul (``2·n³`` FLOPs, best of
  ``repeats`` after a warm-up) in one child process per OpenBLAS core type the CPU can run
  (:func:`bench.blas_coretype.coretype_for`) plus the one OpenBLAS detects, since the core
  type is fixed when the library loads. A child whose library reports an architecture
  already measured stops at once (OpenBLAS falls back from a core type it cannot run).
* **FMA throughput**: :mod:`kernels.ceiling`'s register-resident loop of independent
  vector FMAs at the CPU's widest vector registers, whose assembly is checked (register
  name, FMA count, no memory operand) and recorded.

The memory ceiling is STREAM's triad (``a = b + s·c``, 24 bytes per float64 element) over
arrays four times the last-level cache. Every measurement pins itself to the first
``threads`` CPUs it may use. Thread counts: 1 and every CPU this process may use.

The result is cached (:func:`cache_path`) under a key of the CPU, the ISA features LLVM
sees, the numpy, BLAS, numba and llvmlite versions, the user's ``OPENBLAS_*`` settings
and the source of this module and :mod:`kernels.ceiling`: a cache made under another key is
measured again, never trusted. About 20 to 40 seconds on an idle 2-core machine.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import blas_coretype as bc
from bench.cpu_identity import cpu_model
from bench.file_lock import locked

FORMAT = "mlpbench-ceilings/1"
CACHE_ENV = "MLPBENCH_CEILINGS"
DTYPES = ("float64", "float32")
GEMM_N = 1536  # matrix size: >= 0.05 s a product at 150 GFLOP/s float64, still in the plateau
REPEATS = 3
CHILD_TIMEOUT_S = 180.0
# OpenBLAS's thread-count settings (its own and the ones it reads as fallbacks)
THREAD_COUNT_ENV = frozenset(
    {"OPENBLAS_NUM_THREADS", "OPENBLAS_DEFAULT_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS"}
)
FMA_SECONDS = 0.02  # one timed FMA call: short, so a busy machine preempts few of them
FMA_REPEATS = 10
LLC_FALLBACK = 32 * 2**20
SOURCES = (Path(__file__), Path(__file__).resolve().parent.parent / "kernels" / "ceiling.py")
_CPUS = sorted(os.sched_getaffinity(0))  # before any pinning of this process


def enabled() -> bool:
    """False when ``$MLPBENCH_CEILINGS`` is ``off``: runs then record no ceiling (and their
    peak column falls back to the numpy GEMM, labelled so)."""
    return os.environ.get(CACHE_ENV, "").lower() != "off"


def cache_path() -> Path:
    """The cache file: ``$MLPBENCH_CEILINGS``, else ``<user cache>/mlpbench/ceilings.json``."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("mlpbench")) / "ceilings.json"


def thread_counts() -> list[int]:
    """1 and the number of CPUs this process may run on."""
    return sorted({1, len(_CPUS)})


def pin(threads: int) -> None:
    """Pin this process to the first ``threads`` CPUs it may use."""
    os.sched_setaffinity(0, set(_CPUS[:threads]))


def cache_bytes(level: int) -> int | None:
    """Size in bytes of CPU 0's cache ``level`` (sysfs), or None where it is not known."""
    base = Path("/sys/devices/system/cpu/cpu0/cache")
    for index in sorted(base.glob("index*")):
        try:
            if int((index / "level").read_text()) != level:
                continue
            if (index / "type").read_text().strip() == "Instruction":
                continue
            text = (index / "size").read_text().strip().upper()
            scale = {"K": 2**10, "M": 2**20, "G": 2**30}.get(text[-1:], 1)
            return int(text.rstrip("KMG")) * scale
        except (OSError, ValueError):
            continue
    return None


@functools.cache
def cache_key() -> dict[str, Any]:
    """What a cached measurement must match to be used (machine, software, method)."""
    import llvmlite
    import llvmlite.binding as llvm
    import numba
    import numpy as np

    features = sorted(
        f[1:] for f in llvm.get_host_cpu_features().flatten().split(",") if f[:1] == "+"
    )
    source = hashlib.sha256(b"".join(p.read_bytes() for p in SOURCES)).hexdigest()[:16]
    return {
        "cpu": cpu_model(),
        "llvm_cpu": llvm.get_host_cpu_name(),
        "isa": hashlib.sha256(",".join(features).encode()).hexdigest()[:16],
        "cpus": os.cpu_count(),  # not the affinity: a pinned process reads the same entry
        "numpy": np.__version__,
        "blas": sorted(
            f"{b.get('internal_api')} {b.get('version')}"
            for b in bc.blas_info()
            if b.get("user_api") == "blas"
        ),
        "numba": numba.__version__,
        "llvmlite": llvmlite.__version__,
        "openblas_env": {
            k: v for k, v in sorted(measure_environment().items()) if k.startswith("OPENBLAS_")
        },
        "method": source,
    }


def measure_environment() -> dict[str, str]:
    """The environment the BLAS measurements run in: the user's
    (:func:`bench.blas_coretype.user_environment`) without the thread-count settings of
    :data:`THREAD_COUNT_ENV`. Each measurement sets its own thread count (pinned CPUs and
    ``threadpool_limits``), so they change no ceiling; they do not key the cache either, so
    a process that sets them (the peers table's children) finds the ceilings measured
    without them."""
    return {k: v for k, v in bc.user_environment().items() if k not in THREAD_COUNT_ENV}


def _key_id(key: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(key, sort_keys=True, allow_nan=False).encode()).hexdigest()[
        :16
    ]


def load_cached(path: Path | None = None) -> dict[str, Any] | None:
    """The cached record for this machine and software, or None (missing, foreign, corrupt)."""
    path = path or cache_path()
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        entry = doc["entries"][_key_id(cache_key())]
        if doc.get("format") != FORMAT or entry["key"] != cache_key():
            return None
        return dict(entry["record"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _save(record: dict[str, Any], path: Path) -> None:
    from bench.results import atomic_write_text

    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        entries = dict(doc["entries"]) if doc.get("format") == FORMAT else {}
    except (OSError, ValueError, KeyError, TypeError):
        entries = {}  # a missing or damaged cache is rebuilt
    entries[_key_id(cache_key())] = {"key": cache_key(), "record": record}
    text = json.dumps({"format": FORMAT, "entries": entries}, indent=1, allow_nan=False)
    atomic_write_text(path, text + "\n")


def ceilings(
    *, refresh: bool = False, path: Path | None = None, measure_missing: bool = True
) -> dict[str, Any] | None:
    """This machine's ceilings (:func:`measure`), from the cache when it holds them; None
    when switched off (:func:`enabled`).

    ``measure_missing=False`` (a sweep's first run must stay quick): an empty cache gives
    None and one line on stderr naming ``mlpbench machine``, which measures them once.
    ``refresh`` measures again. The record gets ``"cached": True`` when it came from the
    cache. Concurrent callers wait for one measurement (a file lock) instead of each
    measuring on a machine the others are loading. A measurement says so on stderr first.
    """
    if path is None and not enabled():
        return None
    path = path or cache_path()
    if not refresh and (hit := load_cached(path)) is not None:
        return hit | {"cached": True}
    if not measure_missing:
        print("mlpbench: peak is a share of the BLAS GEMM: `mlpbench machine` measures this "
              "machine's ceilings once (about 30 s) and later runs use them",
              file=sys.stderr, flush=True)  # fmt: skip
        return None
    with locked(path):
        if not refresh and (hit := load_cached(path)) is not None:
            return hit | {"cached": True}
        print(f"mlpbench: measuring this machine's ceilings once (about 30 s; cached in {path})",
              file=sys.stderr, flush=True)  # fmt: skip
        record = measure()
        _save(record, path)
    return record | {"cached": False}


def measure(threads: Sequence[int] | None = None) -> dict[str, Any]:
    """Measure the BLAS per core type, the FMA kernel and the triad; combine them."""
    from bench.roofline import combine

    start = time.perf_counter()
    counts = list(threads or thread_counts())
    blas = _measure_blas(counts)
    fma = _child({"what": "fma", "threads": counts}, env=None)
    triad = _child({"what": "triad", "threads": counts}, env=None)
    return combine(
        blas=blas, fma=fma, triad=triad, threads=counts,
        measured_at=datetime.now(UTC).isoformat(timespec="seconds"),
        seconds=time.perf_counter() - start, l2_bytes=cache_bytes(2),
    )  # fmt: skip


def _measure_blas(threads: list[int]) -> dict[str, Any]:
    """GEMM GFLOP/s per core type (``"detected"``: as installed), one child each."""
    user = measure_environment()
    out: dict[str, Any] = {}
    seen: list[str] = []
    names = [None, *bc.coretype_for(bc.cpu_flags())]
    if user.get(bc.CORETYPE_ENV):  # the user's core type is what "as installed" means here
        names = [None, *(n for n in names[1:] if n != user[bc.CORETYPE_ENV])]
    for name in names:
        env = user if name is None else dict(user, **{bc.CORETYPE_ENV: name})
        job = {"what": "gemm", "threads": threads, "skip": seen, "n": GEMM_N}
        result = _child(job, env=env)
        out["detected" if name is None else name] = result
        if result.get("architecture"):
            seen.append(str(result["architecture"]))
    return out


def _child(job: dict[str, Any], env: dict[str, str] | None) -> dict[str, Any]:
    """Run ``job`` in ``python -m bench.ceiling`` and return its JSON answer; a crash (an
    OpenBLAS core type the CPU cannot run dies on an illegal instruction) or a timeout is
    returned as ``{"error": …}``."""
    cmd = [sys.executable, "-m", "bench.ceiling", json.dumps(job, allow_nan=False)]
    try:
        done = subprocess.run(cmd, env=env, capture_output=True, text=True,
                              timeout=CHILD_TIMEOUT_S)  # fmt: skip
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {CHILD_TIMEOUT_S:.0f} s"}
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or [""])[-1][:200]
        return {"error": f"exit status {done.returncode}: {tail}".rstrip(": ")}
    try:
        return dict(json.loads(done.stdout.strip().splitlines()[-1]))
    except (ValueError, IndexError):
        return {"error": "no answer"}


def _gemm_child(job: dict[str, Any]) -> dict[str, Any]:
    import numpy as np
    from threadpoolctl import threadpool_info, threadpool_limits

    libs = [b for b in threadpool_info() if b.get("user_api") == "blas"]
    arch = next((str(b.get("architecture")) for b in libs if "numpy" in str(b.get("filepath"))),
                str(libs[0].get("architecture")) if libs else None)  # fmt: skip
    if arch in job["skip"]:
        return {"architecture": arch, "same_as_measured": True}
    n, gflops = int(job["n"]), {}
    rng = np.random.default_rng(0)
    for t in job["threads"]:
        pin(t)
        with threadpool_limits(limits=t, user_api="blas"):
            for dtype in DTYPES:
                a, b = rng.random((n, n)).astype(dtype), rng.random((n, n)).astype(dtype)
                gflops[f"{dtype}/{t}"] = 2 * n**3 / _best(np.matmul, (a, b)) / 1e9
    return {"architecture": arch, "gflops": gflops, "n": n, "repeats": REPEATS}


def _seconds(call: Any, args: tuple[Any, ...]) -> float:
    t = time.perf_counter()
    call(*args)
    return time.perf_counter() - t


def _best(call: Any, args: tuple[Any, ...], repeats: int = REPEATS) -> float:
    """Best seconds of ``repeats`` calls ``call(*args)`` after one untimed call."""
    call(*args)
    return min(_seconds(call, args) for _ in range(repeats))


def _fma_child(job: dict[str, Any]) -> dict[str, Any]:
    import numba
    import numpy as np

    from bench.roofline import inspect_fma_asm
    from kernels.ceiling import fma_kernel, fma_lanes

    flags = _flags()
    vbytes = 64 if {"avx512f"} <= flags else 32 if {"avx2", "fma"} <= flags else 16
    accumulators = 16 if vbytes == 64 else 12
    gflops: dict[str, float] = {}
    asm: dict[str, Any] = {}
    compile_s: dict[str, float] = {}
    for dtype in DTYPES:
        lanes = fma_lanes(dtype, vbytes, accumulators)
        run, one_copy = fma_kernel(lanes)
        seed = np.random.default_rng(0).random(lanes).astype(dtype)
        x, y = np.dtype(dtype).type(0.9999), np.dtype(dtype).type(1e-4)
        compile_s[dtype] = _seconds(run, (1, 1, seed, x, y))
        asm[dtype] = inspect_fma_asm(next(iter(one_copy.inspect_asm().values())))
        pin(1)
        numba.set_num_threads(1)
        iters = 1000  # calibrated on one thread: each thread then does the same work
        while (sec := _seconds(run, (iters, 1, seed, x, y))) < FMA_SECONDS / 4:
            iters *= 4
        iters = max(1, int(iters * FMA_SECONDS / sec))
        for t in job["threads"]:
            numba.set_num_threads(t)
            best = math.inf
            for first in range(len(_CPUS) if t == 1 else 1):  # one thread: on each core
                os.sched_setaffinity(0, set(_CPUS[first : first + t]))
                best = min(best, _best(run, (iters, t, seed, x, y), FMA_REPEATS))
            gflops[f"{dtype}/{t}"] = 2 * lanes * iters * t / best / 1e9
    return {"gflops": gflops, "vector_bytes": vbytes, "accumulators": accumulators,
            "asm": asm, "compile_seconds": compile_s, "repeats": FMA_REPEATS}  # fmt: skip


def _triad_child(job: dict[str, Any]) -> dict[str, Any]:
    import numba
    import numpy as np

    from kernels.ceiling import triad

    llc = cache_bytes(3) or cache_bytes(2) or LLC_FALLBACK
    n = 4 * llc // 8  # each float64 array four times the last-level cache
    a, b, c = np.zeros(n), np.ones(n), np.full(n, 2.0)
    triad(a, b, c, 3.0, 1)  # compile and touch every page
    gbs: dict[str, float] = {}
    for t in job["threads"]:
        pin(t)
        numba.set_num_threads(t)
        gbs[str(t)] = 3 * 8 * n / _best(triad, (a, b, c, 3.0, t)) / 1e9
    return {"gb_per_s": gbs, "array_bytes": 8 * n, "llc_bytes": llc, "repeats": REPEATS}


def _flags() -> set[str]:
    flags = bc.cpu_flags()
    if not flags:  # not Linux: LLVM's view of the host
        import llvmlite.binding as llvm

        feats = llvm.get_host_cpu_features().flatten().split(",")
        flags = {f[1:].replace("-", "_") for f in feats if f[:1] == "+"}
        flags |= {"fma"} if "fma" in flags else set()
    return flags


def child_main(argv: list[str]) -> int:
    """``python -m bench.ceiling JOB``: run one measurement job, print its JSON answer."""
    job = json.loads(argv[0])
    run = {"gemm": _gemm_child, "fma": _fma_child, "triad": _triad_child}[job["what"]]
    print(json.dumps(run(job), allow_nan=False))
    return 0


if __name__ == "__main__":
    sys.exit(child_main(sys.argv[1:]))
