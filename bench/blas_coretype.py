"""Does the installed OpenBLAS run kernels as wide as the CPU? Which core type fixes it?

OpenBLAS built with ``DYNAMIC_ARCH`` (numpy's and scipy's wheels) picks its kernels from
the CPUID it knows. On a CPU newer than the build (an AMD Zen 5 under OpenBLAS 0.3.31, for
one) it falls back to an older family: ``threadpoolctl`` then reports ``architecture:
Haswell`` (256-bit AVX2 kernels) on a CPU whose flags have ``avx512f``, and GEMM runs at
about half its width. ``OPENBLAS_CORETYPE=SkylakeX``, set before the library loads, makes
it use its AVX-512 kernels.

This module decides that from plain data (``threadpoolctl``'s answer, :func:`blas_info`, and
the CPU flags, :func:`cpu_flags`), so it is testable on a faked answer, and imports nothing
heavy: the ``mlpbench`` console entry (:mod:`bench.cli.entry`) uses it before the rest of
mlpbench loads. The environment variables it reads and writes are the whole interface:

* ``OPENBLAS_CORETYPE``: the user's choice, never overridden;
* ``MLPBENCH_SET_CORETYPE``: set (to the core type) when mlpbench itself set
  ``OPENBLAS_CORETYPE``, so a run can record who chose the kernels.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

CORETYPE_ENV = "OPENBLAS_CORETYPE"
SET_BY_MLPBENCH_ENV = "MLPBENCH_SET_CORETYPE"

# Vector width in bits of the GEMM kernels of each OpenBLAS x86 core type (as threadpoolctl
# reports it: openblas_get_corename). Zen and Excavator use Haswell-class AVX2 kernels.
KERNEL_BITS = {
    "sapphirerapids": 512, "cooperlake": 512, "skylakex": 512,
    "haswell": 256, "zen": 256, "excavator": 256,
    "sandybridge": 256, "bulldozer": 256, "piledriver": 256, "steamroller": 256,
    "nehalem": 128, "penryn": 128, "core2": 128, "dunnington": 128, "atom": 128,
    "barcelona": 128, "opteron": 128, "opteron_sse3": 128, "prescott": 128,
    "katmai": 128, "coppermine": 128, "northwood": 128, "bobcat": 128, "nano": 128,
}  # fmt: skip
_AVX512 = {"avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"}  # x86-64-v4


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> set[str]:
    """The CPU's feature flags from ``/proc/cpuinfo`` (Linux), or an empty set elsewhere."""
    try:
        for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("flags"):
                return set(line.partition(":")[2].split())
    except OSError:
        pass
    return set()


def blas_info() -> list[dict[str, Any]]:
    """BLAS/OpenMP libraries loaded in this process (threadpoolctl), as plain dicts."""
    try:
        from threadpoolctl import threadpool_info

        return [
            {k: v for k, v in lib.items() if k in ("internal_api", "version", "num_threads",
                                                   "architecture", "user_api")}
            for lib in threadpool_info()
        ]  # fmt: skip
    except Exception:
        return []


def cpu_vector_bits(flags: Iterable[str]) -> int | None:
    """Widest FMA vector the CPU flags allow: 512 (AVX-512 F/BW/CD/DQ/VL), 256 (AVX2 + FMA),
    128 (SSE2), or None when the flags are unknown (empty)."""
    have = {f.lower() for f in flags}
    if not have:
        return None
    if have >= _AVX512:
        return 512
    return 256 if {"avx2", "fma"} <= have else 128


def coretype_for(flags: Iterable[str]) -> list[str]:
    """OpenBLAS core types whose kernels this CPU can run, widest first (x86 only).

    SapphireRapids needs AMX-BF16 and AVX512-FP16, Cooperlake AVX512-BF16, SkylakeX the
    x86-64-v4 set, Haswell AVX2 + FMA (Zen: the same kernels, AMD's blocking).
    """
    have = {f.lower() for f in flags}
    out = []
    if have >= _AVX512:
        if {"amx_bf16", "avx512_fp16"} <= have:
            out.append("SapphireRapids")
        if "avx512_bf16" in have:
            out.append("Cooperlake")
        out.append("SkylakeX")
    if {"avx2", "fma"} <= have:
        out.append("Haswell")
        if "svm" in have or "sse4a" in have:  # an AMD CPU
            out.append("Zen")
    return out


