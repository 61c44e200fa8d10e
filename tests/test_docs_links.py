"""The documentation's relative links resolve: README.md and docs/*.md.

Every Markdown link or image outside code whose target is not a URL must name an existing
file or folder (relative to the page), and a ``#anchor`` must be a heading of the target
page (GitHub's slugs) or a ``<a id=…>``/``<a name=…>`` there. The README must link every
page in ``docs/`` (each moved section is one click from the front page), and stay a front
page of about 200 lines.

``PENDING`` names pages other branches are writing: a link to one of them may dangle
until it exists, and once it exists its entry must go (the test fails until it does).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
PENDING: set[str] = set()  # pages other branches are still writing (none now)
README_MAX_LINES = 210

LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
HTML_ANCHOR = re.compile(r"<a\s+(?:id|name)=\"([^\"]+)\"")
SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def prose_lines(text: str) -> list[str]:
    """The lines of ``text`` outside fenced code blocks, with inline code removed."""
    lines, fence = [], None
    for line in text.splitlines():
        marker = re.match(r"^ {0,3}(`{3,}|~{3,})", line)
        if marker:
            if fence is None:
                fence = marker.group(1)[0]
            elif marker.group(1)[0] == fence:
                fence = None
            continue
        if fence is None:
            lines.append(re.sub(r"(`+).*?\1", "", line))
    return lines


def slug(heading: str) -> str:
    """GitHub's anchor of a heading: markup dropped, lower case, punctuation removed,
    spaces to hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # links keep their text
    text = re.sub(r"[*_`]", "", text).strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """Every anchor ``page`` defines (duplicates numbered as GitHub does: x, x-1, x-2)."""
    text = page.read_text()
    seen: dict[str, int] = {}
    found = set(HTML_ANCHOR.findall(text))
    for line in prose_lines(text):
        match = HEADING.match(line)
        if match:
            base = slug(match.group(2))
            n = seen.get(base, 0)
            seen[base] = n + 1
            found.add(base if n == 0 else f"{base}-{n}")
    return found


def links(page: Path) -> list[str]:
    """The link and image targets of ``page``, outside code."""
    return [m.group(1) for line in prose_lines(page.read_text()) for m in LINK.finditer(line)]


def broken_links(page: Path) -> list[str]:
    """The relative links of ``page`` that do not resolve, each with the reason."""
    bad = []
    for target in links(page):
        if SCHEME.match(target):
            continue  # http:, https:, mailto:
        path_part, _, anchor = target.partition("#")
        dest = (page.parent / path_part).resolve() if path_part else page
        rel = dest.relative_to(ROOT).as_posix() if dest.is_relative_to(ROOT) else str(dest)
        if rel in PENDING and not dest.exists():
            continue
        if not dest.exists():
            bad.append(f"{target}: no such file")
        elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
            bad.append(f"{target}: no heading with anchor #{anchor} in {rel}")
    return bad


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_relative_links_resolve(page: Path) -> None:
    assert broken_links(page) == []


def test_readme_links_every_docs_page() -> None:
    linked = {
        (ROOT / t.partition("#")[0]).resolve()
        for t in links(ROOT / "README.md")
        if not SCHEME.match(t)
    }
    unlinked = [p.name for p in PAGES[1:] if p.resolve() not in linked]
    assert unlinked == [], "link these docs/ pages from README.md"


def test_readme_is_a_front_page() -> None:
    assert len((ROOT / "README.md").read_text().splitlines()) <= README_MAX_LINES


def test_pending_pages_are_still_pending() -> None:
    """Once a pending page exists, drop it from PENDING so its links are checked."""
    assert [p for p in sorted(PENDING) if (ROOT / p).exists()] == []


def test_the_checker_sees_broken_links_and_anchors(tmp_path: Path) -> None:
    """The checker itself: a missing file, a missing anchor, and links in code ignored."""
    (tmp_path / "b.md").write_text("# Title\n\n## Two words, punctuated!\n\n## Dup\n## Dup\n")
    page = tmp_path / "a.md"
    page.write_text(
        "[ok](b.md#two-words-punctuated) [ok2](b.md#dup-1) [self](#here)\n"
        "## Here\n[missing](c.md) [bad anchor](b.md#nope) ![img](pic.png)\n"
        "`[in code](nowhere.md)`\n```\n[in fence](nowhere.md)\n```\n[web](https://x.org/y)\n"
    )
    assert sorted(broken_links(page)) == [
        "b.md#nope: no heading with anchor #nope in " + str((tmp_path / "b.md").resolve()),
        "c.md: no such file",
        "pic.png: no such file",
    ]
