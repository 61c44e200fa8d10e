"""Damaged caches repair themselves: a truncated or garbage compiled-kernel cache entry, or
synthetic-data cache file, is warned about once, discarded and rebuilt, with the same bits
as a clean build.

The kernel-cache test runs a small kernel in fresh subprocesses that share one empty
``NUMBA_CACHE_DIR`` (compile, damage every file, run, damage again, run, run warm).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bench.config import DataSpec
from bench.data import synthetic

ROOT = Path(__file__).resolve().parents[1]

# One cached kernel (the numba backend's evaluate, float64): its result bits, how it was loaded,
# and every KernelCacheWarning raised.
PROBE = """
import json, warnings
import numpy as np
from kernels import cache_repair, layout
from kernels.numba import serial as be, specialise
with warnings.catch_warnings(record=True) as seen:
    warnings.simplefilter("always")
    rng = np.random.default_rng(0)
    sizes = layout.sizes_array([6, 5, 3])
    p = layout.init_params([6, 5, 3], "default", rng)
    X = rng.random((40, 6)); y = rng.integers(0, 3, 40).astype(np.int64)
    c, cost = be.evaluate(p, np.zeros(be.workspace_size(sizes, 8)), sizes, X, y, 8, 0, 0)
st = next(d for n, d in specialise.made().items() if "evaluate_serial" in n).stats
print(json.dumps({"bits": [int(c), float(cost).hex()], "hits": sum(st.cache_hits.values()),
                  "misses": sum(st.cache_misses.values()),
                  "warnings": [str(w.message) for w in seen
                               if issubclass(w.category, cache_repair.KernelCacheWarning)]}))
"""


def probe(cache: Path) -> dict[str, Any]:
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache), PYTHONPATH=str(ROOT))
    env.pop("NUMBA_DISABLE_JIT", None)  # this test is about compiled code
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, cwd=ROOT, capture_output=True,
                         text=True, timeout=600)  # fmt: skip
    assert out.returncode == 0 and "Traceback" not in out.stderr, out.stderr[-3000:]
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def damage_every_file(cache: Path, how: Callable[[bytes], bytes]) -> int:
    files = [p for p in cache.rglob("*") if p.is_file()]
    for path in files:
        path.write_bytes(how(path.read_bytes()))
    return len(files)


def test_truncated_and_garbage_kernel_cache_entries_are_recompiled_to_the_same_bits(
    tmp_path: Path,
) -> None:
    cache = tmp_path / "cache"
    clean = probe(cache)
    assert clean["misses"] == 1 and clean["hits"] == 0 and clean["warnings"] == []
    rng = np.random.default_rng(0)
    for name, how in (
        ("truncated", lambda data: data[:7]),  # as the issue found: every file cut to 7 bytes
        ("garbage", lambda data: rng.bytes(max(len(data), 64))),
    ):
        assert damage_every_file(cache, how) > 2, name
        repaired = probe(cache)
        assert repaired["bits"] == clean["bits"], name
        assert repaired["misses"] == 1, name  # recompiled, not loaded
        assert len(repaired["warnings"]) == 1, (name, repaired["warnings"])  # once, not per file
        assert "discarded and recompiled" in repaired["warnings"][0]
    warm = probe(cache)  # the recompiled entries were saved over the damaged ones
    assert warm["hits"] == 1 and warm["misses"] == 0 and warm["warnings"] == []
    assert warm["bits"] == clean["bits"]


@pytest.mark.parametrize("damaged", ["X-truncated", "y-garbage", "X-other-shape"])
def test_damaged_synthetic_cache_is_generated_again_with_the_same_bits(
    damaged: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLPBENCH_CACHE", str(tmp_path))
    spec = DataSpec(source="synthetic", n_synthetic=300)
    plain = synthetic.load_synthetic(spec, "float32", 2)  # in memory, never cached
    synthetic.load_synthetic(spec, "float32", 2, mmap_min_bytes=0)
    x_path, y_path = synthetic.cache_paths(360, 784, 10, 2, "float32")
    if damaged == "X-truncated":
        x_path.write_bytes(x_path.read_bytes()[:7])
    elif damaged == "y-garbage":
        y_path.write_bytes(np.random.default_rng(1).bytes(y_path.stat().st_size))
    else:
        np.save(x_path, np.zeros((10, 3), dtype=np.float32))
    with pytest.warns(UserWarning, match="damaged synthetic-data cache") as caught:
        again = synthetic.load_synthetic(spec, "float32", 2, mmap_min_bytes=0)
    assert len(caught) == 1
    for name in ("X_train", "y_train", "X_val", "y_val"):
        assert np.array_equal(getattr(again, name), getattr(plain, name)), name
    assert sorted(p.name for p in x_path.parent.iterdir()) == sorted([x_path.name, y_path.name])


SAVE_ONE = (
    "from kernels.numba.jit import from_python; from kernels.numba.steps import scale_mode; "
    "from_python(scale_mode)(0.1, 0.01, 0.0, 1.0)"
)


def test_a_cache_entry_is_saved_only_under_the_save_lock(tmp_path: Path) -> None:
    """While another process holds the cache's save lock, a compile waits to save its
    entry (two processes picking the same data-file number is what the lock prevents)."""
    from kernels.cache_repair import _save_lock
    from kernels.numba.cache import KERNEL_KEY

    folder = tmp_path / f"mlpbench-kernels-{KERNEL_KEY}"
    folder.mkdir()
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path), PYTHONPATH=str(ROOT))
    env.pop("NUMBA_DISABLE_JIT", None)
    with _save_lock(folder):
        child = subprocess.Popen([sys.executable, "-c", SAVE_ONE], env=env, cwd=ROOT)
        try:
            child.wait(timeout=12)  # imports and compiles in 2-3 s, then waits for the lock
            raise AssertionError(f"finished (exit {child.returncode}) without the save lock")
        except subprocess.TimeoutExpired:
            assert not list(folder.glob("*.nb[ic]"))  # nothing written while locked
    assert child.wait(timeout=120) == 0
    assert list(folder.glob("*.nbi")) and list(folder.glob("*.nbc"))