def narrow_blas(libs: Sequence[Mapping[str, Any]], flags: Iterable[str]) -> str | None:
    """The architecture of the first OpenBLAS in ``libs`` (threadpoolctl's ``threadpool_info``
    dicts) whose kernels are narrower than the CPU, or None if none is (or it is unknown)."""
    cpu = cpu_vector_bits(flags)
    for lib in libs:
        arch = str(lib.get("architecture") or "")
        bits = KERNEL_BITS.get(arch.lower())
        if lib.get("internal_api") == "openblas" and cpu and bits and bits < cpu:
            return arch
    return None


def fix_for(flags: Iterable[str]) -> str | None:
    """The core type that runs the CPU's widest kernels: SkylakeX on AVX-512 (the most
    widely built AVX-512 kernels; the ceiling measurement tries the newer ones), Haswell on
    AVX2, None otherwise."""
    bits = cpu_vector_bits(flags)
    return "SkylakeX" if bits == 512 else "Haswell" if bits == 256 else None


def set_by() -> str | None:
    """Who chose ``OPENBLAS_CORETYPE`` in this process: ``"mlpbench"``, ``"user"`` or None."""
    value = os.environ.get(CORETYPE_ENV)
    if not value:
        return None
    return "mlpbench" if os.environ.get(SET_BY_MLPBENCH_ENV) == value else "user"


def user_environment() -> dict[str, str]:
    """This process's environment as the user gave it: without the ``OPENBLAS_CORETYPE``
    mlpbench set itself (for children that must run the BLAS as installed)."""
    env = dict(os.environ)
    if set_by() == "mlpbench":
        env.pop(CORETYPE_ENV, None)
    env.pop(SET_BY_MLPBENCH_ENV, None)
    return env


def coretype_record(libs: Sequence[Mapping[str, Any]], flags: Iterable[str]) -> dict[str, Any]:
    """What ran, for the run's ``machine_info``: OpenBLAS architecture(s), the core type
    asked for, who asked, and the narrower-than-CPU architecture with its fix, if any."""
    flags = set(flags)
    narrow = narrow_blas(libs, flags)
    return {
        "architectures": sorted(
            {str(b.get("architecture")) for b in libs if b.get("internal_api") == "openblas"}
        ),
        "openblas_coretype": os.environ.get(CORETYPE_ENV),
        "set_by": set_by(),
        "narrower_than_cpu": narrow,
        "fix": f"{CORETYPE_ENV}={fix_for(flags)}" if narrow else None,
    }


def advice(arch: str, flags: Iterable[str]) -> str:
    """One line: OpenBLAS runs ``arch`` kernels narrower than this CPU, and the fix."""
    flags = set(flags)
    cpu = {512: "AVX-512", 256: "AVX2"}.get(cpu_vector_bits(flags) or 0, "this")
    fix = fix_for(flags)
    bits = KERNEL_BITS.get(arch.lower(), 0)
    who = set_by()
    if who == "user":
        return (f"mlpbench: note: OPENBLAS_CORETYPE={os.environ.get(CORETYPE_ENV)} (yours, kept) "
                f"runs {bits}-bit {arch} kernels on this {cpu} CPU; "
                f"{CORETYPE_ENV}={fix} would use its full width")  # fmt: skip
    return (f"mlpbench: note: OpenBLAS chose {bits}-bit {arch} kernels on this {cpu} CPU; "
            f"fix: export {CORETYPE_ENV}={fix} (the mlpbench command sets it for itself "
            "unless you set it)")  # fmt: skip


def announce(message: str, _said: set[str] = set()) -> None:  # noqa: B006 (once per process)
    """Print ``message`` on stderr the first time it is given in this process."""
    if message not in _said:
        _said.add(message)
        print(message, file=sys.stderr, flush=True)
