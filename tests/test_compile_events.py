"""No compilation, and no load from the kernel cache, ever happens inside a timed call.

Each case trains one real trial in a fresh process (:mod:`tests.compile_probe`), forced onto
one kernel path, with a training set that leaves a ragged last mini-batch, and records
Numba's events (:mod:`numba.core.event`). ``numba:compile`` fires only when a dispatcher
really compiles; a load from the on-disk cache fires no such event, but every entry into a
dispatcher's ``compile`` (compile or load) takes Numba's compiler lock, which fires
``numba:compiler_lock``. Listening to both makes the test mean the same whether this
machine's kernel cache is cold or warm: the warm-up must resolve every kernel the trial
will call, and nothing may be resolved after it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROBE = Path(__file__).resolve().parent / "compile_probe.py"

# (backend, path, dtype, mini-batch, training images, threads): every path of every host
# backend, each with a ragged last mini-batch where the path allows one (fused-mb1 runs
# mini-batch 1 only); regtile and gemm-blocked at 300 with 100 left over, whose ragged
# batch (≤ GEMM_BLOCK) runs another trainer than the full ones.
CASES = [
    ("numpy", "numpy", "float64", 10, 105, 1),
    ("numba", "fused-mb1", "float64", 1, 120, 1),
    ("numba", "loops", "float32", 10, 105, 1),
    ("numba", "blas", "float64", 10, 105, 1),
    ("numba", "regtile", "float64", 300, 700, 1),
    ("numba", "gemm", "float32", 10, 105, 1),
    ("numba", "gemm-blocked", "float64", 300, 700, 1),
    ("numba-parallel", "gemm-blocked", "float32", 300, 700, 2),
    ("numba-parallel", "split-loops", "float64", 40, 87, 2),
    ("numba-parallel", "split-blas", "float32", 40, 87, 2),
    ("numba-parallel", "split-regtile", "float64", 40, 87, 2),
    ("cuda", "tiled", "float32", 300, 700, 1),
]


def _cuda_problem() -> str | None:
    """Why the cuda case cannot run here (no numba-cuda, no device), or None."""
    from kernels import backend_problem

    try:
        return backend_problem("cuda")
    except ImportError as err:
        return f"numba-cuda is not installed ({err})"


def _probe(case: tuple[str, str, str, int, int, int]) -> dict[str, Any]:
    env = dict(os.environ, NUMBA_NUM_THREADS="2", PYTHONPATH=str(ROOT))
    env.pop("NUMBA_DISABLE_JIT", None)  # this test is about compiled code
    out = subprocess.run(
        [sys.executable, str(PROBE), *map(str, case)], env=env, cwd=ROOT, capture_output=True,
        text=True, timeout=600,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-3000:]
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


@pytest.fixture(scope="module")
def probes(request: pytest.FixtureRequest) -> Iterator[dict[Any, Future[dict[str, Any]]]]:
    """Every selected case's probe, started at once two at a time (each is a fresh process
    that mostly loads kernels: two keep two cores busy)."""
    selected = [
        item.callspec.params["case"]
        for item in request.session.items
        if getattr(item, "callspec", None) and item.module is request.module
    ]
    with ThreadPoolExecutor(max_workers=2) as pool:
        yield {c: pool.submit(_probe, c) for c in selected if c[0] != "cuda" or not _cuda_problem()}


@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}-{c[1]}-{c[2]}-mb{c[3]}" for c in CASES])
def test_no_kernel_is_compiled_or_loaded_inside_the_timed_calls(
    case: tuple[str, str, str, int, int, int], probes: dict[Any, Future[dict[str, Any]]]
) -> None:
    backend, path, _, mb, n_train, _ = case
    if backend == "cuda" and (why := _cuda_problem()):
        pytest.skip(f"cuda backend cannot run here: {why}")  # no GPU in CI: nothing to check
    got = probes[case].result()
    assert got["path"] == [path, "forced"]
    ragged = n_train % mb
    assert got["batches"] == sorted({mb, ragged} - {0}), "the ragged mini-batch did not run"
    assert got["timed"] == {}, f"compiled or loaded inside the timed calls: {got['timed']}"
    assert got["after_warm_up"] == {}, f"compiled or loaded after the warm-up: {got}"
    if backend != "numpy":  # the probe saw the warm-up resolve the kernels: it was listening
        assert got["warm_up"] > 0
    if backend.startswith("numba"):  # the trial says which compiled kernels its warm-up took
        kernels = got["compile_kernels"]
        assert all(s > 0 for s in kernels.values()), kernels
        assert any(k.startswith(path.split("-")[0]) for k in kernels), kernels  # the driver
        assert any(k.startswith("evaluate") for k in kernels), kernels
    elif backend == "numpy":
        assert got["compile_kernels"] == {}
