"""Load pytest-benchmark JSON and mlpbench run JSON into one shape, and align them by name.

A :class:`Source` is one file: the machine it ran on (CPU, threads, library versions, GEMM
peaks) and its :class:`Entry` records keyed by an alignment key:

* pytest-benchmark files: the test's name with its parameters, e.g.
  ``bench_batch_size.py::test_train_steps[numba-float32-mb10-t1]``; the time is the
  median seconds per call; throughput comes from ``extra_info``.
* mlpbench run files: one entry per configuration (seeds grouped), keyed by network,
  data, backend, dtype, threads, mini-batch and η; the time is the median kernel seconds to
  the target accuracy (None if no seed reached it); throughput from the trial summaries.

:func:`align` puts the entries of several sources side by side; :func:`ratio` compares two
entries (time of the later over time of the first, so above 1 is slower);
:func:`differences` lists what makes a comparison unfair (versions, dtype, threads).
Rendering is :func:`bench.report.comparison_table`; nothing here prints.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bench.config import ConfigError
from bench.cpu_identity import hardware_label
from bench.groups import group_trials, peak_share
from bench.publish.significance import noise_extra
from bench.results import Run, TrialResult, run_from_json
from bench.roofline import BLAS_GEMM, share_text

PYTEST_BENCHMARK = "pytest-benchmark"
RUN = "run"
VERSION_KEYS = ("python", "numpy", "numba", "llvmlite")
SITE_MARKER = ".mlpbench-site"  # file in the folder of a site written by mlpbench publish


@dataclass(frozen=True, kw_only=True)
class Entry:
    """One comparable measurement: a benchmark, or one configuration of a run."""

    key: str  # alignment key (see the module docstring)
    group: str  # pytest-benchmark group or the run kind
    median_s: float | None  # seconds per call (benchmark) or to target (run)
    samples_per_s: float | None  # training (or evaluated) samples per second
    gflops: float | None  # useful GFLOP/s
    fraction_of_peak: float | None  # of the machine's ceiling (older: its BLAS GEMM), 0–1
    dtype: str | None
    threads: int | None
    extra: dict[str, Any]  # everything else the file says about it
    name: str = ""  # short row name from its parameters, e.g. "mb=10 float64 numba t1"
    peak_basis: str | None = None  # what the share is of: bench.roofline.CEILING or older
    bound: str | None = None  # "compute" / "memory" at its arithmetic intensity, if known

    def peak_text(self) -> str:
        """The peak share as a table shows it (:func:`bench.roofline.share_text`)."""
        return share_text(self.fraction_of_peak, self.peak_basis, self.bound)


@dataclass(frozen=True, kw_only=True)
class Source:
    """One loaded file: where it came from, its machine, its entries in file order."""

    path: Path
    kind: str  # PYTEST_BENCHMARK | RUN
    cpu: str
    threads: int | None  # Numba/BLAS threads available (benchmarks) or used (runs)
    versions: dict[str, str]
    created: str
    entries: dict[str, Entry]
    run: Run | None = None  # the run itself, for run files (tables and plots need it)
    machine: dict[str, Any] = field(default_factory=dict)  # cpu, isa, cores, gpu, peaks, …
    commit: str | None = None  # git commit the measurements were taken at
    label_override: str | None = None  # a user's --label

    @property
    def label(self) -> str:
        """Machine label for a column group: the user's, or the hardware (CPU, ISA, cores)."""
        return self.label_override or hardware_label(self.machine or {"cpu": self.cpu})

    @property
    def dtypes(self) -> set[str]:
        """The dtypes its entries ran in."""
        return {e.dtype for e in self.entries.values() if e.dtype}


_PARAM_ORDER = ("mini_batch", "mb", "dtype", "backend", "peer", "threads")


