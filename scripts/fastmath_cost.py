"""Speed and cold-vs-warm reproducibility of candidate ``FASTMATH`` flag sets.

For each flag set: copy ``kernels/`` to a temporary directory with that set, then in fresh
processes (fresh ``NUMBA_CACHE_DIR``) run the probe of ``tests/repro_probe.py`` cold and warm
(same bits?) and time ``train_steps`` of the ``numba`` backend on a [784, 30, 10] net for
float32/float64 and mini-batch 1, 10, 100 (best of 5, µs per sample). Contended numbers on a
shared machine mean nothing: run on an idle machine::

    python scripts/fastmath_cost.py
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CANDIDATES = [
    {"reassoc", "contract", "nsz", "arcp"},
    {"reassoc", "contract", "arcp"},
    {"reassoc", "contract", "nsz"},
    {"reassoc", "contract"},
    {"contract"},
    set(),
]
TIMER = r"""
import time, numpy as np
from kernels import layout, load_backend
from kernels.call import Codes, Data, Net, Rule, Steps
be = load_backend("numba")
sizes = [784, 30, 10]; sz = layout.sizes_array(sizes); rng = np.random.default_rng(0)
out = {}
for dt in (np.float32, np.float64):
    X = rng.random((4000, 784)).astype(dt); y = rng.integers(0, 10, 4000).astype(np.int64)
    order = rng.permutation(4000).astype(np.int64)
    for mb in (1, 10, 100):
        p = layout.init_params(sizes, "default", rng, dt); v = np.zeros_like(p)
        w = np.zeros(be.workspace_size(sz, mb), dt); n = 4000 // mb
        net, data, rule = Net(p, v, w), Data(X, y, order), Rule(0.1, 1e-5, 0.0)
        be.train_steps(net, sz, data, Steps(0, 1, mb), rule, Codes(0, 0))
        best = 1e9
        for _ in range(5):
            t = time.perf_counter()
            be.train_steps(net, sz, data, Steps(0, n, mb), rule, Codes(0, 0))
            best = min(best, time.perf_counter() - t)
        out[f"{np.dtype(dt).name}/mb{mb}"] = round(best / (n * mb) * 1e6, 3)
print(json.dumps(out) if (json := __import__("json")) else "")
"""


def run(tmp: Path, cache: Path, code: list[str]) -> str:
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache), PYTHONPATH=str(tmp))
    return (
        subprocess.run(
            [sys.executable, *code], cwd=tmp, env=env, check=True, capture_output=True, text=True
        )
        .stdout.strip()
        .splitlines()[-1]
    )


def main() -> None:
    for flags in CANDIDATES:
        with tempfile.TemporaryDirectory() as d:
            tmp = Path(d)
            shutil.copytree(ROOT / "kernels", tmp / "kernels")
            shutil.copy(ROOT / "tests" / "repro_probe.py", tmp / "repro_probe.py")
            lay = tmp / "kernels" / "numba" / "jit.py"
            text = re.sub(
                r"FASTMATH: [^\n]*=[^\n]*", f"FASTMATH: set[str] = {flags!r}", lay.read_text()
            )
            lay.write_text(text)
            cache = tmp / "cache"
            cold = json.loads(run(tmp, cache, ["repro_probe.py", "numba"]))
            warm = json.loads(run(tmp, cache, ["repro_probe.py", "numba"]))
            cold, warm = cold["digests"], warm["digests"]
            diff = sorted(k for k in cold if cold[k] != warm[k])
            speed = json.loads(run(tmp, cache, ["-c", TIMER]))
            print(
                json.dumps(
                    {"fastmath": sorted(flags), "cold_ne_warm": diff, "us_per_sample": speed}
                ),
                flush=True,
            )


if __name__ == "__main__":
    main()
