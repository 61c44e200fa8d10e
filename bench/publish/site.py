"""``mlpbench publish``: a static site that puts machines side by side.

From loaded sources (:mod:`bench.publish.compare`: pytest-benchmark and mlpbench run JSON from any
number of machines and dates) it builds, as a mapping of relative path → bytes:

* ``index.html``: one row per machine (CPU, micro-architecture, ISA, cores, GPU, library
  versions, GEMM peak), every run with its date, commit and raw JSON, the headline table
  (mlpbench's best backend vs its peers per mini-batch size), links to the suite pages and
  the plots;
* ``suite-<name>.html``: one page per suite (``bench_batch_size`` …, or a run kind), one
  sortable table per benchmark group, machines side by side with ratios to the baseline;
* ``plots/*.svg``: samples/s by mini-batch per machine and backend, the peers chart,
  validation accuracy vs training seconds per sweep, throughput over commits where one
  machine has runs from several commits;
* ``data/<machine>/<file>.json``: byte copies of every file used (strict JSON: a file
  holding ``NaN`` is written again with ``null``, :func:`strict_copy`).

Links are relative; nothing is fetched from the network. The same inputs give the same
bytes (no build time, fixed SVG ids), so the site can be committed and rebuilt.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bench import strict_json
from bench.config import ConfigError
from bench.cpu_identity import hardware_label, isa_level, microarchitecture
from bench.publish.compare import PYTEST_BENCHMARK, SITE_MARKER, Entry, Source, ratio
from bench.publish.html import Block, Cell, HtmlTable, from_rich, page
from bench.publish.publish import peer_entries, peers_table
from bench.publish.significance import difference

MARKER = SITE_MARKER  # marks a folder publish may replace
METRICS = (("samples/s", ",.0f"), ("time s", ".4g"), ("peak", ".0%"))


@dataclass(frozen=True)
class Machine:
    """Sources from one machine, oldest first, with a short id used in file names."""

    id: str  # m1, m2, …
    label: str  # hardware label
    info: dict[str, Any]  # merged machine dict, the newest source's values winning
    sources: list[Source]


def _identity(s: Source) -> tuple[str, str, str]:
    m = s.machine
    return (str(m.get("cpu") or s.cpu), str(m.get("hostname") or "?"), str(m.get("cores") or "?"))


def _when(s: Source) -> float:
    try:
        return datetime.fromisoformat(s.created.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return 0.0


def group_machines(sources: Sequence[Source]) -> list[Machine]:
    """Sources grouped by machine: CPU brand, host, cores and (where recorded) CPUID and ISA.

    A source that records no CPUID (older run files) joins the machine with the same
    brand, host and cores whose nearest run in time is closest to it.
    """
    known: dict[tuple[Any, ...], list[Source]] = {}
    unknown = []
    for s in sources:
        fam = s.machine.get("cpu_family")
        if fam is None:
            unknown.append(s)
            continue
        isa = s.machine.get("isa") or isa_level(s.machine.get("flags") or [])
        key = (*_identity(s), fam, s.machine.get("cpu_model_number"), isa)
        known.setdefault(key, []).append(s)
    for s in unknown:
        near = [k for k in known if k[:3] == _identity(s)]
        if near:
            best = min(near, key=lambda k: min(abs(_when(o) - _when(s)) for o in known[k]))
            known[best].append(s)
        else:
            known.setdefault((*_identity(s), None, None, None), []).append(s)
    groups = [sorted(v, key=lambda s: (_when(s), s.path.name)) for v in known.values()]
    machines = []
    for srcs in groups:
        info: dict[str, Any] = {}
        peaks: dict[str, float] = {}
        for s in srcs:
            info.update({k: v for k, v in s.machine.items() if v is not None})
            peaks.update(s.machine.get("gemm_peak_gflops") or {})
        info["gemm_peak_gflops"] = peaks
        label = srcs[0].label_override or hardware_label(info)
        machines.append(Machine("", label, info, srcs))
    machines.sort(key=lambda m: (m.label, str(m.info.get("hostname")), _when(m.sources[0])))
    return [Machine(f"m{i + 1}", m.label, m.info, m.sources) for i, m in enumerate(machines)]


def pick_baseline(machines: Sequence[Machine], choice: str | None) -> int:
    """Index of the baseline machine: ``choice`` is a 1-based number, an id (m2) or label text."""
    if not choice:
        return 0
    for i, m in enumerate(machines):
        if choice in (str(i + 1), m.id) or choice.lower() in m.label.lower():
            return i
    names = "; ".join(f"{m.id} = {m.label}" for m in machines)
    raise ConfigError("--baseline", f"no machine matches {choice!r}; choose one of: {names}")


def suite_of(source: Source, entry: Entry) -> str:
    """The suite an entry belongs to: its pytest module (bench_batch_size) or its run kind."""
    if source.kind == PYTEST_BENCHMARK:
        module = entry.key.split("::")[0].rsplit("/", 1)[-1].removesuffix(".py")
        return module.removeprefix("bench_") or "other"
    return source.run.kind if source.run is not None else "runs"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


def _natural(text: str) -> list[Any]:
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", text)]


def _fmt_cell(value: float | None, spec: str) -> Cell:
    return Cell("—") if value is None else Cell(format(value, spec), value=value)


def _metric(e: Entry | None, name: str, spec: str) -> Cell:
    if e is None:
        return Cell("—")
    if name == "peak":
        return Cell(e.peak_text(), value=e.fraction_of_peak)
    value = {"samples/s": e.samples_per_s, "time s": e.median_s}
    return _fmt_cell(value[name], spec)


def _ratio_cell(base: Entry | None, other: Entry | None) -> Cell:
    r = ratio(base, other)
    if r is None:
        return Cell("—")
    mark = difference(base, other).mark  # "~" within noise, "?" too few repeats to tell
    css = "" if mark == "~" else "slower" if r > 1.05 else "faster" if r < 1 / 1.05 else ""
    return Cell(f"{r:.2f}×" + (f" {mark}" if mark else ""), value=r, css=css)


def latest_entries(machine: Machine, keys: set[str]) -> dict[str, Entry]:
    """For each key, the entry from the newest source of ``machine`` that has it."""
    out: dict[str, Entry] = {}
    for s in machine.sources:  # oldest first: newer ones overwrite
        out.update({k: e for k, e in s.entries.items() if k in keys})
    return out


def group_table(group: str, keys: list[str], machines: Sequence[Machine], base: int) -> HtmlTable:
    """One benchmark group: a row per entry, per machine samples/s, time, peak, × baseline."""
    per = [latest_entries(m, set(keys)) for m in machines]
    headers = [Cell("entry")]
    for i, m in enumerate(machines):
        headers += [Cell(name, sub=m.id) for name, _ in METRICS]
        if i != base:
            headers.append(Cell(f"× {machines[base].id}", sub=m.id))
    rows = []
    for k in keys:
        first = next(p[k] for p in per if k in p)
        row = [Cell(first.name or k)]
        for i, p in enumerate(per):
            row += [_metric(p.get(k), name, spec) for name, spec in METRICS]
            if i != base:
                row.append(_ratio_cell(per[base].get(k), p.get(k)))
        rows.append(row)
    numeric = [False] + [True] * (len(headers) - 1)
    caption = (
        f"samples/s: training (or evaluated) samples per second; time s: median seconds per "
        f"call, or kernel seconds to the target for runs; peak: share of that machine's "
        f"measured ceiling and the bound (older files: of its BLAS GEMM); × {machines[base].id}: "
        f"time / {machines[base].id}'s time (above 1 = slower);"
        " ~: within the noise, ?: too few repeats to tell (Mann-Whitney U, docs/noise.md)."
    )
    return HtmlTable(headers, rows, numeric, title=group, caption=caption, id=_slug(group))


def suites(machines: Sequence[Machine]) -> dict[str, dict[str, list[str]]]:
    """suite → benchmark group → entry keys (first-seen order), over all machines."""
    out: dict[str, dict[str, list[str]]] = {}
    for m in machines:
        for s in m.sources:
            for k, e in s.entries.items():
                keys = out.setdefault(suite_of(s, e), {}).setdefault(e.group, [])
                if k not in keys:
                    keys.append(k)
    return {
        suite: {g: groups[g] for g in sorted(groups, key=_natural)}
        for suite, groups in sorted(out.items())
    }


def _peaks(info: dict[str, Any]) -> str:
    peaks = info.get("gemm_peak_gflops") or {}
    return ", ".join(f"{k} {float(v):.1f}" for k, v in sorted(peaks.items())) or "—"


def _ceilings(info: dict[str, Any]) -> str:
    ceil = info.get("ceilings") or {}
    compute = ceil.get("compute_gflops") or {}
    bw = ceil.get("bandwidth_gb_per_s") or {}
    parts = [f"{k} {float(v):.1f}" for k, v in sorted(compute.items())]
    parts += [f"triad {t}t {float(v):.1f} GB/s" for t, v in sorted(bw.items())]
    return ", ".join(parts) or "—"


def _blas(info: dict[str, Any]) -> str:
    libs = [b for b in info.get("blas") or [] if b.get("user_api") == "blas"]
    return ", ".join(sorted({f"{b.get('internal_api')} {b.get('version')}" for b in libs})) or "—"


def machines_table(machines: Sequence[Machine]) -> HtmlTable:
    """One row per machine: label, CPU, micro-architecture, ISA, cores, GPU, versions, peak."""
    names = ["machine", "CPU", "micro-architecture", "ISA", "cores", "GPU", "Python", "numpy",
             "numba", "llvmlite", "BLAS", "GEMM peak GFLOP/s (dtype/threads)",
             "measured ceiling GFLOP/s, bandwidth"]  # fmt: skip
    rows = []
    for m in machines:
        i = m.info
        isa = i.get("isa") or isa_level(i.get("flags") or [], str(i.get("machine") or "x86_64"))
        uarch = microarchitecture(i.get("cpu_vendor"), i.get("cpu_family"),
                                  i.get("cpu_model_number"))  # fmt: skip
        cells = [f"{m.id}: {m.label}", i.get("cpu"), uarch, isa, i.get("cores"),
                 i.get("gpu") or "none", i.get("python"), i.get("numpy"), i.get("numba"),
                 i.get("llvmlite"), _blas(i), _peaks(i), _ceilings(i)]  # fmt: skip
        rows.append([Cell("—" if c is None else str(c)) for c in cells])
    numeric = [n == "cores" for n in names]
    return HtmlTable([Cell(n) for n in names], rows, numeric, id="machines-table")


def runs_table(machines: Sequence[Machine], data: dict[int, str]) -> HtmlTable:
    """Every file used: machine, date, commit, kind, entries and a link to its raw JSON."""
    rows = []
    for m in machines:
        for s in m.sources:
            kind = "pytest-benchmark" if s.kind == PYTEST_BENCHMARK else "run"
            if s.run is not None:
                kind += f" {s.run.kind}"
            rows.append([
                Cell(m.id), Cell(s.created[:19].replace("T", " ")),
                Cell((s.commit or "—")[:12]), Cell(kind), Cell(str(len(s.entries)),
                value=len(s.entries)), Cell(s.path.name, href=data[id(s)]),
            ])  # fmt: skip
    names = ["machine", "date", "commit", "kind", "entries", "raw JSON"]
    numeric = [n == "entries" for n in names]
    return HtmlTable([Cell(n) for n in names], rows, numeric, id="runs-table")


def _commit_points(machine: Machine) -> dict[str, list[tuple[str, float]]]:
    points: dict[str, list[tuple[str, float]]] = {}
    for s in machine.sources:
        if s.kind != PYTEST_BENCHMARK or not s.commit:
            continue
        for k, e in s.entries.items():
            if e.samples_per_s:
                points.setdefault(k, []).append((s.commit, e.samples_per_s))
    return points


def _plot_blocks(machines: Sequence[Machine], files: dict[str, bytes]) -> list[Block]:
    """Render every plot into ``files`` and return the figure blocks for the index."""
    from bench.publish import site_plots

    blocks: list[Block] = []
    for m in machines:
        svg = site_plots.throughput_svg(m.sources, f"samples/s by mini-batch — {m.id}: {m.label}")
        if svg:
            files[f"plots/throughput-{m.id}.svg"] = svg
            blocks.append(Block("figure", text=f"samples/s by mini-batch size, {m.id}: "
                                f"{m.label}", src=f"plots/throughput-{m.id}.svg"))  # fmt: skip
        commits = site_plots.commits_svg(_commit_points(m), f"throughput over commits — {m.id}")
        if commits:
            files[f"plots/commits-{m.id}.svg"] = commits
            blocks.append(Block("figure", text=f"throughput over commits, {m.id}: {m.label}",
                                src=f"plots/commits-{m.id}.svg"))  # fmt: skip
        for s in m.sources:
            if s.run is not None and s.run.trials:
                name = f"plots/accuracy-{_slug(s.path.stem)}.svg"
                files[name] = site_plots.accuracy_svg(s.run)
                blocks.append(Block("figure", text=f"validation accuracy vs training seconds, "
                                    f"{s.path.name} ({m.id})", src=name))  # fmt: skip
    return blocks


def _headline(machines: Sequence[Machine], files: dict[str, bytes]) -> list[Block]:
    from bench.publish import site_plots

    blocks: list[Block] = []
    for m in machines:
        with_peers = [s for s in m.sources if peer_entries(s)]
        if not with_peers:
            continue
        newest = with_peers[-1]
        table = peers_table(newest)
        if table is not None:
            blocks.append(Block("table", table=from_rich(table)))
        svg = site_plots.peers_svg(newest, f"mlpbench vs peers — {m.id}: {m.label}")
        if svg:
            files[f"plots/peers-{m.id}.svg"] = svg
            text = f"peers chart, {m.id}: {m.label} ({newest.path.name})"
            blocks.append(Block("figure", text=text, src=f"plots/peers-{m.id}.svg"))
    return blocks or [Block("text", text="No peers suite results among the files.")]


def _reject(word: str) -> object:
    raise ValueError(word)


def strict_copy(raw: bytes) -> bytes:
    """``raw`` (a result file) as is when it is strict JSON, else parsed and written again
    with ``null`` for its ``NaN``/``Infinity`` (files of older versions, pytest-benchmark's)."""
    try:
        json.loads(raw, parse_constant=_reject)
    except ValueError:
        return (strict_json.dumps(json.loads(raw), indent=1) + "\n").encode()
    return raw


def _data_paths(machines: Sequence[Machine], files: dict[str, bytes]) -> dict[int, str]:
    """Copy every source file under data/<machine>/; id(source) → relative path."""
    out: dict[int, str] = {}
    for m in machines:
        for s in m.sources:
            name = f"data/{m.id}/{s.path.name}"
            n = 2
            while name in files:
                name = f"data/{m.id}/{s.path.stem}-{n}{s.path.suffix}"
                n += 1
            files[name] = strict_copy(s.path.read_bytes())
            out[id(s)] = name
    return out


def build_site(sources: Sequence[Source], *, baseline: str | None = None) -> dict[str, bytes]:
    """The whole site as relative path → bytes (see the module docstring)."""
    machines = group_machines(sources)
    base = pick_baseline(machines, baseline)
    files: dict[str, bytes] = {MARKER: b"built by mlpbench publish\n"}
    data = _data_paths(machines, files)
    grouped = suites(machines)
    pages = [(f"suite-{_slug(name)}.html", name.replace("_", " ")) for name in grouped]
    nav = [("index.html", "index"), *pages]
    for (href, title), (_, groups) in zip(pages, grouped.items(), strict=True):
        legend = "; ".join(f"{m.id} = {m.label}" for m in machines)
        blocks = [Block("text", text=f"Machines: {legend}. Ratios are to {machines[base].id}. "
                        "Click a column header to sort.")]  # fmt: skip
        blocks += [Block("table", table=group_table(g, keys, machines, base))
                   for g, keys in groups.items()]  # fmt: skip
        files[href] = page(f"suite: {title}", blocks, nav=nav).encode()
    index = [
        Block("heading", text="Machines", id="machines"),
        Block("table", table=machines_table(machines)),
        Block("heading", text="Runs", id="runs"),
        Block("table", table=runs_table(machines, data)),
        Block("heading", text="Headline: mlpbench's best backend vs its peers", id="peers"),
        *_headline(machines, files),
        Block("heading", text="Suites", id="suites"),
        Block("links", links=pages),
        Block("heading", text="Plots", id="plots"),
        *_plot_blocks(machines, files),
    ]
    files["index.html"] = page("mlpbench results", index, nav=nav).encode()
    return files
