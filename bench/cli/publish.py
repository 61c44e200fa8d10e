"""The ``publish`` subcommand: a static site from result files (registered through
``bench.cli.main.COMMAND_MODULES``).

``mlpbench publish [RESULTS …] --out site/`` reads pytest-benchmark and mlpbench run JSON
(files or folders, default ``results/``), builds the site of :mod:`bench.publish.site` and writes
it into ``--out`` as a whole: it is built in a temporary folder next to ``--out`` and then
swapped in, so a reader never sees half a site. ``--out`` must be new, empty or a site
written before (it holds the ``.mlpbench-site`` marker); anything else is refused (exit 2)
rather than overwritten. JSON files that are neither kind are skipped with a warning, and
so are the raw copies inside any published site.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from bench.config import ConfigError
from bench.progress import stdout_console
from bench.publish.compare import Source, expand, load_source
from bench.publish.site import MARKER, build_site
from bench.write_errors import naming


def load_for_site(paths: list[Path], out: Path) -> list[Source]:
    """Every readable result file under ``paths`` except those inside ``out`` (folders skip
    any published site by themselves: :func:`bench.publish.compare.expand`)."""
    err = Console(stderr=True)
    skip = out.resolve()
    sources = []
    for p in expand(paths):
        if p.resolve().is_relative_to(skip):
            continue  # the copies inside the site being rebuilt
        try:
            sources.append(load_source(p))
        except ConfigError as e:
            err.print(f"[yellow]warning:[/] skipped {escape(str(p))}: {escape(str(e))}")
    if not sources:
        raise ConfigError("RESULTS", "no pytest-benchmark or mlpbench run JSON among "
                          f"{', '.join(map(str, paths))}")  # fmt: skip
    return sources


def check_out(out: Path) -> None:
    """Refuse an ``--out`` that is a file or a folder holding something other than a site."""
    if out.exists() and not out.is_dir():
        raise ConfigError("--out", f"{out} is a file; give a folder such as site/")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).exists():
        raise ConfigError("--out", f"{out} is not empty and was not written by mlpbench "
                          "publish; give a new or empty folder")  # fmt: skip


def write_site(files: dict[str, bytes], out: Path) -> None:
    """Write ``files`` into a fresh folder next to ``out``, then replace ``out`` with it.

    A full disk or missing permission raises a WriteError naming the file of the site that
    could not be written; the temporary folder is removed and an earlier site is untouched.
    """
    with naming(out):
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        for rel, data in files.items():
            path = tmp / rel
            with naming(out / rel):  # the earlier site stays as it was
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
        old = out.with_name(f".{out.name}-old")
        if old.exists():
            shutil.rmtree(old)
        if out.exists():
            out.rename(old)
        tmp.rename(out)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def cmd_publish(args: argparse.Namespace) -> int:
    """``mlpbench publish``: build the site and print where its pages are."""
    out = Path(args.out)
    check_out(out)
    paths = [Path(p) for p in args.paths] or [Path("results")]
    sources = load_for_site(paths, out)
    files = build_site(sources, baseline=args.baseline)
    write_site(files, out)
    pages = sorted(p for p in files if p.endswith(".html"))
    stdout_console().print(
        f"site written: {out}/index.html ({len(pages)} pages, {len(sources)} result files)"
    )
    return 0


def register(sub: Any) -> None:
    """Add ``publish`` to the ``mlpbench`` subparsers."""
    p = sub.add_parser("publish", help="build a static HTML site (tables, SVG plots, raw JSON) "
                       "from result files of any number of machines")  # fmt: skip
    p.add_argument("paths", nargs="*", metavar="RESULTS",
                   help="pytest-benchmark or mlpbench run JSON files or folders "
                   "(default: results/)")  # fmt: skip
    p.add_argument(
        "--out",
        required=True,
        metavar="DIR",
        help="folder to write the site into (new, empty or an earlier site)",
    )
    p.add_argument("--baseline", default=None, metavar="MACHINE",
                   help="machine the ratios compare to: number (1 = first), id (m2) or "
                   "text of its label (default: the first machine)")  # fmt: skip
    p.set_defaults(handler=cmd_publish)