def entry_name(params: dict[str, Any], fallback: str) -> str:
    """Short row name from benchmark parameters: ``mb=10 float64 numba t1``; else ``fallback``."""
    parts = []
    for k in sorted(params, key=lambda k: (*_PARAM_ORDER, k).index(k)):
        v = params[k]
        if k in ("mini_batch", "mb"):
            parts.append(f"mb={v}")
        elif k == "threads":
            parts.append(f"t{v}")
        elif k in ("dtype", "backend", "peer"):
            parts.append(str(v))
        elif isinstance(v, list):
            parts.append("-".join(map(str, v)))
        else:
            parts.append(f"{k}={v}")
    return " ".join(parts) or fallback


def _bench_machine(mi: dict[str, Any]) -> dict[str, Any]:
    """pytest-benchmark's machine_info flattened like :func:`bench.machine.machine_info`."""
    cpu = mi.get("cpu") or {}
    flat = {
        "cpu_vendor": cpu.get("vendor_id_raw"),
        "cpu_family": cpu.get("family"),
        "cpu_model_number": cpu.get("model"),
        "flags": cpu.get("flags") or [],
        "cores": cpu.get("count"),
        "machine": mi.get("machine"),
        "hostname": mi.get("node"),
        "python": mi.get("python_version"),
        "cpu": cpu.get("brand_raw"),
    }
    return {k: v for k, v in flat.items() if v} | (mi.get("mlpbench") or {})


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and value == value else None


def from_pytest_benchmark(data: dict[str, Any], path: Path) -> Source:
    """A :class:`Source` from a pytest-benchmark JSON document (``--benchmark-json``/save)."""
    mi = data.get("machine_info", {})
    ml = mi.get("mlpbench", {})
    entries: dict[str, Entry] = {}
    for b in data.get("benchmarks", []):
        extra = dict(b.get("extra_info") or {})
        params = b.get("params") or {}
        fullname = str(b.get("fullname") or b["name"])
        key = fullname.rsplit("/", 1)[-1]
        threads = extra.get("threads", params.get("threads"))
        entries[key] = Entry(
            key=key,
            group=str(b.get("group") or ""),
            median_s=_num((b.get("stats") or {}).get("median")),
            samples_per_s=_num(extra.get("samples_per_s")),
            gflops=_num(extra.get("gflops")),
            fraction_of_peak=_num(extra.get("fraction_of_peak")),
            peak_basis=str(extra.get("peak_basis") or BLAS_GEMM),  # older files: numpy GEMM
            bound=extra.get("bound"),
            dtype=extra.get("dtype", params.get("dtype")),
            threads=int(threads) if threads is not None else None,
            extra=extra,
            name=entry_name(params, str(b.get("param") or b.get("name") or key)),
        )
    versions = {"python": mi.get("python_version")} | {k: ml.get(k) for k in VERSION_KEYS[1:]}
    return Source(
        path=path,
        kind=PYTEST_BENCHMARK,
        cpu=str(ml.get("cpu") or (mi.get("cpu") or {}).get("brand_raw") or "unknown CPU"),
        threads=ml.get("numba_threads") or (mi.get("cpu") or {}).get("count"),
        versions={k: str(v) for k, v in versions.items() if v},
        created=str(data.get("datetime", "")),
        entries=entries,
        machine=_bench_machine(mi),
        commit=(data.get("commit_info") or {}).get("id") or ml.get("git_commit"),
    )


def run_key(run: Run, index: int) -> str:
    """Alignment key of the configuration group ``index`` of ``run`` (seed left out).

    Network, data, backend, dtype, threads, mini-batch and η always; activation, cost, λ
    and μ when they differ from the defaults, so runs over those grid axes align by
    configuration too.
    """
    spec = group_trials(run.trials)[index].first.config
    tr, net = spec.train, spec.net
    sizes = ",".join(map(str, net.sizes))
    d_net, d_tr = type(net)(), type(tr)()
    extra = [v for v, d in ((net.activation, d_net.activation), (net.cost, d_net.cost)) if v != d]
    extra += [f"{k}={v:g}" for k, v, d in (("λ", tr.lmbda, d_tr.lmbda), ("μ", tr.mu, d_tr.mu))
              if v != d]  # fmt: skip
    return (
        f"{run.kind} [{sizes}] {spec.data.source} {tr.backend} {tr.dtype} t{tr.threads} "
        f"mb={tr.mini_batch} η={tr.eta:g}" + "".join(f" {e}" for e in extra)
    )


