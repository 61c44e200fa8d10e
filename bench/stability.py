"""Was a timing taken on a quiet machine? The machine's state around it, and a verdict.

:class:`StateMonitor` takes a :func:`~bench.machine_state.snapshot` when the timed region
starts and one at each checkpoint (outside the timed calls); :meth:`StateMonitor.finish`
turns them, with the per-chunk rates, into a :class:`Stability`: the figures (load before
and after, shares of our CPUs stolen by the hypervisor or used by other processes, our
threads' run-queue wait, the clock, the spread of the chunks) and the verdict, stable or
not, with a reason per threshold crossed. :data:`THRESHOLDS` and the measurements they
come from are in ``docs/noise.md``. Nothing here prints or writes files.
"""

from __future__ import annotations

import os
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from itertools import pairwise
from typing import Any

from bench.machine_state import Interval, Snapshot, affinity, clock_mhz, interval, snapshot


@dataclass(frozen=True, kw_only=True)
class Thresholds:
    """Above any of these a timing is marked unstable (shares are fractions, 0–1)."""

    steal: float = 0.05  # of our CPUs' time stolen by the hypervisor
    others: float = 0.10  # of our CPUs' time busy with other processes
    wait: float = 0.10  # our threads' run-queue wait per wall second
    load_per_cpu: float = 1.0  # 1-minute load, less our own CPU use, per online CPU
    spread: float = 2.0  # slowest chunk's seconds per sample / the median chunk's
    clock_drop: float = 0.10  # clock at the end below the start by this share
    min_seconds: float = 0.2  # shorter: /proc/stat's 10 ms ticks cannot judge steal, others


THRESHOLDS = Thresholds()


