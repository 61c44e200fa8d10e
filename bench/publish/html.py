"""HTML rendering of result tables: real ``<table>`` elements, sortable by clicking a header.

One renderer for ``mlpbench report --format html`` and the static site of
``mlpbench publish``: Jinja2 templates with autoescaping (every text from a result file is
escaped), inline CSS and a few lines of plain JavaScript (no CDN, no network: pages open
from ``file://``). Without JavaScript the tables read the same, unsorted.

A table is a :class:`HtmlTable` of :class:`Cell` objects; :func:`from_rich` converts the
rich tables the terminal shows, so both say the same thing. Numeric cells may carry their
exact value (``data-value``), which sorting uses instead of the formatted text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import jinja2
from rich.table import Table

from bench.publish.cells import cell_text, table_cells

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:1.5rem auto;max-width:86rem;
padding:0 1rem;color:#1b1b1b;line-height:1.4}
nav a{margin-right:1em}
table{border-collapse:collapse;margin:.5rem 0 .25rem;font-size:.9rem}
th,td{border-bottom:1px solid #ddd;padding:.25rem .6rem;vertical-align:top}
th{background:#f3f3f3;text-align:left;cursor:pointer;user-select:none}
th.num,td.num{text-align:right;font-variant-numeric:tabular-nums}
th[aria-sort=ascending]::after{content:" ▲"}th[aria-sort=descending]::after{content:" ▼"}
th .m{font-weight:normal;color:#555;font-size:.8rem}
td.slower{color:#b00020}td.faster{color:#0a7a2f}
caption{caption-side:bottom;text-align:left;color:#555;font-size:.8rem;padding:.25rem 0 1rem}
td:first-child{white-space:nowrap}
figure{margin:1rem 0}img{max-width:100%;height:auto}
"""

# Sort a table's body rows by the clicked column: numbers (data-value, else the text without
# thousands separators, × and %) before text; click again to reverse.
SORT_JS = """
function mlpKey(td){const v=td.dataset.value!==undefined?td.dataset.value:
td.textContent.replace(/[,×%\\s]/g,'');const n=parseFloat(v);return isNaN(n)?td.textContent:n}
document.querySelectorAll('table.sortable').forEach(function(t){
t.querySelectorAll('thead th').forEach(function(th,i){th.tabIndex=0;
th.addEventListener('click',function(){const asc=th.getAttribute('aria-sort')!=='ascending';
t.querySelectorAll('thead th').forEach(function(h){h.removeAttribute('aria-sort')});
th.setAttribute('aria-sort',asc?'ascending':'descending');const b=t.tBodies[0];
const rows=Array.from(b.rows);rows.sort(function(x,y){const a=mlpKey(x.cells[i]),
c=mlpKey(y.cells[i]);const na=typeof a==='number',nc=typeof c==='number';
const r=na&&nc?a-c:na?-1:nc?1:String(a).localeCompare(String(c));return asc?r:-r});
rows.forEach(function(r){b.appendChild(r)})})})});
"""

TEMPLATES = {
    "table.html": """{% macro table(t) -%}
<table class="sortable"{% if t.id %} id="{{ t.id }}"{% endif %}>
{%- if t.caption %}<caption>{{ t.caption }}</caption>{% endif %}
<thead><tr>{% for h in t.headers %}<th{% if t.numeric[loop.index0] %} class="num"{% endif %}
 scope="col">{% if h.sub %}<span class="m">{{ h.sub }}</span><br>{% endif %}{{ h.text }}</th>
{%- endfor %}</tr></thead>
<tbody>{% for row in t.rows %}
<tr>{% for c in row %}<td{% if t.numeric[loop.index0] or c.css %} class="
{{- 'num' if t.numeric[loop.index0] }}{{ ' ' ~ c.css if c.css }}"{% endif %}
{%- if c.value is not none %} data-value="{{ c.value }}"{% endif %}>
{%- if c.href %}<a href="{{ c.href }}">{{ c.text }}</a>{% else %}{{ c.text }}{% endif %}</td>
{%- endfor %}</tr>{% endfor %}
</tbody></table>
{%- endmacro %}""",
    "page.html": """<!DOCTYPE html>
{% from "table.html" import table %}<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title><style>{{ css|safe }}</style></head>
<body>
{% if nav %}<nav>{% for href, text in nav %}<a href="{{ href }}">{{ text }}</a>{% endfor %}</nav>
{% endif %}<h1>{{ title }}</h1>
{% for block in blocks %}
{%- if block.kind == "heading" %}<h2 id="{{ block.id }}">{{ block.text }}</h2>
{%- elif block.kind == "text" %}<p>{{ block.text }}</p>
{%- elif block.kind == "links" %}<ul>{% for href, text in block.links %}
<li><a href="{{ href }}">{{ text }}</a></li>{% endfor %}</ul>
{%- elif block.kind == "figure" %}<figure><img src="{{ block.src }}" alt="{{ block.text }}">
<figcaption>{{ block.text }}</figcaption></figure>
{%- elif block.kind == "table" %}{% if block.table.title %}<h3>{{ block.table.title }}</h3>
{% endif %}{{ table(block.table) }}{% endif %}
{% endfor %}
<script>{{ js|safe }}</script>
</body></html>
""",
}


@dataclass(frozen=True)
class Cell:
    """One table cell: its text, its exact number for sorting, a link, a CSS class."""

    text: str
    value: float | None = None
    href: str | None = None
    css: str = ""
    sub: str = ""  # headers only: a smaller line above the text (the machine)


@dataclass(frozen=True)
class HtmlTable:
    """A table: headers, rows of cells, which columns are numeric, a title and caption."""

    headers: list[Cell]
    rows: list[list[Cell]]
    numeric: list[bool]
    title: str = ""
    caption: str = ""
    id: str = ""


@dataclass(frozen=True)
class Block:
    """A piece of a page: heading, text, links, figure (an SVG file) or table."""

    kind: str
    text: str = ""
    id: str = ""
    src: str = ""
    links: list[tuple[str, str]] = field(default_factory=list)
    table: HtmlTable | None = None


def from_rich(table: Table) -> HtmlTable:
    """The same table as HTML cells: header texts, row texts, right-justified = numeric."""
    headers, rows = table_cells(table)
    return HtmlTable(
        headers=[Cell(h) for h in headers],
        rows=[[Cell(c) for c in r] for r in rows],
        numeric=[c.justify == "right" for c in table.columns],
        title=cell_text(table.title) if table.title else "",
        caption=cell_text(table.caption) if table.caption else "",
    )


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.DictLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=False,
    )


def page(title: str, blocks: Sequence[Block], *, nav: Sequence[tuple[str, str]] = ()) -> str:
    """A complete HTML page: title, navigation links, then the blocks in order."""
    template = _environment().get_template("page.html")
    context: dict[str, Any] = {"title": title, "blocks": blocks, "nav": nav,
                               "css": CSS.strip(), "js": SORT_JS.strip()}  # fmt: skip
    return template.render(**context) + "\n"


def tables_page(tables: Sequence[Table], title: str = "mlpbench report") -> str:
    """``report --format html``: every rich table as a sortable HTML table on one page."""
    return page(title, [Block("table", table=from_rich(t)) for t in tables])
