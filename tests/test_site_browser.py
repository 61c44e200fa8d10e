"""The published site in a real browser: Debian's chromium, headless, driven by Playwright
(``executable_path``: no browser download). index.html and a suite page load from
``file://`` without JavaScript errors, are screenshotted, and clicking a header sorts.

Needs ``MLPBENCH_CHROMIUM`` (or ``chromium`` on PATH; ``.ci/setup-chromium.sh`` in CI) and
the ``playwright`` package (the ``test`` extra; tox's deps). When ``CI`` is set and either
is missing the test FAILS; locally it skips with the reason (``needs.missing``).
``MLPBENCH_SCREENSHOTS=DIR`` keeps the screenshots there (default: the test's temporary
folder).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from machine_fixtures import ALL
from needs import missing, require

from bench.cli.main import main

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", "--disable-component-update",
        "--disable-sync"]  # fmt: skip


@pytest.fixture(scope="module")
def browser_page(tmp_path_factory: pytest.TempPathFactory) -> Any:
    exe = os.environ.get("MLPBENCH_CHROMIUM") or shutil.which("chromium")
    if not exe or not Path(exe).is_file():
        reason = "no chromium: set MLPBENCH_CHROMIUM or apt-get install chromium"
        missing(reason, ".ci/setup-chromium.sh")
    sync_playwright = require("playwright.sync_api", "test").sync_playwright
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as pw:
        browser = pw.chromium.launch_persistent_context(
            str(profile), executable_path=exe, headless=True, args=ARGS,
            viewport={"width": 1400, "height": 1000},
        )  # fmt: skip
        try:
            yield browser.new_page()
        finally:
            browser.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("browser") / "site"
    assert main(["publish", *map(str, ALL), "--out", str(out)]) == 0
    return out


def _shots(tmp: Path) -> Path:
    where = Path(os.environ.get("MLPBENCH_SCREENSHOTS") or tmp)
    where.mkdir(parents=True, exist_ok=True)
    return where


def _load(page: Any, path: Path) -> list[str]:
    """Open ``path``; the JavaScript errors and failed requests seen while loading."""
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
    page.on("console", lambda m: errors.append(f"console: {m.text}") if m.type == "error" else 0)
    page.on("requestfailed", lambda r: errors.append(f"request failed: {r.url}"))
    page.goto(path.as_uri(), wait_until="load")
    return errors


def test_index_renders_without_errors(browser_page: Any, site: Path, tmp_path: Path) -> None:
    errors = _load(browser_page, site / "index.html")
    assert errors == []
    assert browser_page.title() == "mlpbench results"
    assert browser_page.locator("#machines-table tbody tr").count() == 2
    widths = browser_page.eval_on_selector_all(
        "img", "imgs => imgs.map(i => i.complete ? i.naturalWidth : 0)"
    )
    assert widths and all(w > 0 for w in widths)  # every SVG plot loaded and decoded
    shot = _shots(tmp_path) / "index.png"
    browser_page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000


def test_clicking_a_header_sorts_the_suite_table(
    browser_page: Any, site: Path, tmp_path: Path
) -> None:
    errors = _load(browser_page, site / "suite-peers.html")
    table = browser_page.locator("table#peers-mb-10-float32")
    column = "td:nth-child(2)"  # m1 samples/s

    def values() -> list[float]:
        cells = table.locator(f"tbody tr {column}").all_inner_texts()
        return [float(c.replace(",", "")) for c in cells]

    before = values()
    assert before != sorted(before)  # not sorted to begin with, so the click must do it
    table.locator("thead th").nth(1).click()
    assert values() == sorted(before)
    assert table.locator("thead th").nth(1).get_attribute("aria-sort") == "ascending"
    table.locator("thead th").nth(1).click()
    assert values() == sorted(before, reverse=True)
    table.locator("thead th").nth(0).click()  # text column: alphabetical
    names = table.locator("tbody tr td:nth-child(1)").all_inner_texts()
    assert names == sorted(names)
    browser_page.screenshot(path=str(_shots(tmp_path) / "suite-peers.png"), full_page=True)
    assert errors == []
