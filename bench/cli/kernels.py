"""``mlpbench kernels tune`` and ``mlpbench kernels show``: the per-machine kernel choices.

``tune`` times every candidate kernel path (:mod:`kernels.paths`) for each shape asked for
and merges the winners into the tuning file (:mod:`bench.kernel_tuning`); it prints one row
per shape with every candidate's samples/s and the chosen path. ``show`` prints the file's
choices (or says there is none, and that the documented defaults are in use).
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

from rich import box
from rich.console import Console
from rich.table import Table

from bench.cli.options import positive_ints
from bench.config import DTYPES, ConfigError
from bench.kernel_tuning import (
    Tuned,
    load_wisdom,
    save_wisdom,
    shapes,
    tunable_backends,
    tune_shape,
    wisdom_path,
)
from bench.progress import stdout_console
from kernels.paths import ALL_PATHS, default_path


def _names(option: str, text: str, allowed: tuple[str, ...]) -> tuple[str, ...]:
    out = tuple(v.strip() for v in text.split(",") if v.strip())
    bad = [v for v in out if v not in allowed]
    if bad:
        raise ConfigError(option, f"unknown value {bad[0]!r}; choose from {', '.join(allowed)}")
    return out


def tune_table(rows: list[Tuned]) -> Table:
    """One row per shape: samples/s of every candidate path timed, the chosen one in bold."""
    paths = [p for p in ALL_PATHS if any(p in r.samples_per_s for r in rows)]
    table = Table(
        box=box.SIMPLE_HEAD,
        title="kernel paths: samples/s per candidate (higher is better)",
        caption="best of the repeats, candidates interleaved; chosen: the fastest, "
        "saved in the tuning file; —: not a candidate for this shape",
    )
    for name in ("backend", "dtype", "threads", "batch", *paths, "chosen"):
        table.add_column(
            name, justify="left" if name in ("backend", "dtype", "chosen") else "right"
        )
    for r in rows:
        s = r.shape
        cells = [
            f"[bold]{r.samples_per_s[p]:,.0f}[/]" if p == r.chosen
            else (f"{r.samples_per_s[p]:,.0f}" if p in r.samples_per_s else "—")
            for p in paths
        ]  # fmt: skip
        table.add_row(s.backend, s.dtype, str(s.threads), str(s.mini_batch), *cells, r.chosen)
    return table


def cmd_tune(args: argparse.Namespace) -> int:
    """Time the candidates of every shape asked for and save the winners."""
    sizes = positive_ints("--sizes", args.sizes)
    batches = positive_ints("--batch-sizes", args.batch_sizes)
    threads = positive_ints("--threads", args.threads)
    dtypes = _names("--dtype", args.dtype, DTYPES)
    backends = _names("--backend", args.backend, tunable_backends())
    exclude = _names("--exclude", args.exclude, ALL_PATHS) if args.exclude else ()
    if len(sizes) < 2:
        raise ConfigError("--sizes", f"{args.sizes!r} has fewer than 2 layers; e.g. 784,30,10")
    if args.repeats < 1:
        raise ConfigError("--repeats", f"{args.repeats} is < 1; use 1 or more")
    if args.samples < 1:
        raise ConfigError("--samples", f"{args.samples} is < 1; use e.g. 4000")
    todo = shapes(backends, sizes, dtypes, threads, batches)
    out = stdout_console()
    rows = []
    with out.status("timing kernel paths") as status:
        for shape in todo:
            status.update(f"timing {shape.key()}")
            try:
                rows.append(tune_shape(shape, repeats=args.repeats, samples=args.samples,
                                       exclude=exclude))  # fmt: skip
            except ValueError as err:
                raise ConfigError("--exclude", f"{err}; exclude fewer paths") from None
    table = tune_table(rows)
    wide = Console(width=max(out.width, 150)) if out.width < 150 else out  # no cut-off names
    wide.print(table)
    path = save_wisdom(rows, Path(args.file) if args.file else None)
    out.print(f"tuning file saved: {path}")
    return 0


def show_table(choices: dict[str, dict[str, object]]) -> Table:
    """The tuning file's choices, one row per shape key."""
    table = Table(box=box.SIMPLE_HEAD, title="kernel paths chosen on this machine")
    for name in ("shape (backend|sizes|dtype|threads|batch)", "chosen", "samples/s"):
        table.add_column(name, justify="right" if name == "samples/s" else "left")
    for key in sorted(choices):
        c = choices[key]
        rates = c.get("samples_per_s") or {}
        rate = rates.get(c["path"]) if isinstance(rates, dict) else None
        table.add_row(key, str(c["path"]), f"{rate:,.0f}" if isinstance(rate, float) else "—")
    return table


def cmd_show(args: argparse.Namespace) -> int:
    """Print the tuning file's choices, or the defaults in use when there is none."""
    out = stdout_console()
    path = Path(args.file) if args.file else wisdom_path()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        choices = load_wisdom(path)
    for w in caught:
        out.print(f"[yellow]warning:[/] {w.message}", highlight=False)
    if not choices:
        out.print(f"no usable tuning file at {path}: training uses the documented defaults")
        for mb in (1, 10, 100, 1000):
            out.print(f"  numba mini-batch {mb}: {default_path('numba', mb)}")
        return 0
    out.print(show_table(choices))
    out.print(f"tuning file: {path}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``kernels tune`` and ``kernels show`` to the ``mlpbench`` parser."""
    kernels = sub.add_parser("kernels", help="autotune the kernel paths on this machine")
    ksub = kernels.add_subparsers(dest="kernels_command", required=True, metavar="ACTION")
    tune = ksub.add_parser("tune", help="time every candidate path per shape; save the fastest")
    tunable = tunable_backends()
    tune.add_argument(
        "--backend", default=",".join(tunable), help=f"backends ({', '.join(tunable)})"
    )
    tune.add_argument("--sizes", default="784,30,10", help="layer sizes (784,30,10)")
    tune.add_argument("--dtype", default="float64,float32", help="dtypes (both)")
    tune.add_argument("--threads", default="1,2", help="numba-parallel thread counts (1,2)")
    tune.add_argument("--batch-sizes", default="1,10,100,1000", help="(1,10,100,1000)")
    tune.add_argument("--repeats", type=int, default=3, help="timed calls per candidate (3)")
    tune.add_argument("--samples", type=int, default=4000, help="samples per timed call (4000)")
    tune.add_argument("--exclude", default="", help="paths to leave out, e.g. fused-mb1,blas")
    tune.add_argument("--file", default=None, help="tuning file (default: the user cache)")
    tune.set_defaults(handler=cmd_tune)
    show = ksub.add_parser("show", help="print the tuning file's choices")
    show.add_argument("--file", default=None, help="tuning file (default: the user cache)")
    show.set_defaults(handler=cmd_show)
