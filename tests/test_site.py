"""``mlpbench publish`` and ``report --format html``: the generated HTML parsed back with the
standard library's parser (cells equal the source JSON, ratios included), every link
resolves inside the site, the build is byte-for-byte reproducible, and bad input exits 2.
Also the hardware labels of :mod:`bench.cpu_identity`."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from machine_fixtures import ALL, BENCH_A, BENCH_B, RUN_A

from bench.cli.main import main
from bench.cpu_identity import hardware_label, isa_level, microarchitecture
from bench.publish.compare import load_sources
from bench.publish.publish import peers_table, render, to_markdown
from bench.publish.site import build_site


class Page(HTMLParser):
    """Tables (headers, rows of (text, attrs)) and every href/src of one HTML page."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tables: list[dict[str, Any]] = []
        self.links: list[str] = []
        self._cell: dict[str, Any] | None = None
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        for name in ("href", "src"):
            if a.get(name):
                self.links.append(str(a[name]))
                if self._cell is not None:
                    self._cell["href"] = a[name]
        if tag == "table":
            self.tables.append({"id": a.get("id"), "headers": [], "rows": []})
        elif tag == "tr" and self.tables:
            self.tables[-1]["rows"].append([])
        elif tag in ("td", "th"):
            self._cell = {"tag": tag, "text": "", "attrs": a}
        elif tag == "br" and self._cell is not None:
            self._cell["text"] += " "

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell["text"] += data

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            cell, self._cell = self._cell, None
            cell["text"] = " ".join(cell["text"].split())
            table = self.tables[-1]
            if cell["tag"] == "th":
                table["headers"].append(cell["text"])
                table["rows"].pop() if table["rows"] == [[]] else None
            else:
                table["rows"][-1].append(cell)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("published") / "site"
    assert main(["publish", *map(str, ALL), "--out", str(out), "--baseline", "Intel"]) == 0
    return out


def table(page: Page, title_id: str) -> dict[str, Any]:
    return next(t for t in page.tables if t["id"] == title_id)


def row(t: dict[str, Any], name: str) -> dict[str, dict[str, Any]]:
    """The row named ``name`` as header → cell."""
    r = next(r for r in t["rows"] if r and r[0]["text"] == name)
    return dict(zip(t["headers"], r, strict=True))


def bench_json(path: Path, name: str) -> dict[str, Any]:
    data = json.loads(path.read_text())
    found: dict[str, Any] = next(b for b in data["benchmarks"] if b["name"].endswith(name))
    return found


def test_suite_cells_equal_the_json_with_ratios(site: Path) -> None:
    page = Page((site / "suite-batch-size.html").read_text())
    t = table(page, "train-mb-10-float64")
    # machines sorted by label: m1 = AMD EPYC 7B13 (B), m2 = Intel Xeon (A, the baseline)
    assert t["headers"][:4] == ["entry", "m1 samples/s", "m1 time s", "m1 peak"]
    assert "m1 × m2" in t["headers"] and "m2 × m2" not in t["headers"]
    cells = row(t, "mb=10 float64 numba t1")
    for machine, path in (("m1", BENCH_B), ("m2", BENCH_A)):
        b = bench_json(path, "[numba-float64-mb10-t1]")
        sps, median = b["extra_info"]["samples_per_s"], b["stats"]["median"]
        assert cells[f"{machine} samples/s"]["text"] == f"{sps:,.0f}"
        assert float(cells[f"{machine} samples/s"]["attrs"]["data-value"]) == sps
        assert cells[f"{machine} time s"]["text"] == f"{median:.4g}"
        # a file from before the measured ceiling: its share of BLAS GEMM, labelled so
        share = f"{b['extra_info']['fraction_of_peak']:.0%}"
        assert cells[f"{machine} peak"]["text"] == f"{share} of BLAS GEMM"
    a = bench_json(BENCH_A, "[numba-float64-mb10-t1]")["stats"]["median"]
    b = bench_json(BENCH_B, "[numba-float64-mb10-t1]")["stats"]["median"]
    assert cells["m1 × m2"]["text"] == f"{b / a:.2f}× ?" == "1.50× ?"  # no rates: no test
    assert float(cells["m1 × m2"]["attrs"]["data-value"]) == pytest.approx(b / a)
    assert "slower" in cells["m1 × m2"]["attrs"]["class"]
    numpy = row(t, "mb=10 float64 numpy t1")
    assert numpy["m1 × m2"]["text"] == "0.80× ?" and "faster" in numpy["m1 × m2"]["attrs"]["class"]


