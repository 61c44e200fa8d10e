"""The evaluation's forward and output layer are the ``regtile`` paths' own
(kernels/numba/evaluate.py): in a process that has compiled ``regtile``, compiling the
evaluation compiles no building block again (what lets bench/prewarm.py place the two
together)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

_PROBE = """
import json, sys
from numba.core import event
from bench.config import DataSpec, NetSpec, TrainSpec, TrialSpec
from bench.train import compile_trial_kernels

spec = TrialSpec(net=NetSpec(sizes=(64, 16, 10)), data=DataSpec(source="digits"),
                 train=TrainSpec(backend=sys.argv[1], kernel_path=sys.argv[2], mini_batch=100,
                                 dtype=sys.argv[3], threads=int(sys.argv[4])))
compile_trial_kernels(spec, (100, 7), evaluate=False)
seen = []

class Seen(event.Listener):
    def on_start(self, ev):
        f = ev.data["dispatcher"].py_func
        seen.append(f"{f.__module__}.{f.__qualname__}")

    def on_end(self, ev):
        pass

with event.install_listener("numba:compile", Seen()):
    compile_trial_kernels(spec, (), evaluate=True)
print(json.dumps(seen))
"""


@pytest.mark.parametrize(
    ("backend", "path", "dtype", "threads"),
    [("numba", "regtile", "float64", 1), ("numba-parallel", "split-regtile", "float32", 2)],
)
def test_the_evaluation_compiles_no_forward_block_after_regtile(
    backend: str, path: str, dtype: str, threads: int, tmp_path: Path
) -> None:
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path), PYTHONPATH=str(ROOT),
               NUMBA_NUM_THREADS="2")  # fmt: skip
    env.pop("NUMBA_DISABLE_JIT", None)  # about compiled code
    done = subprocess.run([sys.executable, "-c", _PROBE, backend, path, dtype, str(threads)],
                          env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=900)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    compiled = json.loads(done.stdout.strip().splitlines()[-1])
    assert any(n.startswith("kernels.numba.evaluate.") for n in compiled)  # it did compile
    # the building blocks (not the one-line overload bodies such as cols_first's, typed
    # anew for another integer type of the row count)
    again = [n for n in compiled if n.startswith("kernels.numba.blocks.") and "<locals>" not in n]
    assert again == [], f"compiled again for the evaluation: {again}"
