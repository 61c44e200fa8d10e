"""Without a CUDA driver library or the simulator, no run imports ``numba.cuda`` (0.7 s)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from kernels.cuda import presence


def test_no_driver_no_simulator_means_no_numba_cuda_import() -> None:
    """A machine record on a machine without libcuda: ``cuda`` is None and ``numba.cuda``
    was never imported (numba-cuda counted as installed, the driver search pointed at a
    file that does not exist)."""
    code = textwrap.dedent("""
        import os, sys
        os.environ.pop("NUMBA_ENABLE_CUDASIM", None)
        from kernels.cuda import presence
        presence.installed = lambda: True  # as with the cuda extra, installed or not here
        presence._driver_candidates = lambda: ["/nonexistent/libcuda.so.1"]
        from bench.gpu import gpu_record
        from kernels.cuda.session import device_problem
        print(gpu_record("float64"), "numba.cuda" in sys.modules, device_problem())
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split(maxsplit=2)  # fmt: skip
    assert out[:2] == ["None", "False"]
    assert "no CUDA driver library" in out[2]


def test_a_loading_library_or_the_simulator_means_ask_numba_cuda(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Where a driver library loads (here libc stands in for it) or the simulator is on,
    ``numba.cuda`` is asked (numba-cuda counted as installed); without numba-cuda, never."""
    monkeypatch.setattr(presence, "installed", lambda: True)
    monkeypatch.delenv("NUMBA_ENABLE_CUDASIM", raising=False)
    monkeypatch.setattr(presence, "_driver_candidates", lambda: ["/nonexistent", "libc.so.6"])
    assert presence.driver_loads() and presence.cuda_absent() is None
    monkeypatch.setattr(presence, "_driver_candidates", lambda: ["/nonexistent"])
    assert presence.cuda_absent() == "no CUDA driver library (libcuda) was found"
    for value, on in (("1", True), ("0", False), ("", False), ("yes", False)):
        monkeypatch.setenv("NUMBA_ENABLE_CUDASIM", value)
        assert presence.simulator_on() is on
    monkeypatch.setenv("NUMBA_ENABLE_CUDASIM", "1")
    assert presence.cuda_absent() is None
    monkeypatch.setattr(presence, "installed", lambda: False)
    assert presence.cuda_absent() == "numba-cuda is not installed"
