"""Whether ``numba.cuda`` can be of any use here, answered without importing it.

Importing ``numba.cuda`` costs about 0.7 s (2-vCPU Zen 5), and every run asks: the run
record names the CUDA device or says there is none. On a machine with neither NVIDIA's
driver library nor the CUDA simulator, the answer is known without that import.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import sys

SIMULATOR_ENV = "NUMBA_ENABLE_CUDASIM"


def _driver_candidates() -> list[str]:
    """The names and paths numba-cuda tries when it loads the CUDA driver (its
    ``cudadrv.driver.locate_driver_and_loader``, numba-cuda 0.30)."""
    if sys.platform == "win32":
        names, dirs = ["nvcuda.dll"], ["\\windows\\system32"]
    elif sys.platform == "darwin":
        names, dirs = ["libcuda.dylib"], ["/usr/local/cuda/lib"]
    else:
        names, dirs = ["libcuda.so", "libcuda.so.1"], ["/usr/lib", "/usr/lib64"]
    return names + [os.path.join(d, n) for d in dirs for n in names]


def driver_loads() -> bool:
    """Whether the CUDA driver library loads (``ctypes``, where numba-cuda looks for it)."""
    load = getattr(ctypes, "WinDLL", ctypes.CDLL) if sys.platform == "win32" else ctypes.CDLL
    for candidate in _driver_candidates():
        try:
            load(candidate)
        except OSError:
            continue
        return True
    return False


def simulator_on() -> bool:
    """Whether ``$NUMBA_ENABLE_CUDASIM`` asks for numba-cuda's CUDA simulator."""
    value = os.environ.get(SIMULATOR_ENV, "0").strip()
    try:
        return int(value) != 0
    except ValueError:
        return False


def installed() -> bool:
    """Whether numba-cuda (the ``cuda`` or ``cudasim`` extra) is installed."""
    return importlib.util.find_spec("numba_cuda") is not None


def cuda_absent() -> str | None:
    """Why ``numba.cuda`` cannot offer a device here (one line), without importing it; None
    when it might (numba-cuda installed, and a driver library or the simulator)."""
    if not installed():
        return "numba-cuda is not installed"
    if not simulator_on() and not driver_loads():
        return "no CUDA driver library (libcuda) was found"
    return None
