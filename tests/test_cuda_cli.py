"""``--backend cuda`` on a machine without a CUDA device: exit 2 and one line, before any work.

Runs the CLI in a subprocess without ``NUMBA_ENABLE_CUDASIM`` (the simulator would count as
a device). On a machine with an NVIDIA GPU the situation cannot arise, so the test skips.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest


@pytest.mark.skipif(shutil.which("nvidia-smi") is not None, reason="this machine has a GPU")
@pytest.mark.parametrize("command", ["train", "sweep", "eta", "tune"])
def test_no_device_exits_2_before_any_work(command: str, tmp_path: object) -> None:
    """One line naming the problem and the extra; the data (a missing folder) is never read."""
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_ENABLE_CUDASIM"}
    proc = subprocess.run(
        [sys.executable, "-m", "bench.cli.main", command, "--backend", "cuda", "--dataset", "mnist",
         "--data-dir", "/nonexistent/mlpbench-data", "--results-dir", str(tmp_path)],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "--backend: no CUDA device was found" in lines[0]
    assert "pip install 'mlpbench[cuda]'" in lines[0]
    assert proc.stdout == ""


def test_cpu_backends_have_no_problem() -> None:
    """The check is the device backend's only: CPU backends always pass it."""
    from kernels import BACKENDS, backend_info, backend_problem

    assert "cuda" in BACKENDS and backend_info("cuda").synchronize
    assert backend_problem("numba") is None and backend_problem("numpy") is None
