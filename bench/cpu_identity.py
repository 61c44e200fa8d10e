"""Which CPU this is: its brand, CPUID identity, vector ISA level and micro-architecture,
and a short label that tells machines apart.

Plain facts read from py-cpuinfo (or given as its dict, so they are testable on a faked
answer); nothing here measures. :mod:`bench.machine` puts them into a run's machine record;
:mod:`bench.ceiling` and :mod:`bench.kernel_tuning` key their caches by them.
"""

from __future__ import annotations

import functools
import platform
import re
from collections.abc import Iterable, Mapping
from typing import Any


def read_cpuinfo() -> dict[str, Any]:
    """py-cpuinfo's dict, or {} where it fails: probed once per process (each probe runs
    CPUID in a subprocess, about 0.15 s; a sweep asked three times), a copy each call."""
    return dict(_probe_cpu())


@functools.cache
def _probe_cpu() -> dict[str, Any]:
    try:
        import cpuinfo

        return dict(cpuinfo.get_cpu_info())
    except Exception:  # py-cpuinfo can fail on unusual platforms
        return {}


def cpu_model(info: Mapping[str, Any] | None = None) -> str:
    """CPU brand string (py-cpuinfo's ``info``, read if not given), or the platform's name."""
    brand = (read_cpuinfo() if info is None else info).get("brand_raw")
    return str(brand) if brand else platform.processor() or platform.machine()


# x86-64 micro-architecture levels (psABI): the flags each adds, as Linux/py-cpuinfo name them.
_X86_LEVELS = (
    ("AVX-512", {"avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"}),
    ("AVX2", {"avx2", "fma", "bmi1", "bmi2", "f16c", "movbe"}),
    ("SSE4.2", {"sse4_2", "popcnt", "ssse3", "cx16"}),
)
# (vendor, family, first model, last model, micro-architecture, EPYC series for a bare brand)
_UARCH = (
    ("AuthenticAMD", 0x17, 0x00, 0x2F, "Zen", "7xx1"),
    ("AuthenticAMD", 0x17, 0x30, 0xAF, "Zen 2", "7xx2"),
    ("AuthenticAMD", 0x19, 0x00, 0x0F, "Zen 3", "7xx3"),
    ("AuthenticAMD", 0x19, 0x10, 0x1F, "Zen 4", "9xx4"),
    ("AuthenticAMD", 0x19, 0x20, 0x5F, "Zen 3", "7xx3"),
    ("AuthenticAMD", 0x19, 0x60, 0xAF, "Zen 4", "9xx4"),
    ("AuthenticAMD", 0x1A, 0x00, 0xFF, "Zen 5", "9xx5"),
    ("GenuineIntel", 6, 0x3F, 0x3F, "Haswell", None),
    ("GenuineIntel", 6, 0x4F, 0x4F, "Broadwell", None),
    ("GenuineIntel", 6, 0x55, 0x55, "Skylake/Cascade Lake", None),
    ("GenuineIntel", 6, 0x6A, 0x6C, "Ice Lake", None),
    ("GenuineIntel", 6, 0x8F, 0x8F, "Sapphire Rapids", None),
    ("GenuineIntel", 6, 0xAD, 0xAE, "Granite Rapids", None),
    ("GenuineIntel", 6, 0xCF, 0xCF, "Emerald Rapids", None),
)


def short_cpu(brand: str) -> str:
    """A CPU brand string without trademarks, 'CPU', 'Processor', core count and clock speed."""
    text = re.sub(r"\((R|TM|tm|r)\)|\bCPU\b|\bProcessor\b|@.*$|\d+-Core", " ", brand)
    return " ".join(text.split()) or brand


def isa_level(flags: Iterable[str], arch: str = "x86_64") -> str | None:
    """Widest vector ISA level the CPU flags cover: AVX-512, AVX2, SSE4.2, SSE2; NEON/SVE on Arm.

    x86 levels follow the x86-64-v2/v3/v4 psABI flag sets (AVX-512 = v4: F, BW, CD, DQ, VL).
    None when ``flags`` is empty (unknown, not "no ISA").
    """
    have = {f.lower() for f in flags}
    if not have:
        return None
    if arch.lower() in ("aarch64", "arm64", "arm_8"):
        return "SVE" if "sve" in have else "NEON" if have & {"asimd", "neon"} else "Arm"
    for name, needed in _X86_LEVELS:
        if needed <= have:
            return name
    return "SSE2"


def microarchitecture(vendor: str | None, family: int | None, model: int | None) -> str | None:
    """Micro-architecture name (e.g. "Zen 4") from the CPUID vendor, family and model, or None."""
    for v, fam, lo, hi, name, _ in _UARCH:
        if vendor == v and family == fam and model is not None and lo <= model <= hi:
            return name
    return None


def _epyc_series(vendor: str | None, family: int | None, model: int | None) -> str | None:
    for v, fam, lo, hi, _, series in _UARCH:
        if vendor == v and family == fam and model is not None and lo <= model <= hi:
            return series
    return None


def cpu_identity(info: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """CPUID vendor, family, model and the ISA level of this CPU, from py-cpuinfo's ``info``
    (read if not given); None values where unknown."""
    info = read_cpuinfo() if info is None else info
    return {
        "cpu_vendor": info.get("vendor_id_raw"),
        "cpu_family": info.get("family"),
        "cpu_model_number": info.get("model"),
        "isa": isa_level(info.get("flags") or [], str(info.get("arch_string_raw") or "x86_64")),
    }


def hardware_label(info: Mapping[str, Any]) -> str:
    """A label that tells machines apart, e.g. "AMD EPYC 9xx4 · Zen 4 · AVX-512 · 2 cores".

    ``info`` is a machine dict (:func:`bench.machine.machine_info`, or a pytest-benchmark
    ``machine_info`` flattened the same way): ``cpu`` (brand string), optional ``cpu_vendor``,
    ``cpu_family``, ``cpu_model_number``, ``isa`` (or ``flags``) and ``cores``. A bare "AMD
    EPYC" brand (as virtual machines report it) gets its series (9xx4 …) from the family and
    model.
    """
    name = short_cpu(str(info.get("cpu") or "unknown CPU"))
    vendor, family, model = (
        info.get("cpu_vendor"),
        info.get("cpu_family"),
        info.get("cpu_model_number"),
    )
    series = _epyc_series(vendor, family, model)
    if name == "AMD EPYC" and series:
        name = f"AMD EPYC {series}"
    isa = info.get("isa") or isa_level(
        info.get("flags") or [], str(info.get("machine") or "x86_64")
    )
    cores = info.get("cores")
    parts = [name, microarchitecture(vendor, family, model), isa,
             f"{cores} cores" if cores else None]  # fmt: skip
    return " · ".join(p for p in parts if p)
