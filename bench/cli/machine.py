"""``mlpbench machine``: this machine's measured ceilings, and on request a roofline plot.

Prints the machine's label, which OpenBLAS kernels run (and who chose them), and per dtype
and thread count: the numpy GEMM as detected, the best GEMM over the OpenBLAS core types
(which one), the FMA micro-kernel, the ceiling (the higher) and the ceiling over the
detected GEMM; per thread count the triad bandwidth and the ridge point; the FMA loop's
assembly check. The figures come from the cache (:mod:`bench.ceiling`); ``--remeasure``
measures again. ``--plot PATH`` draws the roofline with every kernel path at the mini-batch
sizes of a sweep (``--batch-sizes``), or with the configurations of ``--run RUN.json``.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from rich import box
from rich.table import Table

from bench.cli.options import positive_ints
from bench.config import ConfigError
from bench.progress import stdout_console
from bench.roofline import key


def _g(value: Any) -> str:
    return "—" if value is None else f"{float(value):,.1f}"


def ceilings_table(ceil: dict[str, Any]) -> Table:
    """Per dtype/threads: detected GEMM, best GEMM (core type), FMA, ceiling, ceiling/detected."""
    table = Table(
        box=box.SIMPLE_HEAD,
        title="compute ceilings, GFLOP/s",
        caption="GEMM: numpy n×n matmul, best of the repeats, one process per OpenBLAS core "
        "type; FMA: mlpbench's register-resident FMA loop (kernels/ceiling.py); ceiling: "
        "the higher, the yardstick of every peak share",
    )
    for name in ("dtype", "threads", "GEMM as detected", "best GEMM", "core type", "FMA loop",
                 "ceiling", "source", "ceiling ÷ detected"):  # fmt: skip
        table.add_column(name, justify="left" if name in ("dtype", "core type", "source")
                         else "right")  # fmt: skip
    fma = (ceil.get("fma") or {}).get("gflops") or {}
    for dtype in ("float64", "float32"):
        for t in ceil.get("threads") or []:
            k = key(dtype, t)
            det = (ceil.get("blas_detected_gflops") or {}).get(k)
            top = (ceil.get("compute_gflops") or {}).get(k)
            table.add_row(
                dtype, str(t), _g(det), _g((ceil.get("blas_best_gflops") or {}).get(k)),
                _coretype(ceil, (ceil.get("blas_best_coretype") or {}).get(k)), _g(fma.get(k)),
                _g(top), str((ceil.get("compute_source") or {}).get(k) or "—"),
                f"{top / det:.2f}×" if top and det else "—",
            )  # fmt: skip
    return table


def _coretype(ceil: dict[str, Any], name: str | None) -> str:
    """A core type as measured: ``detected (SkylakeX)`` names what OpenBLAS chose itself."""
    if name == "detected":
        return f"detected ({ceil.get('blas_detected_architecture')})"
    return name or "—"


def memory_table(ceil: dict[str, Any]) -> Table:
    """Per thread count: triad GB/s and the ridge point (FLOP/byte) per dtype."""
    table = Table(box=box.SIMPLE_HEAD, title="memory ceiling (STREAM triad)",
                  caption="ridge: the arithmetic intensity (FLOP/byte) where the compute "
                  "ceiling meets the bandwidth; below it a kernel is memory-bound")  # fmt: skip
    for name in ("threads", "GB/s", "ridge float64", "ridge float32"):
        table.add_column(name, justify="right")
    for t, bw in sorted((ceil.get("bandwidth_gb_per_s") or {}).items()):
        comp = ceil.get("compute_gflops") or {}
        ridges = [comp.get(key(d, int(t))) for d in ("float64", "float32")]
        table.add_row(str(t), _g(bw), *(f"{r / bw:.1f}" if r and bw else "—" for r in ridges))
    return table


def _describe(ceil: dict[str, Any], path: Path) -> list[str]:
    fma = ceil.get("fma") or {}
    asm = (fma.get("asm") or {}).get("float64") or {}
    triad = ceil.get("triad") or {}
    errors = [f"{n}: {r['error']}" for n, r in (ceil.get("blas") or {}).items() if "error" in r]
    where = "from the cache" if ceil.get("cached") else "measured now"
    return [
        f"FMA loop: {fma.get('accumulators')} accumulators of {fma.get('vector_bytes')} bytes; "
        f"assembly: {asm.get('fma_instructions')} FMAs on {asm.get('vector_register')} "
        f"registers, {asm.get('memory_operands')} with a memory operand",
        f"triad arrays: {int(triad.get('array_bytes') or 0) / 2**20:,.0f} MiB each "
        f"(last-level cache {int(triad.get('llc_bytes') or 0) / 2**20:,.0f} MiB)",
        f"OpenBLAS as detected: {ceil.get('blas_detected_architecture')}; best core type "
        f"(float64, one thread): {ceil.get('best_coretype')}",
        *(f"core type that failed: {e}" for e in errors),
        f"ceilings {where} ({ceil.get('measured_at')}, took {ceil.get('measure_seconds')} s): "
        f"{path}",
    ]


def cmd_machine(args: argparse.Namespace) -> int:
    """Print the machine's ceilings (measuring them if the cache has none); plot on request."""
    from bench import ceiling as ce
    from bench.cpu_identity import hardware_label
    from bench.machine import machine_info

    batches = positive_ints("--batch-sizes", args.batch_sizes)
    run = None
    if args.run:
        from bench.results import load_run

        run = load_run(Path(args.run))
    if args.plot:
        _check_plot_path(Path(args.plot))
    out = stdout_console()
    info = machine_info(peak=False)
    core = info.get("blas_coretype") or {}
    out.print(f"machine: {hardware_label(info)}", highlight=False)
    out.print(f"OpenBLAS kernels running: {', '.join(core.get('architectures') or ['—'])}; "
              f"OPENBLAS_CORETYPE={core.get('openblas_coretype') or '(unset)'}"
              + (f" (set by {core['set_by']})" if core.get("set_by") else ""),
              highlight=False)  # fmt: skip
    if core.get("narrower_than_cpu"):
        out.print(f"[yellow]narrower than the CPU:[/] fix: export {core['fix']}", highlight=False)
    if not ce.enabled() and not args.remeasure:
        out.print("ceilings switched off (MLPBENCH_CEILINGS=off); unset it to measure")
        return 0
    path = ce.cache_path() if ce.enabled() else Path(os.devnull)
    ceil = ce.ceilings(refresh=args.remeasure, path=None if ce.enabled() else path)
    assert ceil is not None  # enabled, or a path was given
    out.print(ceilings_table(ceil))
    out.print(memory_table(ceil))
    for line in _describe(ceil, path):
        out.print(line, highlight=False)
    if args.plot:
        _plot(ceil, Path(args.plot), batches, run, hardware_label(info))
        out.print(f"roofline saved: {args.plot}")
    return 0