@dataclass(frozen=True, kw_only=True)
class Stability:
    """The machine during one timing and the verdict; shares are fractions (0–1)."""

    stable: bool
    reasons: list[str]  # one short sentence per threshold crossed, empty when stable
    seconds: float  # wall seconds the state was measured over (the timed region)
    cpus: list[int]  # the CPUs the process could run on
    load_before: float | None  # 1-minute load average at the start
    load_after: float | None
    steal: float | None  # share of ``cpus``' time stolen by the hypervisor
    others: float | None  # share of ``cpus``' time busy with other processes
    wait: float | None  # our threads' run-queue wait, seconds per wall second
    own_cpus: float  # our CPU seconds per wall second
    mhz_before: float | None  # CPU clock (MHz) at the start, where exposed
    mhz_after: float | None
    spread: float | None  # slowest chunk's seconds per sample / the median chunk's
    chunks: int  # chunks (timed calls between checkpoints) the spread is over
    unit: str = "chunk"  # what the spread is over: chunk (trials) or round (benchmarks)
    tags: list[str] = field(default_factory=list)  # short form of each reason (``load 2.4``)
    # per checkpoint interval: wall seconds, steal, others, wait (None: not measured)
    intervals: list[list[float | None]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Stability:
        """Inverse of :meth:`to_dict`."""
        return cls(**d)

    @property
    def mark(self) -> str:
        """The table mark: ``ok``, or ``unstable: TAG`` with the first reason's short form."""
        if self.stable:
            return "ok"
        return f"unstable: {(self.tags or self.reasons or ['?'])[0]}"


TAIL = 0.05  # the spread looks at the slowest 5 % of the chunks (the slowest one below 20)


def chunk_spread(rates: Sequence[float]) -> float | None:
    """The median chunk's rate over the rate of the chunk at the slow 5 % quantile (the
    slowest chunk when there are fewer than 20): 1.0 when all ran alike, 3.0 when that chunk
    took three times the median's seconds per sample. None with fewer than three chunks."""
    if len(rates) < 3:
        return None
    return statistics.median(rates) / sorted(rates)[int(len(rates) * TAIL)]


def crossed(s: Stability, cores: int, limits: Thresholds = THRESHOLDS) -> list[tuple[str, str]]:
    """``(tag, sentence)`` per threshold ``s`` crosses (``cores``: online CPUs): the tag is
    the table's short form (``others 71%``), the sentence the warning's."""
    out = []
    cpus = _cpus_text(s.cpus)
    judged = s.seconds >= limits.min_seconds
    if judged and s.steal is not None and s.steal > limits.steal:
        out.append((f"steal {s.steal:.0%}", f"{s.steal:.0%} of {cpus} stolen by the hypervisor"))
    if judged and s.others is not None and s.others > limits.others:
        out.append(
            (f"others {s.others:.0%}", f"{s.others:.0%} of {cpus} busy with other processes")
        )
    if s.wait is not None and s.wait > limits.wait:  # schedstat counts nanoseconds: any length
        out.append((f"wait {s.wait:.0%}", f"our threads waited for a CPU {s.wait:.0%} of the time"))
    loads = [v for v in (s.load_before, s.load_after) if v is not None]
    if loads and max(loads) - s.own_cpus > limits.load_per_cpu * cores:  # ours left out
        plural = "s" if cores > 1 else ""
        out.append((f"load {max(loads):.1f}", f"load {max(loads):.1f} on {cores} CPU{plural}"))
    if s.spread is not None and s.spread > limits.spread:
        which = f"slowest {s.unit}" if s.chunks < 1 / TAIL else f"slowest 5 % of {s.unit}s"
        out.append((f"spread {s.spread:.1f}×", f"{which} {s.spread:.1f}× the median"))
    if s.mhz_before and s.mhz_after and s.mhz_after < (1 - limits.clock_drop) * s.mhz_before:
        out.append((f"clock {s.mhz_after:.0f} MHz",
                    f"clock fell from {s.mhz_before:.0f} to {s.mhz_after:.0f} MHz"))  # fmt: skip
    return out


def reasons(s: Stability, cores: int, limits: Thresholds = THRESHOLDS) -> list[str]:
    """Why ``s`` is unstable, one sentence per threshold crossed (``cores``: online CPUs)."""
    return [sentence for _, sentence in crossed(s, cores, limits)]


def _cpus_text(cpus: Sequence[int]) -> str:
    if len(cpus) == 1:
        return f"CPU {cpus[0]}"
    return f"CPUs {','.join(map(str, cpus))}"


def _mean(values: Sequence[float | None], weights: Sequence[float]) -> float | None:
    pairs = [(v, w) for v, w in zip(values, weights, strict=True) if v is not None]
    total = sum(w for _, w in pairs)
    return sum(v * w for v, w in pairs) / total if pairs and total > 0 else None


class StateMonitor:
    """Snapshots of the machine at the start of a timed region and at each checkpoint.

    Call :meth:`checkpoint` outside the timed calls; each costs a few reads (about 0.1–0.3
    ms, ``docs/noise.md``). :meth:`finish` gives the :class:`Stability` of the whole region.
    """

    def __init__(self) -> None:
        self.cpus = affinity()
        self.mhz_before = clock_mhz(self.cpus)
        self.snaps: list[Snapshot] = [snapshot(self.cpus)]

    def checkpoint(self) -> None:
        """Record the machine now (after a timed chunk, before the next)."""
        self.snaps.append(snapshot(self.cpus))

    def finish(
        self, rates: Sequence[float], limits: Thresholds = THRESHOLDS, unit: str = "chunk"
    ) -> Stability:
        """The region's :class:`Stability`; ``rates``: samples per second of each chunk
        (or round: ``unit``), any scale."""
        end = snapshot(self.cpus)
        whole = interval(self.snaps[0], end)
        parts: list[Interval] = [interval(a, b) for a, b in pairwise(self.snaps)]
        s = Stability(
            stable=True, reasons=[], seconds=whole.seconds, cpus=list(self.cpus),
            load_before=self.snaps[0].load1, load_after=end.load1, steal=whole.steal,
            others=whole.others, wait=whole.wait, own_cpus=whole.own_cpus,
            mhz_before=self.mhz_before, mhz_after=clock_mhz(self.cpus),
            spread=chunk_spread(rates), chunks=len(rates), unit=unit,
            intervals=[[round(p.seconds, 6), _r(p.steal), _r(p.others), _r(p.wait)]
                       for p in parts],
        )  # fmt: skip
        why = crossed(s, os.cpu_count() or 1, limits)
        return Stability(**{**asdict(s), "stable": not why, "reasons": [w for _, w in why],
                            "tags": [t for t, _ in why]})  # fmt: skip


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def chunk_rates(points: Sequence[tuple[int, float]], min_share: float = 0.5) -> list[float]:
    """Samples per kernel second of each chunk between consecutive ``(images, train
    seconds)`` checkpoints; chunks with fewer than ``min_share`` × the median chunk's images
    (an epoch's ragged last chunk) are left out, as are chunks with no time."""
    chunks = [(b[0] - a[0], b[1] - a[1]) for a, b in pairwise(points)]
    chunks = [(n, s) for n, s in chunks if n > 0 and s > 0]
    if not chunks:
        return []
    typical = statistics.median(n for n, _ in chunks)
    return [n / s for n, s in chunks if n >= min_share * typical]


def summary_line(stabilities: Sequence[Stability | None], what: str = "trials") -> str | None:
    """One warning line when any timing was unstable: how many, the commonest reason, and
    what to do; None when all were stable (or none was measured)."""
    measured = [s for s in stabilities if s is not None]
    bad = [s for s in measured if not s.stable]
    if not bad:
        return None
    example = next(r for s in bad for r in s.reasons)
    cpu = max(affinity())
    return (
        f"{len(bad)} of {len(measured)} {what} ran on a busy or unsteady machine (e.g. "
        f"{example}): close other work, pin with `taskset -c {cpu}`, and repeat "
        "(--repeats 3) before trusting these times"
    )
