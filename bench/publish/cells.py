"""The plain text of a rich table's cells, for the Markdown, CSV and HTML exports.

Its own module so that :mod:`bench.publish.publish` and :mod:`bench.publish.html` both
read it without importing each other.
"""

from __future__ import annotations

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text


def cell_text(cell: RenderableType) -> str:
    """Plain text of a table cell (markup strings are parsed, Text keeps its plain)."""
    if isinstance(cell, Text):
        return cell.plain
    if isinstance(cell, str):
        return Text.from_markup(cell).plain
    return str(cell)


def table_cells(table: Table) -> tuple[list[str], list[list[str]]]:
    """Header texts (line breaks become spaces) and row texts of ``table``."""
    headers = [" ".join(cell_text(c.header).split()) for c in table.columns]
    columns = [[cell_text(x) for x in c.cells] for c in table.columns]
    return headers, [list(r) for r in zip(*columns, strict=True)]
