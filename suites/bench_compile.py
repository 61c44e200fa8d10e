"""Numba compile time from a cold cache, apart from run time, in a fresh interpreter.

Each round starts ``python`` in a subprocess with ``NUMBA_CACHE_DIR`` pointing at a new
temporary folder (cold) or at one filled by an untimed earlier process (warm: the cost of
loading cached machine code). The child times its first ``train_steps`` + ``evaluate``
call (compile or cache load, plus one run) and a second identical call (run only) and
prints them as JSON. The benchmark's own time is the whole child process; ``extra_info``
holds ``compile_seconds`` (first call minus second) and ``run_seconds``.

``test_compile_default_sweep`` compiles, in one cold process, what the default
``mlpbench sweep`` runs (backend ``numba``, float64, [784, 30, 10], sigmoid +
cross-entropy, mini-batch 1, 10 and 100 on their documented default paths, each followed
by an evaluation), and reports the compile seconds of each shape and, from
:func:`kernels.numba.specialise.compile_seconds`, of each compiled kernel. With
``MLPBENCH_COMPILE_BEFORE=<another checkout>`` the same child also runs on that tree's
``kernels/`` (before/after in one run, the two interleaved); its figures go to
``extra_info["before"]``. On a shared machine every figure is noisy: compare only the
pairs of one run.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kernels.paths import default_path
from suites.harness import NIELSEN
from suites.params import backend_marks

CHILD = """
import json, sys, time
import numpy as np
t0 = time.perf_counter()
from kernels import load_backend
from kernels.call import Codes, Data, Net, Rule, Steps
from kernels.layout import init_params, sizes_array
backend, dtype, mb = sys.argv[1], sys.argv[2], int(sys.argv[3])
k = load_backend(backend)
t_import = time.perf_counter() - t0
rng = np.random.default_rng(0)
sizes = (784, 30, 10)
sz = sizes_array(sizes)
X = rng.random((2 * mb, 784)).astype(dtype)
y = rng.integers(0, 10, 2 * mb).astype(np.int64)
order = np.arange(2 * mb, dtype=np.int64)
p = init_params(sizes, "default", rng, dtype)
v = np.zeros_like(p)
w = np.empty(k.workspace_size(sz, max(mb, 256)), dtype=dtype)
def once():
    t = time.perf_counter()
    k.train_steps(Net(p, v, w), sz, Data(X, y, order), Steps(0, 2, mb), Rule(0.5, 1e-4, 0.0),
                  Codes(0, 0))
    k.evaluate(p, w, sz, X, y, 256, 0, 0)
    return time.perf_counter() - t
first = once()
second = once()
print(json.dumps({"import_seconds": t_import, "first_seconds": first, "run_seconds": second}))
"""


def run_child(
    backend: str, dtype: str, cache_dir: Path, *, jit: bool = True, mini_batch: int = 10
) -> dict[str, Any]:
    """Run the timing child with ``NUMBA_CACHE_DIR=cache_dir``; its JSON result, in seconds.

    ``jit=False`` runs it with ``NUMBA_DISABLE_JIT=1`` (timing disabled: exercise, cheaply).
    """
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache_dir))
    env.pop("NUMBA_DISABLE_JIT", None)
    if not jit:
        env["NUMBA_DISABLE_JIT"] = "1"
    root = Path(__file__).resolve().parent.parent
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH")]))
    out = subprocess.run(
        [sys.executable, "-c", CHILD, backend, dtype, str(mini_batch)],
        capture_output=True, text=True, env=env, check=True, timeout=600,
    )  # fmt: skip
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


SWEEP_CHILD = """
import json, sys, time
import numpy as np
from kernels import load_backend
from kernels.call import Codes, Data, Net, Rule, Steps
from kernels.layout import init_params, sizes_array
from kernels.paths import default_path
k = load_backend("numba")
sizes = (int(sys.argv[1]), 30, 10)
sz = sizes_array(sizes)
rng = np.random.default_rng(0)
X = rng.random((200, sizes[0]))
y = rng.integers(0, 10, 200).astype(np.int64)
order = np.arange(200, dtype=np.int64)
p = init_params(sizes, "default", rng, np.float64)
v = np.zeros_like(p)
out = {}
for mb in (1, 10, 100):
    w = np.empty(k.workspace_size(sz, mb))
    def once():
        t = time.perf_counter()
        k.train_steps(Net(p, v, w), sz, Data(X, y, order), Steps(0, 2, mb),
                      Rule(0.5, 1e-4, 0.0), Codes(0, 0))
        k.evaluate(p, w, sz, X, y, mb, 0, 0)
        return time.perf_counter() - t
    first = once()
    out[f"mb{mb} {default_path('numba', mb)}"] = first - once()