def run_group(run: Run, index: int) -> str:
    """Group of configuration ``index`` of ``run``: the run kind, network and data."""
    spec = group_trials(run.trials)[index].first.config
    return f"{run.kind} [{','.join(map(str, spec.net.sizes))}] {spec.data.source}"


def from_run(run: Run, path: Path) -> Source:
    """A :class:`Source` from an mlpbench run: one entry per configuration group."""
    entries: dict[str, Entry] = {}
    for i, g in enumerate(group_trials(run.trials)):
        tr = g.first.config.train
        key = run_key(run, i)
        ttt = g.median(lambda t: t.summary.time_to_target_seconds)
        gflops = g.median(lambda t: t.summary.gflops)
        share, basis, where = peak_share(run, g)
        entries[key] = Entry(
            key=key,
            group=run_group(run, i),
            median_s=ttt,
            samples_per_s=g.median(lambda t: t.summary.samples_per_second),
            gflops=gflops,
            fraction_of_peak=share,
            peak_basis=basis,
            bound=where,
            dtype=tr.dtype,
            threads=tr.threads,
            extra={
                "mini_batch": tr.mini_batch,
                "backend": tr.backend,
                "seeds": len(g.trials),
                "best_val_accuracy": g.median(lambda t: t.summary.best_val_accuracy),
                **noise_extra(g.trials),  # per-chunk rates and unstable trials (the noise)
            },
            name=key.removeprefix(run_group(run, i)).strip(),  # the group is its header row
        )
    m = run.machine
    threads = {t.config.train.threads for t in run.trials}
    return Source(
        path=path,
        kind=RUN,
        cpu=str(m.get("cpu") or "unknown CPU"),
        threads=max(threads) if threads else m.get("numba_threads"),
        versions={k: str(m[k]) for k in VERSION_KEYS if m.get(k)},
        created=run.created,
        entries=entries,
        run=run,
        machine=dict(m),
        commit=m.get("git_commit"),
    )


def load_source(path: Path) -> Source:
    """Read one JSON file of either kind; a bad file raises ConfigError naming it."""
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except OSError as err:
        raise ConfigError("PATH", f"cannot read {path}: {err.strerror or err}") from None
    except UnicodeDecodeError as err:
        raise ConfigError("PATH", f"{path} is not UTF-8 text (byte {err.start})") from None
    except json.JSONDecodeError as err:
        raise ConfigError(
            "PATH", f"{path} is not valid JSON ({err.msg} at line {err.lineno}); truncated?"
        ) from None
    if isinstance(data, dict) and "benchmarks" in data and "machine_info" in data:
        try:
            return from_pytest_benchmark(data, path)
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            raise ConfigError(
                "PATH", f"{path} is not a readable pytest-benchmark file ({err!r})"
            ) from None
    if isinstance(data, dict) and "schema_version" in data and "trials" in data:
        run = run_from_json(data, path)
        try:
            return from_run(run, path)
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            raise ConfigError("PATH", f"{path} is not a readable mlpbench run ({err!r})") from None
    raise ConfigError("PATH", f"{path} is neither a pytest-benchmark JSON nor an mlpbench run JSON")


