"""The one Markdown table writer (GitHub pipe tables), for study reports and published tables.

Imports nothing from bench: :mod:`bench.recipe.report` and :mod:`bench.publish.publish` both
call it.
"""

from __future__ import annotations

from collections.abc import Sequence


def pipe_table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[bool] | None = None
) -> str:
    """A GitHub-flavoured Markdown table; ``|`` inside cells is escaped.

    ``right``: per column, whether it is right-aligned (``---:``); None: no alignment marks.
    """

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

    if right is None:
        rule = "|" + "---|" * len(headers)
    else:
        rule = "|" + "|".join("---:" if r else "---" for r in right) + "|"
    return "\n".join([line(headers), rule, *(line(r) for r in rows)])
