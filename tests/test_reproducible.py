"""Bit-reproducibility across processes and a kernel cache that cannot go stale.

Each test runs the kernels in fresh subprocesses with an empty ``NUMBA_CACHE_DIR``: the first
run compiles every kernel, the second loads them from the on-disk cache.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROBE = Path(__file__).resolve().parent / "repro_probe.py"


def _run(args: list[str], cache: Path, pythonpath: Path = ROOT) -> Any:
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache), NUMBA_NUM_THREADS="2")
    env.pop("NUMBA_DISABLE_JIT", None)  # this test is about compiled code
    env["PYTHONPATH"] = str(pythonpath)
    out = subprocess.run(
        [sys.executable, *args], env=env, cwd=pythonpath, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_cold_and_warm_cache_give_identical_bits(tmp_path: Path) -> None:
    """numpy, numba, numba-parallel × float32/float64 × mini-batch 1, 10, 100, 130 (BLAS),
    and the register-tiled paths (SLP-vectorised tiles: regtile at 10 and 130, blocks of 128;
    split-regtile at 100)."""
    cold = _run([str(PROBE)], tmp_path / "cache")
    warm = _run([str(PROBE)], tmp_path / "cache")
    assert cold["cache"]["hits"] == 0 and cold["cache"]["misses"] > 0
    assert warm["cache"]["misses"] == 0 and warm["cache"]["hits"] > 0
    differ = [k for k in cold["digests"] if cold["digests"][k] != warm["digests"][k]]
    assert not differ, f"compiled and cached kernels give different bits: {differ}"
    assert len(cold["digests"]) == 24 + 6
    # another load order (numba-parallel alone, its copy of the serial kernels): same bits
    alone = _run([str(PROBE), "numba-parallel"], tmp_path / "cache")
    differ = [k for k in alone["digests"] if alone["digests"][k] != cold["digests"][k]]
    assert not differ, f"numba-parallel alone gives different bits: {differ}"


EVAL = """
import json, numpy as np
from kernels import layout
from kernels.layout import CROSS_ENTROPY, SIGMOID
from kernels.numba import cache, serial as be
from kernels.numba.evaluate import evaluate_serial
from kernels.numba.jit import jit
from kernels.numba.specialise import specialised
rng = np.random.default_rng(0)
sizes = layout.sizes_array([6, 5, 3])
p = layout.init_params([6, 5, 3], "default", rng)
X = rng.random((40, 6)); y = rng.integers(0, 3, 40).astype(np.int64)
c, cost = be.evaluate(p, np.zeros(be.workspace_size(sizes, 8)), sizes, X, y, 8, 0, 0)
st = specialised(evaluate_serial, jit, SIGMOID, CROSS_ENTROPY).stats
print(json.dumps({"cost": cost, "hits": sum(st.cache_hits.values()), "key": cache.KERNEL_KEY,
                  "dir": str(cache.cache_dir())}))
"""


def test_editing_a_callee_module_invalidates_the_cache(tmp_path: Path) -> None:
    """Edit ``output_block`` (kernels/numba/blocks/vector.py, a callee of the evaluation)
    in a copy."""
    pkg = tmp_path / "pkg"
    shutil.copytree(ROOT / "kernels", pkg / "kernels", ignore=shutil.ignore_patterns("__pycache__"))
    cache = tmp_path / "cache"
    first = _run(["-c", EVAL], cache, pkg)
    again = _run(["-c", EVAL], cache, pkg)
    assert again["hits"] == 1 and again["cost"] == first["cost"]
    assert Path(first["dir"]).parent == cache and first["key"] in first["dir"]
    fwd = pkg / "kernels" / "numba" / "blocks" / "vector.py"
    text = fwd.read_text()
    end = "        d[j] -= one\n    return cost\n"  # the sigmoid + cross-entropy block's
    assert text.count(end) == 1
    fwd.write_text(text.replace(end, end.replace("return cost", "return cost + 1000.0 * m")))
    edited = _run(["-c", EVAL], cache, pkg)
    assert edited["key"] != first["key"] and edited["hits"] == 0
    assert edited["cost"] == pytest.approx(first["cost"] + 40 * 1000.0)  # one per row