def _check_plot_path(path: Path) -> None:
    if path.is_dir():
        raise ConfigError("--plot", f"{path} is a folder; give a file name such as roofline.png")
    if path.suffix.lower() not in (".png", ".svg", ".pdf"):
        raise ConfigError("--plot", f"{path}: give a .png, .svg or .pdf file name")
    if not path.parent.exists():
        raise ConfigError("--plot", f"folder {path.parent} does not exist; create it first")


def _plot(ceil: dict[str, Any], path: Path, batches: tuple[int, ...], run: Any,
          label: str) -> None:  # fmt: skip
    from bench.plots import save_figure
    from bench.roofline_plot import path_points, roofline_figure, run_points

    if run is not None:
        points = run_points(run)
        own = run.machine.get("ceilings")
        ceil = own or ceil
        roof = "its machine's roof" if own else "this machine's roof (the run recorded none)"
        title = f"roofline — {run.run_id} on {roof} — {label}"
    else:
        points = path_points(ceil, (784, 30, 10), batches, ceil.get("threads") or [1])
        title = f"roofline — {label} — the kernel paths of [784, 30, 10], each on its roof"
    save_figure(roofline_figure(ceil, points, title=title), path)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``machine`` to the ``mlpbench`` parser."""
    p = sub.add_parser("machine", help="this machine's measured compute and memory ceilings")
    p.add_argument("--remeasure", action="store_true", help="measure again (about 30 s)")
    p.add_argument("--plot", default=None, metavar="PATH", help="save a roofline plot here")
    p.add_argument("--run", default=None, metavar="RUN.json",
                   help="plot this run's configurations instead of every path")  # fmt: skip
    p.add_argument("--batch-sizes", default="1,10,100",
                   help="mini-batch sizes of the plotted paths (1,10,100)")  # fmt: skip
    p.set_defaults(handler=cmd_machine)
