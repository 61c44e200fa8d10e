"""Numerical kernels for fully-connected networks: numpy reference and Numba backends.

Every backend module exposes the same four names, with the signatures of
:mod:`kernels.reference`:

* ``workspace_size(sizes, mini_batch) -> int``: scratch elements to preallocate;
* ``train_steps(net, sizes, data, steps, rule, codes, path=None, *, labels_checked=False)
  -> float``: fused SGD over many mini-batches on the kernel path ``path``
  (:mod:`kernels.paths`; ``None``: the documented default), the arguments grouped as
  :mod:`kernels.call` defines (``Net(params, velocity, work)``, ``Data(X, y, order)``,
  ``Steps(start, n_steps, mini_batch)``, ``Rule(eta, lmbda_n, mu)``, ``Codes(hidden,
  output)``); ``labels_checked=True`` (passed by a session, which checked every label at
  upload) skips the O(n) label scan inside the call;
* ``evaluate(params, work, sizes, X, y, chunk, hidden, output) -> (correct, cost_sum)``.

Both reject bad arguments (``order`` entries or labels out of range, wrong dtypes or shapes,
unknown codes) with a ``ValueError`` before any compiled code runs. The Numba backends'
``train_steps`` also take the keywords ``renorm_below`` (threshold of the weight-scale trick)
and ``info`` (a dict that receives ``"renorms"``, the number of renormalisations).

The harness does not call them directly: it opens a *session* (:mod:`kernels.session`)
with :func:`open_session`, which owns the arrays and calls the module
(:class:`kernels.host_session.HostSession` for these host backends; the ``cuda`` backend,
:mod:`kernels.cuda.session`, has its own session that keeps everything on the GPU, and
:func:`backend_problem` says why it cannot run on a machine). This module is the
registry: one :class:`~kernels.session.BackendInfo` per backend in :data:`REGISTRY` (its
module and its kernel paths), and the only place that knows backends by name. Modules are
imported lazily so that choosing ``numpy`` never imports Numba.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from types import ModuleType
from typing import Any

from kernels.path_names import NUMPY, PARALLEL_PATHS, SERIAL_PATHS, TILED
from kernels.session import CPU, CUDA, BackendInfo, Session

REGISTRY: dict[str, BackendInfo] = {
    info.name: info
    for info in (
        BackendInfo(name="numpy", module="kernels.reference", paths=(NUMPY,)),
        BackendInfo(name="numba", module="kernels.numba.serial", paths=SERIAL_PATHS, host_jit=True),
        BackendInfo(
            name="numba-parallel",
            module="kernels.numba.parallel",
            threaded=True,
            paths=PARALLEL_PATHS,
            host_jit=True,
        ),
        BackendInfo(
            name="cuda",
            module="kernels.cuda.session",
            device=CUDA,
            synchronize=True,
            extra="cuda",
            paths=(TILED,),
        ),
    )
}
BACKENDS: tuple[str, ...] = tuple(REGISTRY)


def backend_info(name: str) -> BackendInfo:
    """The descriptor of the backend registered as ``name`` (one of :data:`BACKENDS`)."""
    if name not in REGISTRY:
        raise ValueError(f"unknown backend {name!r}; choose one of {', '.join(REGISTRY)}")
    return REGISTRY[name]


def compile_report() -> dict[str, float]:
    """Seconds each compiled kernel of the Numba backends has taken to compile (cold cache)
    or load (warm) in this process so far, its callees included, by name
    (``<path>_<driver>_h<hidden>_o<output>``, e.g. ``regtile_train_h0_o0``,
    :func:`kernels.numba.specialise.compile_seconds`); empty while no Numba kernel was
    loaded (Numba is not imported for it)."""
    specialise = sys.modules.get("kernels.numba.specialise")
    return {} if specialise is None else dict(specialise.compile_seconds())


def load_backend(name: str) -> ModuleType:
    """The backend module registered as ``name`` (one of :data:`BACKENDS`)."""
    return importlib.import_module(backend_info(name).module)


def available_backends() -> list[str]:
    """Names of the registered backends that can run here: their module is present in this
    installation and, for a device backend, :func:`backend_problem` finds nothing."""
    return [
        n
        for n, i in REGISTRY.items()
        if importlib.util.find_spec(i.module) is not None
        and (i.device == CPU or backend_problem(n) is None)
    ]


def backend_problem(name: str) -> str | None:
    """Why backend ``name`` cannot run on this machine (one line naming the fix), or None.

    CPU backends always can; a device backend's module answers through its
    ``device_problem()`` (the cuda backend: no numba-cuda, or no CUDA device).
    """
    info = backend_info(name)
    if info.device == CPU:
        return None
    probe = getattr(load_backend(name), "device_problem", None)
    return None if probe is None else probe()


def effective_threads(info: BackendInfo, threads: int) -> int:
    """Threads a session of ``info`` asked for ``threads`` runs on (1 unless threaded)."""
    return max(1, int(threads)) if info.threaded else 1


def get_threads(info: BackendInfo) -> int:
    """Threads the threaded backend ``info`` uses now (Numba's setting), else 1."""
    if not info.threaded:
        return 1
    import numba

    return int(numba.get_num_threads())


def set_threads(info: BackendInfo, threads: int) -> int:
    """Give the threaded backend ``info`` ``threads`` threads (capped by Numba's pool).

    Returns the previous count (1 and no effect for a backend that is not threaded).
    """
    if not info.threaded:
        return 1
    import numba

    previous = int(numba.get_num_threads())
    numba.set_num_threads(min(int(threads), numba.config.NUMBA_NUM_THREADS))  # type: ignore[attr-defined]
    return previous


def open_session(name: str, *, module: ModuleType | None = None, **shape: Any) -> Session:
    """A session of backend ``name`` for one network shape.

    ``shape``: ``sizes``, ``dtype``, ``mini_batch``, ``threads``, ``hidden``, ``output``,
    ``path`` (and, for the Numba backends, ``renorm_below``). A backend module that defines
    its own ``Session`` class is opened with it; the host modules get
    :class:`~kernels.host_session.HostSession`. ``module`` replaces the registered module
    (a stand-in in tests). A threaded backend gets ``threads`` threads set here (``None``
    or absent: its current setting is left alone).
    """
    info = backend_info(name)
    kernel = module if module is not None else load_backend(name)
    asked = shape.pop("threads", None)
    if asked is None:
        threads = get_threads(info)
    else:
        threads = effective_threads(info, int(asked))
        set_threads(info, threads)
    cls = getattr(kernel, "Session", None)
    if cls is None:
        from kernels.host_session import HostSession

        return HostSession(info, kernel, threads=threads, **shape)
    session: Session = cls(info, kernel, threads=threads, **shape)
    return session
