"""The one timed region of the harness: a chunk of kernel calls, timed to its end.

Trials (:mod:`bench.train`) and the kernel-path tuner (:mod:`bench.kernel_tuning`) both time
their kernel calls here, so a path is tuned with exactly the clock that later times it.
Imports the session protocol only.
"""

from __future__ import annotations

import time

from kernels.session import BackendInfo, Session


def timed_steps(
    session: Session, info: BackendInfo, start: int, steps: int, batch: int,
    hyper: tuple[float, float, float],
) -> tuple[float, float]:  # fmt: skip
    """``(mean training cost, seconds)`` of one ``steps`` call of ``session``.

    The clock stops after :meth:`~kernels.session.Session.synchronize` when the backend
    is asynchronous (``info.synchronize``), so the seconds are the work's, not the queueing's.
    """
    t = time.perf_counter()
    cost = session.steps(start, steps, *hyper, batch=batch)
    if info.synchronize:
        session.synchronize()
    return cost, time.perf_counter() - t