def test_index_lists_machines_runs_and_headline(site: Path) -> None:
    page = Page((site / "index.html").read_text())
    machines = table(page, "machines-table")
    labels = [r[0]["text"] for r in machines["rows"]]
    assert labels == ["m1: AMD EPYC 7B13 · 2 cores", "m2: Intel Xeon Platinum 8375C · 2 cores"]
    peaks = dict(zip(machines["headers"], machines["rows"][1], strict=True))
    assert peaks["GEMM peak GFLOP/s (dtype/threads)"]["text"] == (
        "float32/1 40.0, float32/2 40.0, float64/1 20.0"  # the run's and the benchmark's
    )
    assert peaks["numba"]["text"] == "0.68.1"
    runs = table(page, "runs-table")
    assert len(runs["rows"]) == len(ALL)
    by_file = {r[-1]["text"]: r for r in runs["rows"]}
    assert by_file["bench_machine_a.json"][1]["text"] == "2026-01-01 00:00:00"
    for path in ALL:  # the raw JSON is linked and copied byte for byte
        href = by_file[path.name][-1]["href"]
        assert (site / href).read_bytes() == path.read_bytes()
    # headline: the peers table of each machine, the same cells as its Markdown
    headline = [t for t in page.tables if t["headers"][:2] == ["mini-batch", "mlpbench s"]]
    assert len(headline) == 2
    md = to_markdown([peers_table(load_sources([BENCH_B])[0])])  # type: ignore[list-item]
    md_rows = [[c.strip() for c in line.strip("|").split(" | ")] for line in md.splitlines()
               if line.startswith("| 1")]  # fmt: skip
    assert [[c["text"] for c in r] for r in headline[0]["rows"]] == md_rows


def test_every_link_resolves_inside_the_site(site: Path) -> None:
    pages = sorted(site.glob("*.html"))
    names = {p.name for p in pages}
    assert {"index.html", "suite-batch-size.html", "suite-peers.html", "suite-sweep.html"} <= names
    checked = 0
    for p in pages:
        for link in Page(p.read_text()).links:
            parts = urlsplit(link)
            assert not parts.scheme and not parts.netloc, f"{p.name}: non-relative link {link}"
            target = (p.parent / unquote(parts.path)).resolve()
            assert target.is_file(), f"{p.name}: {link} does not resolve"
            assert target.is_relative_to(site.resolve())
            checked += 1
    assert checked > 20
    svgs = sorted(x.name for x in (site / "plots").iterdir())
    assert "peers-m1.svg" in svgs and "throughput-m2.svg" in svgs
    assert any(s.startswith("accuracy-") for s in svgs)


def test_build_is_reproducible(tmp_path: Path) -> None:
    first = build_site(load_sources(ALL))
    second = build_site(load_sources(ALL))
    assert first == second
    assert all(b"Date" not in v for k, v in first.items() if k.endswith(".svg"))


def test_commits_plot_when_one_machine_has_several_commits(tmp_path: Path) -> None:
    later = json.loads(BENCH_A.read_text())
    later["commit_info"]["id"] = "1" * 40
    later["datetime"] = "2026-02-01T00:00:00"
    (tmp_path / "later.json").write_text(json.dumps(later))
    files = build_site(load_sources([BENCH_A, tmp_path / "later.json", BENCH_B]))
    assert "plots/commits-m2.svg" in files and "plots/commits-m1.svg" not in files
    assert b"plots/commits-m2.svg" in files["index.html"]


