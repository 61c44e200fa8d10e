"""Numerical kernels for fully-connected networks: numpy reference and Numba backends.

Every backend module exposes the same four names, with the signatures of
:mod:`kernels.reference`:

* ``workspace_size(sizes, mini_batch) -> int``: scratch elements to preallocate;
* ``train_steps(params, velocity, work, sizes, X, y, order, start, n_steps, mini_batch,
  eta, lmbda_n, mu, hidden, output, path=None) -> float``: fused SGD over many mini-batches
  on the kernel path ``path`` (:mod:`kernels.paths`; ``None``: the documented default);
* ``evaluate(params, work, sizes, X, y, chunk, hidden, output) -> (correct, cost_sum)``.

Both reject bad arguments (``order`` entries or labels out of range, wrong dtypes or shapes,
unknown codes) with a ``ValueError`` before any compiled code runs. The Numba backends'
``train_steps`` also take the keywords ``renorm_below`` (threshold of the weight-scale trick)
and ``info`` (a dict that receives ``"renorms"``, the number of renormalisations).

Backends are looked up by name with :func:`load_backend`; modules are imported lazily so
that choosing ``numpy`` never imports Numba.
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

BACKEND_MODULES: dict[str, str] = {
    "numpy": "kernels.reference",
    "numba": "kernels.numba_serial",
    "numba-parallel": "kernels.numba_parallel",
}
BACKENDS: tuple[str, ...] = tuple(BACKEND_MODULES)


def load_backend(name: str) -> ModuleType:
    """The backend module registered as ``name`` (one of :data:`BACKENDS`)."""
    if name not in BACKEND_MODULES:
        raise ValueError(f"unknown backend {name!r}; choose one of {', '.join(BACKENDS)}")
    return importlib.import_module(BACKEND_MODULES[name])


def available_backends() -> list[str]:
    """Names of the registered backends whose module is present in this installation."""
    return [n for n, m in BACKEND_MODULES.items() if importlib.util.find_spec(m) is not None]
