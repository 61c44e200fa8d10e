"""Is a difference between two entries larger than the noise? A rank test over their rates.

The samples are the repeats each entry has: for a run file, the samples/s of every chunk
(the timed calls between two checkpoints) of every seed of the configuration; for a
pytest-benchmark file, the samples/s of every round, which the suites store in
``extra_info["rates"]`` (older files have none). A single number per entry (one round, or a
file without rates) gives no significance, and the verdict says so.

The test is Mann-Whitney U (``scipy.stats.mannwhitneyu``, two-sided), as asv's ``compare``
uses: rates on a shared machine are skewed (slow spells make a long tail of slow chunks),
and a rank test assumes no distribution and is not pulled by a few outliers. Chunks of one
run are not independent draws (a slow spell covers several), which makes the p-value too
small; so a difference counts only when the p-value is below :data:`ALPHA` *and* the
medians differ by more than the files' own spread (:func:`noise_floor`). Why these
choices, with measurements: ``docs/noise.md``. Nothing here prints.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

ALPHA = 0.01  # p-value below which a difference may count (asv uses 0.002 on more samples)
MIN_FLOOR = 0.02  # the smallest relative shift ever called a difference
SLOWER, FASTER, NOISE, UNKNOWN = "slower", "faster", "within noise", "no significance"


@dataclass(frozen=True, kw_only=True)
class Difference:
    """How ``other`` compares with ``first`` in throughput, and whether it exceeds noise."""

    verdict: str  # SLOWER | FASTER | NOISE | UNKNOWN
    p: float | None  # Mann-Whitney U two-sided p-value (None: not testable)
    shift: float | None  # median rate of first / median rate of other, minus 1 (>0: slower)
    floor: float | None  # relative shift the files' own spread allows
    n: tuple[int, int]  # samples (chunks or rounds) on each side
    why: str = ""  # for UNKNOWN: why no significance can be given

    @property
    def mark(self) -> str:
        """``~`` within noise, ``?`` when no significance can be given, else empty."""
        return {NOISE: "~", UNKNOWN: "?"}.get(self.verdict, "")


def rates(entry: Any) -> list[float]:
    """The per-chunk or per-round samples/s an :class:`~bench.publish.compare.Entry` carries."""
    if entry is None:
        return []
    values = entry.extra.get("rates") or []
    return [float(v) for v in values if isinstance(v, int | float) and v > 0]


def min_p_value(n1: int, n2: int) -> float:
    """The smallest two-sided p-value Mann-Whitney U can give with ``n1`` and ``n2`` samples
    (complete separation): ``2 / C(n1 + n2, n1)``, capped at 1."""
    if n1 < 1 or n2 < 1:
        return 1.0
    return min(1.0, 2 / math.comb(n1 + n2, n1))


def noise_floor(samples: Sequence[float]) -> float:
    """Half the interquartile range of ``samples`` over their median (a relative spread),
    at least :data:`MIN_FLOOR`."""
    if len(samples) < 4:
        return MIN_FLOOR
    q1, _, q3 = statistics.quantiles(samples, n=4)
    return max(MIN_FLOOR, (q3 - q1) / (2 * statistics.median(samples)))


def difference(first: Any, other: Any, alpha: float = ALPHA) -> Difference:
    """Compare the rates of two entries (either may be None: UNKNOWN)."""
    a, b = rates(first), rates(other)
    n = (len(a), len(b))
    if min_p_value(*n) >= alpha:
        few = min(n)
        why = (
            "no per-chunk or per-round rates in the file"
            if few == 0
            else f"{few} repeat{'s' if few > 1 else ''} on one side; a rank test needs more"
        )
        return Difference(verdict=UNKNOWN, p=None, shift=None, floor=None, n=n, why=why)
    from scipy.stats import mannwhitneyu

    p = float(mannwhitneyu(a, b, alternative="two-sided").pvalue)
    shift = statistics.median(a) / statistics.median(b) - 1
    floor = max(noise_floor(a), noise_floor(b))
    within = p >= alpha or abs(shift) <= floor
    verdict = NOISE if within else SLOWER if shift > 0 else FASTER
    return Difference(verdict=verdict, p=p, shift=shift, floor=floor, n=n)


def untestable(entries: Sequence[Any]) -> bool:
    """True when no entry of a file has two or more rates (a single repeat each)."""
    return all(len(rates(e)) < 2 for e in entries if e is not None)


def significant_regressions(
    rows: Sequence[Any], percent: float, ratio_of: Any
) -> list[tuple[str, int, float, Difference]]:
    """``(key, source index, ratio, difference)`` for entries more than ``percent`` % slower
    than the first source's *and* significantly slower (:func:`difference`). Where no
    significance can be given (UNKNOWN) the ratio alone decides, and the difference says
    so; ``ratio_of(first, other)`` is :func:`bench.publish.compare.ratio`."""
    limit = 1 + percent / 100
    found = []
    for row in rows:
        for i, cell in enumerate(row.cells[1:], start=1):
            r = ratio_of(row.cells[0], cell)
            if r is None or r <= limit:
                continue
            diff = difference(row.cells[0], cell)
            if diff.verdict in (SLOWER, UNKNOWN):
                found.append((row.key, i, r, diff))
    return found


def noise_extra(trials: Sequence[Any]) -> dict[str, Any]:
    """What a run entry carries for the test: ``rates``, the samples/s of every chunk of
    every trial (seeds pooled), and ``unstable``, how many trials were marked unstable."""
    from bench.stability import chunk_rates

    pooled = [
        round(r, 1)
        for t in trials
        for r in chunk_rates([(p.images_seen, p.train_seconds) for p in t.curve])
    ]
    unstable = sum(1 for t in trials if t.stability is not None and not t.stability.stable)
    return {"rates": pooled, "unstable": unstable}