def test_rebuild_replaces_only_a_site(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "site"
    assert main(["publish", str(BENCH_A), "--out", str(out)]) == 0
    (out / "stale.html").write_text("old")
    assert main(["publish", str(BENCH_A), "--out", str(out)]) == 0
    assert not (out / "stale.html").exists()
    other = tmp_path / "mine"
    other.mkdir()
    (other / "notes.txt").write_text("keep")
    assert main(["publish", str(BENCH_A), "--out", str(other)]) == 2
    assert "not written by mlpbench publish" in capsys.readouterr().err
    assert (other / "notes.txt").read_text() == "keep"
    assert main(["publish", str(BENCH_A), "--out", str(out), "--baseline", "Zen 9"]) == 2
    assert "no machine matches 'Zen 9'" in capsys.readouterr().err


def test_publish_skips_the_site_and_foreign_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    results = tmp_path / "results"
    results.mkdir()
    (results / "a.json").write_bytes(BENCH_A.read_bytes())
    (results / "tuning.json").write_text('{"hello": 1}')
    out = results / "site"
    assert main(["publish", str(results), "--out", str(out)]) == 0
    assert main(["publish", str(results), "--out", str(out)]) == 0  # its own copies not read
    assert sorted(p.name for p in (out / "data").rglob("*.json")) == ["a.json"]
    elsewhere = tmp_path / "elsewhere"  # the published copies under results/site are not read
    assert main(["publish", str(results), "--out", str(elsewhere)]) == 0
    assert sorted(p.name for p in (elsewhere / "data").rglob("*.json")) == ["a.json"]
    assert "skipped" in capsys.readouterr().err


def test_report_html_is_a_real_table_like_markdown() -> None:
    from bench.cli.report import report_tables

    tables = report_tables(load_sources([BENCH_A, RUN_A]))
    page = Page(render(tables, "html"))
    md = [line for line in render(tables, "md").splitlines() if line.startswith("| 10 ")]
    assert len(page.tables) == len(tables)
    peers = page.tables[0]
    assert [c["text"] for c in peers["rows"][0]] == [
        c.strip() for c in md[0].strip("|").split(" | ")
    ]
    assert "<pre" not in render(tables, "html")


def test_report_label_overrides_hardware(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", str(BENCH_A), "--format", "md", "--label", "my laptop"]) == 0
    out = capsys.readouterr().out
    assert "### seconds per epoch of 50,000 samples — my laptop" in out
    assert "Intel Xeon" not in out


def test_html_escapes_text_from_result_files(tmp_path: Path) -> None:
    data = json.loads(BENCH_A.read_text())
    data["benchmarks"][0]["group"] = "<script>alert(1)</script>"
    (tmp_path / "evil.json").write_text(json.dumps(data))
    files = build_site(load_sources([tmp_path / "evil.json"]))
    html = b"".join(v for k, v in files.items() if k.endswith(".html"))
    assert b"<script>alert(1)" not in html and b"&lt;script&gt;alert(1)" in html


def test_isa_levels_and_microarchitectures() -> None:
    v4 = ["avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl", "avx2", "fma"]
    assert isa_level(v4) == "AVX-512"
    assert isa_level(["avx2", "fma", "bmi1", "bmi2", "f16c", "movbe", "avx512f"]) == "AVX2"
    assert isa_level(["sse4_2", "popcnt", "ssse3", "cx16"]) == "SSE4.2"
    assert isa_level(["sse2"]) == "SSE2"
    assert isa_level([]) is None
    assert isa_level(["asimd", "sve"], "aarch64") == "SVE"
    assert microarchitecture("AuthenticAMD", 25, 17) == "Zen 4"
    assert microarchitecture("AuthenticAMD", 23, 49) == "Zen 2"
    assert microarchitecture("GenuineIntel", 6, 0x6A) == "Ice Lake"
    assert microarchitecture("GenuineIntel", 6, 0x01) is None


def test_hardware_label_names_series_uarch_isa_and_cores() -> None:
    zen4 = {"cpu": "AMD EPYC", "cpu_vendor": "AuthenticAMD", "cpu_family": 25,
            "cpu_model_number": 17, "isa": "AVX-512", "cores": 2}  # fmt: skip
    assert hardware_label(zen4) == "AMD EPYC 9xx4 · Zen 4 · AVX-512 · 2 cores"
    zen2 = zen4 | {"cpu_family": 23, "cpu_model_number": 49, "isa": None,
                   "flags": ["avx2", "fma", "bmi1", "bmi2", "f16c", "movbe"]}  # fmt: skip
    assert hardware_label(zen2) == "AMD EPYC 7xx2 · Zen 2 · AVX2 · 2 cores"
    named = {"cpu": "AMD EPYC 7B13 64-Core Processor", "cores": 8}
    assert hardware_label(named) == "AMD EPYC 7B13 · 8 cores"


def test_machine_info_records_what_the_label_needs() -> None:
    from bench.machine import machine_info

    info = machine_info(peak=False)
    assert {"cpu_vendor", "cpu_family", "cpu_model_number", "isa", "cores"} <= set(info)
    label = hardware_label(info)
    assert label.endswith(f"· {info['cores']} cores")
    if info["isa"]:
        assert f" · {info['isa']} · " in label