def expand(paths: list[Path]) -> list[Path]:
    """Files as given, and the ``*.json`` files under each folder (sorted, recursive), except
    the raw copies inside a site written by ``mlpbench publish``."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            sites = {m.parent for m in p.rglob(SITE_MARKER)}  # published copies: not results
            found = sorted(q for q in p.rglob("*.json") if not q.name.startswith(".")
                           and not sites.intersection(q.parents))  # fmt: skip
            if not found:
                raise ConfigError("PATH", f"folder {p} holds no .json files")
            out.extend(found)
        elif p.is_file():
            out.append(p)
        else:
            raise ConfigError("PATH", f"{p} does not exist")
    return out


def load_sources(paths: list[Path]) -> list[Source]:
    """Every file named (folders expanded), loaded in order; a run whose trials ran on
    several machines (a shared study) becomes one source per machine."""
    return [part for p in expand(paths) for part in split_by_machine(load_source(p))]


def split_by_machine(source: Source) -> list[Source]:
    """``source`` as one source per host its trials ran on (trials carrying a ``machine``),
    each labelled by that machine and named ``FILE@HOST``; other sources unchanged."""
    run = source.run
    if run is None or not any(t.machine for t in run.trials):
        return [source]
    hosts: dict[str, list[TrialResult]] = {}
    for t in run.trials:
        hosts.setdefault(str((t.machine or run.machine).get("hostname", "?")), []).append(t)
    parts = []
    for host, trials in hosts.items():
        machine = trials[0].machine or run.machine
        part = replace(
            run,
            machine=machine,
            trials=trials,
            concurrent=any((t.machine or {}).get("concurrent") for t in trials),
        )
        path = source.path.with_name(f"{source.path.stem}@{host}{source.path.suffix}")
        parts.append(from_run(part, path))
    return parts


@dataclass(frozen=True)
class Row:
    """One alignment key with the matching entry of each source (None where absent)."""

    key: str
    cells: list[Entry | None]


def align(sources: list[Source]) -> list[Row]:
    """Rows for every key found in any source, in first-seen order."""
    keys: dict[str, None] = {}
    for s in sources:
        keys.update(dict.fromkeys(s.entries))
    return [Row(k, [s.entries.get(k) for s in sources]) for k in keys]


def ratio(first: Entry | None, other: Entry | None) -> float | None:
    """How much slower ``other`` is than ``first``: time ratio (above 1 = slower).

    Uses the inverse samples/s ratio instead when either time is unknown, or when the two
    benchmarks timed different numbers of samples per call (their times are then not
    comparable, their throughputs are).
    """
    if first is None or other is None:
        return None
    same_work = first.extra.get("samples_per_call") == other.extra.get("samples_per_call")
    if same_work and first.median_s and other.median_s:
        return other.median_s / first.median_s
    if first.samples_per_s and other.samples_per_s:
        return first.samples_per_s / other.samples_per_s
    return None


def regressions(rows: list[Row], percent: float) -> list[tuple[str, int, float]]:
    """``(key, source index, ratio)`` for entries more than ``percent`` % slower than the first."""
    limit = 1 + percent / 100
    found = []
    for row in rows:
        for i, cell in enumerate(row.cells[1:], start=1):
            r = ratio(row.cells[0], cell)
            if r is not None and r > limit:
                found.append((row.key, i, r))
    return found


def differences(sources: list[Source], rows: list[Row]) -> list[str]:
    """Sentences naming what differs between the sources: versions, dtype, threads."""
    notes = []
    for name in sorted({k for s in sources for k in s.versions}):
        seen = [s.versions.get(name, "?") for s in sources]
        if len(set(seen)) > 1:
            notes.append(f"{name} versions differ: {', '.join(seen)}")
    dtypes = [",".join(sorted(s.dtypes)) or "?" for s in sources]
    if len(set(dtypes)) > 1:
        notes.append(f"dtypes differ: {'; '.join(dtypes)}")
    threads = [str(s.threads) if s.threads else "?" for s in sources]
    if len(set(threads)) > 1:
        notes.append(f"thread counts differ: {', '.join(threads)}")
    mixed = [
        r.key
        for r in rows
        if len({c.dtype for c in r.cells if c}) > 1 or len({c.threads for c in r.cells if c}) > 1
    ]
    if mixed:
        notes.append(f"{len(mixed)} aligned entries differ in dtype or threads, e.g. {mixed[0]}")
    return notes
