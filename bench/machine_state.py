"""What the machine was doing around timed code: load, stolen and foreign CPU time, clock.

A :class:`Snapshot` is a handful of cheap reads (``/proc/stat``'s per-CPU lines for the CPUs
this process may run on, ``getrusage`` for this process's own CPU time, the run-queue wait
of its threads from ``/proc/self/task/*/schedstat``, the 1-minute load average). Two
snapshots give an :class:`Interval`: per second of wall time, how much of those CPUs the
hypervisor stole, how much other processes used (busy ticks minus our own CPU time), and
how long our threads sat runnable but waiting. :func:`clock_mhz` reads the CPU clock where
the system exposes it (cpufreq, else ``/proc/cpuinfo``).

Linux only: elsewhere the ``/proc`` figures are None and the verdict says "not measured".
Tick counts are in ``USER_HZ`` (100 per second on Linux), so an interval shorter than a few
hundredths of a second says little; :mod:`bench.stability` judges whole trials. Nothing
here prints; the verdict lives in :mod:`bench.stability`.
"""

from __future__ import annotations

import os
import resource
import time
from dataclasses import dataclass
from pathlib import Path

HZ = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100  # /proc/stat tick rate
# /proc/stat per-CPU fields: user nice system idle iowait irq softirq steal (guest* are in user)
USER, NICE, SYSTEM, IDLE, IOWAIT, IRQ, SOFTIRQ, STEAL = range(8)


@dataclass(frozen=True, kw_only=True)
class Snapshot:
    """One set of reads; tick and second counts are cumulative since boot or process start."""

    t: float  # time.perf_counter() seconds
    cpus: tuple[int, ...]  # the CPUs this process may run on (its affinity)
    ticks: tuple[int, ...] | None  # /proc/stat fields USER..STEAL summed over ``cpus``
    own_cpu_s: float  # this process's user + system CPU seconds, all threads
    wait_s: dict[int, float] | None  # per thread id: seconds runnable but not running
    load1: float | None  # 1-minute load average


@dataclass(frozen=True, kw_only=True)
class Interval:
    """The machine between two snapshots, as fractions of our CPUs' capacity (0–1)."""

    seconds: float  # wall seconds between the snapshots
    steal: float | None  # share of our CPUs' time stolen by the hypervisor
    others: float | None  # share of our CPUs' time busy with other processes (not ours)
    wait: float | None  # our threads' run-queue wait, seconds per wall second (summed)
    own_cpus: float  # our CPU seconds per wall second (1.0: one core busy all the time)


def affinity() -> tuple[int, ...]:
    """The CPU numbers this process may run on (all online CPUs where affinity is unknown)."""
    if hasattr(os, "sched_getaffinity"):
        return tuple(sorted(os.sched_getaffinity(0)))
    return tuple(range(os.cpu_count() or 1))


def cpu_ticks(cpus: tuple[int, ...]) -> tuple[int, ...] | None:
    """``/proc/stat`` fields user … steal summed over ``cpus``, in ticks; None off Linux."""
    wanted = {f"cpu{c}" for c in cpus}
    total = [0] * 8
    try:
        with open("/proc/stat", encoding="ascii") as fh:
            for line in fh:
                if not line.startswith("cpu"):
                    break
                fields = line.split()
                if fields[0] in wanted:
                    for i, v in enumerate(fields[1:9]):
                        total[i] += int(v)
    except OSError:
        return None
    return tuple(total)


def thread_waits() -> dict[int, float] | None:
    """Run-queue wait of each thread of this process in seconds (schedstat), or None."""
    out: dict[int, float] = {}
    try:
        tids = os.listdir("/proc/self/task")
    except OSError:
        return None
    for tid in tids:
        try:
            with open(f"/proc/self/task/{tid}/schedstat", encoding="ascii") as fh:
                out[int(tid)] = int(fh.read().split()[1]) / 1e9
        except (OSError, IndexError, ValueError):
            continue  # the thread ended between the listing and the read
    return out or None


def own_cpu_seconds() -> float:
    """User + system CPU seconds of this process (all its threads), microsecond resolution."""
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def load_average() -> float | None:
    """The 1-minute load average (runnable + uninterruptible tasks), or None."""
    try:
        return os.getloadavg()[0]
    except OSError:
        return None


def snapshot(cpus: tuple[int, ...] | None = None) -> Snapshot:
    """Read everything :class:`Snapshot` holds now (``cpus``: default, our affinity)."""
    cpus = cpus if cpus is not None else affinity()
    return Snapshot(
        t=time.perf_counter(),
        cpus=cpus,
        ticks=cpu_ticks(cpus),
        own_cpu_s=own_cpu_seconds(),
        wait_s=thread_waits(),
        load1=load_average(),
    )


def interval(a: Snapshot, b: Snapshot) -> Interval:
    """The machine from ``a`` to ``b`` (same CPUs). Shares are clamped to 0–1; ``others``
    subtracts our CPU time from the busy ticks, so it is the capacity used by anything
    else (other processes, and interrupts)."""
    wall = max(b.t - a.t, 1e-9)
    own = max(b.own_cpu_s - a.own_cpu_s, 0.0)
    steal = others = None
    if a.ticks is not None and b.ticks is not None:
        d = [y - x for x, y in zip(a.ticks, b.ticks, strict=True)]
        total = sum(d)
        if total > 0:
            busy = total - d[IDLE] - d[IOWAIT] - d[STEAL]
            steal = d[STEAL] / total
            others = min(max((busy / HZ - own) / (total / HZ), 0.0), 1.0)
    wait = None
    if a.wait_s is not None and b.wait_s is not None:
        waited = sum(w - a.wait_s.get(tid, 0.0) for tid, w in b.wait_s.items())
        wait = max(waited, 0.0) / wall
    return Interval(seconds=wall, steal=steal, others=others, wait=wait, own_cpus=own / wall)


def clock_mhz(cpus: tuple[int, ...] | None = None) -> float | None:
    """Mean current clock of ``cpus`` in MHz: cpufreq's ``scaling_cur_freq`` where the
    system has it, else ``/proc/cpuinfo``'s "cpu MHz" (a VM often shows its nominal clock
    there, unchanging); None when neither exists."""
    cpus = cpus if cpus is not None else affinity()
    base = Path("/sys/devices/system/cpu")
    freqs = []
    for c in cpus:
        try:
            freqs.append(int((base / f"cpu{c}/cpufreq/scaling_cur_freq").read_text()) / 1000)
        except (OSError, ValueError):
            break
    if len(freqs) == len(cpus) and freqs:
        return sum(freqs) / len(freqs)
    return _cpuinfo_mhz(set(cpus))


def _cpuinfo_mhz(cpus: set[int]) -> float | None:
    """Mean "cpu MHz" of ``cpus`` from /proc/cpuinfo, or None."""
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    found, current = [], -1
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key = key.strip()
        if key == "processor":
            current = int(value)
        elif key == "cpu MHz" and current in cpus:
            found.append(float(value))
    return sum(found) / len(found) if found else None