try:
    from kernels.numba.specialise import compile_seconds
    kernels = compile_seconds()
except ImportError:  # a tree from before the specialised kernels
    kernels = {}
print(json.dumps({"shapes": out, "kernels": kernels}))
"""


def run_sweep_child(cache_dir: Path, root: Path, *, jit: bool = True) -> dict[str, Any]:
    """Compile seconds of the default sweep's shapes in a fresh process on ``root``'s
    ``kernels/`` with the cache ``cache_dir`` (``{"shapes": …, "kernels": …}``); with
    ``jit`` off, the same calls as plain Python on 16 inputs (a check of the child)."""
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache_dir), PYTHONPATH=str(root))
    env.pop("NUMBA_DISABLE_JIT", None)
    if not jit:
        env["NUMBA_DISABLE_JIT"] = "1"
    out = subprocess.run(
        [sys.executable, "-c", SWEEP_CHILD, "784" if jit else "16"], capture_output=True,
        text=True, env=env,
        check=True, timeout=1200, cwd=str(root),
    )  # fmt: skip
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.slow
def test_compile_default_sweep(benchmark: Any, tmp_path_factory: Any) -> None:
    """Cold-cache compile seconds of the default sweep, per shape and per kernel (one round;
    with ``MLPBENCH_COMPILE_BEFORE``, the other tree first, then this one)."""
    benchmark.group = "compile default sweep"
    root = Path(__file__).resolve().parent.parent
    if benchmark.disabled:  # --benchmark-disable: check the child runs, as plain Python
        shapes = run_sweep_child(tmp_path_factory.mktemp("nojit"), root, jit=False)["shapes"]
        want = sorted(f"mb{mb} {default_path('numba', mb)}" for mb in (1, 10, 100))
        assert sorted(shapes) == want
        return
    before_tree = os.environ.get("MLPBENCH_COMPILE_BEFORE")
    results: dict[str, Any] = {}

    def target() -> None:
        if before_tree:
            folder = tmp_path_factory.mktemp("numba-cache-before")
            results["before"] = run_sweep_child(folder, Path(before_tree))
        results["after"] = run_sweep_child(tmp_path_factory.mktemp("numba-cache"), root)

    benchmark.pedantic(target, rounds=1, iterations=1)
    after = results["after"]
    benchmark.extra_info.update(
        {
            "backend": "numba",
            "cache": "cold",
            "dtype": "float64",
            "threads": 1,
            "sizes": list(NIELSEN),
            "compile_seconds": sum(after["shapes"].values()),
            "shapes": after["shapes"],
            "kernels": after["kernels"],
            "before": results.get("before"),
            "samples_per_s": None,
            "gflops": None,
            "fraction_of_peak": None,
        }
    )


_warm_caches: dict[str, Path] = {}  # backend -> a cache folder filled by the cold benchmark


def _grid() -> list[Any]:
    grid = []
    for backend in ("numba", "numba-parallel"):
        for cache in ("cold", "warm"):
            marks = [*backend_marks(backend), pytest.mark.slow]
            grid.append(pytest.param(backend, cache, marks=marks, id=f"{backend}-{cache}"))
    return grid


@pytest.mark.parametrize(("backend", "cache"), _grid())
def test_compile(benchmark: Any, tmp_path_factory: Any, backend: str, cache: str) -> None:
    """Seconds of a fresh process that compiles (cold) or loads (warm) the kernels.

    Cold runs one round (a compile costs tens of seconds on 2 cores); warm runs three,
    reusing the cold round's cache folder.
    """
    benchmark.group = "compile float64"
    dtype = "float64"
    jit = not benchmark.disabled
    children: list[dict[str, Any]] = []
    if cache == "cold":
        folder = tmp_path_factory.mktemp(f"numba-cache-{backend}")
        _warm_caches[backend] = folder
        rounds = 1
    else:
        folder = _warm_caches.get(backend) or tmp_path_factory.mktemp(f"numba-cache-{backend}")
        if backend not in _warm_caches:
            run_child(backend, dtype, folder, jit=jit)  # fill the cache, untimed
        rounds = 3

    def target() -> None:
        children.append(run_child(backend, dtype, folder, jit=jit))

    benchmark.pedantic(target, rounds=rounds, iterations=1)
    first = statistics.median(c["first_seconds"] for c in children)
    run = statistics.median(c["run_seconds"] for c in children)
    benchmark.extra_info.update(
        {
            "backend": backend,
            "cache": cache,
            "dtype": dtype,
            "threads": 1,
            "sizes": list(NIELSEN),
            "compile_seconds": first - run,
            "run_seconds": run,
            "import_seconds": statistics.median(c["import_seconds"] for c in children),
            "samples_per_s": None,
            "gflops": None,
            "fraction_of_peak": None,
        }
    )
