"""The roofline: shares of the measured ceiling, the bytes model, compute- or memory-bound.

Pure functions over plain dicts (a run's ``machine`` record, :mod:`bench.ceiling`'s
measurement): nothing here measures or prints.

* **Yardstick** of a figure in ``dtype`` on ``threads`` threads: the machine's measured
  compute ceiling (``machine["ceilings"]["compute_gflops"]``, the higher of the best BLAS
  GEMM over OpenBLAS core types and the FMA micro-kernel). Runs recorded before the
  ceiling existed keep their old yardstick, the numpy GEMM of the process
  (``machine["gemm_peak_gflops"]``), labelled :data:`BLAS_GEMM`.
* **Bytes model** (one definition, :func:`bytes_per_sample`): the memory traffic a
  training sample causes: its input row (``n0`` values) and its label and index (8 bytes
  each), streamed from memory; plus, once per mini-batch, the parameters and their
  gradient read and written (``4 · P`` values, P weights and biases) when the parameters
  do not fit in the core's L2 cache, nothing for them when they do (they stay there from
  one mini-batch to the next). Activations of one sample stay in cache.
* **Arithmetic intensity** = executed FLOPs per sample / bytes per sample; a kernel is
  *memory-bound* when its intensity is below the ridge point (compute ceiling /
  triad bandwidth, same threads), *compute-bound* otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

CEILING = "ceiling"
BLAS_GEMM = "BLAS GEMM"
COMPUTE = "compute"
MEMORY = "memory"
INDEX_BYTES = 8  # int64 label and int64 order index per sample
METHOD = (
    "compute: max over (numpy n x n GEMM, 2n^3 FLOPs, best of the repeats, one child process "
    "per OpenBLAS core type the CPU can run and the detected one) and (Numba register-resident "
    "FMA loop at the widest vector width, kernels/ceiling.py); memory: STREAM triad "
    "a = b + s*c, 24 bytes per element, arrays 4x the last-level cache; pinned to the first "
    "N CPUs"
)


def key(dtype: str, threads: int) -> str:
    """The ``dtype/threads`` key of the per-dtype, per-thread-count records."""
    return f"{dtype}/{threads}"


def inspect_fma_asm(asm: str) -> dict[str, Any]:
    """What the FMA loop's assembly does: FMA instructions per register class, the widest
    class used, and how many FMAs take a memory operand (0 for a register-resident loop)."""
    fmas = [line for line in asm.splitlines() if re.search(r"\bv?fn?m(add|sub)\w*\s", line)]
    counts = {r: sum(f"%{r}" in line for line in fmas) for r in ("zmm", "ymm", "xmm")}
    widest = next((r for r in ("zmm", "ymm", "xmm") if counts[r]), None)
    return {"fma_instructions": len(fmas), "by_register": counts, "vector_register": widest,
            "memory_operands": sum("(" in line for line in fmas)}  # fmt: skip


def _best_blas(blas: Mapping[str, Any], k: str) -> tuple[str | None, float | None]:
    runs = {n: r["gflops"][k] for n, r in blas.items() if k in (r.get("gflops") or {})}
    if not runs:
        return None, None
    name = max(runs, key=lambda n: runs[n])
    return name, float(runs[name])


def combine(
    *, blas: Mapping[str, Any], fma: Mapping[str, Any], triad: Mapping[str, Any],
    threads: Sequence[int], measured_at: str, seconds: float, l2_bytes: int | None,
) -> dict[str, Any]:  # fmt: skip
    """The ceilings record from the raw measurements: per ``dtype/threads`` the best BLAS
    GEMM (and its core type), the FMA figure, the ceiling (the highest of them and of the
    ceilings of fewer threads) and its source; per thread count the triad bandwidth; the raw
    results beside them."""
    compute: dict[str, float] = {}
    source: dict[str, str] = {}
    best, best_type, detected = {}, {}, {}
    for dtype in ("float64", "float32"):
        for t in threads:
            k = key(dtype, t)
            name, gemm = _best_blas(blas, k)
            flops = (fma.get("gflops") or {}).get(k)
            det = ((blas.get("detected") or {}).get("gflops") or {}).get(k)
            if det is not None:
                detected[k] = float(det)
            if gemm is not None:
                best[k], best_type[k] = gemm, name
            candidates = {f"blas {name}": gemm, "fma": flops}
            known = {s: float(v) for s, v in candidates.items() if v is not None}
            fewer = [key(dtype, u) for u in threads if u < t and key(dtype, u) in compute]
            # more threads never lower the machine's ceiling: a lower figure was measured
            # while other work held a core
            known |= {f"{source[f]} ({f.split('/')[1]} thread)": compute[f] for f in fewer}
            if known:
                source[k] = max(known, key=lambda s: known[s])
                compute[k] = known[source[k]]
    f64 = {n: (r.get("gflops") or {}).get(key("float64", 1), 0.0) for n, r in blas.items()}
    return {
        "method": METHOD, "measured_at": measured_at, "measure_seconds": round(seconds, 1),
        "threads": list(threads), "l2_bytes": l2_bytes,
        "compute_gflops": compute, "compute_source": source,
        "blas_best_gflops": best, "blas_best_coretype": best_type,
        "blas_detected_gflops": detected,
        "blas_detected_architecture": (blas.get("detected") or {}).get("architecture"),
        "best_coretype": max(f64, key=lambda n: f64[n]) if any(f64.values()) else None,
        "bandwidth_gb_per_s": dict(triad.get("gb_per_s") or {}),
        "blas": dict(blas), "fma": dict(fma), "triad": dict(triad),
    }  # fmt: skip


def yardstick(machine: Mapping[str, Any], dtype: str, threads: int) -> tuple[float, str] | None:
    """(GFLOP/s, basis) a CPU figure is a share of: the measured ceiling (:data:`CEILING`),
    never below the numpy GEMM the same run measured (the ceiling is the highest compute
    figure measured on the machine), or for a run without a ceiling its numpy GEMM
    (:data:`BLAS_GEMM`); None if neither is known."""
    ceil = ((machine.get("ceilings") or {}).get("compute_gflops") or {}).get(key(dtype, threads))
    gemm = (machine.get("gemm_peak_gflops") or {}).get(key(dtype, threads))
    if ceil:
        return max(float(ceil), float(gemm or 0.0)), CEILING
    return (float(gemm), BLAS_GEMM) if gemm else None


def bandwidth(machine: Mapping[str, Any], threads: int) -> float | None:
    """Triad GB/s of the machine on ``threads`` threads, or None if not measured."""
    value = ((machine.get("ceilings") or {}).get("bandwidth_gb_per_s") or {}).get(str(threads))
    return float(value) if value else None


def bytes_per_sample(
    sizes: Sequence[int], mini_batch: int, itemsize: int, l2_bytes: int | None
) -> float:
    """Bytes of memory traffic per training sample (the module's bytes model)."""
    s = [int(v) for v in sizes]
    params = sum(s[i + 1] * s[i] + s[i + 1] for i in range(len(s) - 1))
    per_sample = s[0] * itemsize + 2 * INDEX_BYTES
    in_cache = l2_bytes is not None and params * itemsize <= l2_bytes
    return per_sample + (0.0 if in_cache else 4.0 * params * itemsize / mini_batch)


def bound(
    machine: Mapping[str, Any], dtype: str, threads: int, intensity: float | None
) -> str | None:
    """:data:`COMPUTE` or :data:`MEMORY` at ``intensity`` FLOP/byte against this machine's
    ridge point (ceiling / bandwidth), or None without a measured ceiling and bandwidth."""
    stick, bw = yardstick(machine, dtype, threads), bandwidth(machine, threads)
    if intensity is None or stick is None or stick[1] != CEILING or bw is None:
        return None
    return COMPUTE if intensity >= stick[0] / bw else MEMORY


def share_text(share: float | None, basis: str | None, where: str | None = None) -> str:
    """A peak cell: ``54% compute`` (share of the ceiling, and the bound), ``43% of BLAS
    GEMM`` for older runs, ``—`` when unknown. A share above 100 % cannot be a real figure
    (the ceiling was measured on a busy machine): it is shown with ``!``."""
    if share is None or basis is None:
        return "—"
    text = f"{share:.0%}" + ("!" if share > 1.0 else "")
    if basis == BLAS_GEMM:
        return f"{text} of {BLAS_GEMM}"
    return f"{text} {where}" if where else text
