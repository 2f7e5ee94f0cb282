"""The single-file HTML report: page template (a data file) + inline SVG charts + a searchable item table
whose rows open to each item's full view (:mod:`judgeforge.report.html_items`). Every text is escaped."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html import escape
from importlib import resources

from judgeforge.report import svg
from judgeforge.report.data import Cell, ReportData, Section, Table
from judgeforge.report.html_items import details_json, item_rows, items_head

_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def render_html(data: ReportData) -> str:
    template = (resources.files("judgeforge.report") / "templates" / "page.html").read_text(encoding="utf-8")
    note = ""
    if not data.items_total:
        note = '<p class="note">No per-item results in this source.</p>'
    elif data.items_total > len(data.items):
        note = f'<p class="note">Showing the first {len(data.items):,} of {data.items_total:,} items.</p>'
    gold = any(item.gold for item in data.items)
    values = {
        "title": escape(data.title),
        "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cards": "".join(_card(label, cell) for label, cell in data.facts.items()),
        "sections": "".join(_section(section) for section in data.sections),
        "items_note": note,
        "items_head": items_head(data.source_label, gold),
        "items": item_rows(data.items, gold),
        "details": details_json(data.items),
    }
    return _PLACEHOLDER.sub(lambda match: values[match.group(1)], template)


def _card(label: str, cell: Cell) -> str:
    flag = f"<small>⚠ {escape(cell.warning)}</small>" if cell.warning else ""
    return f'<div class="card{" warn" if cell.warning else ""}"><b>{escape(cell.text)}</b><span>{escape(label)}</span>{flag}</div>'


def _section(section: Section) -> str:
    notes = "".join(
        f'<p class="{"flag-note" if n.warning else "note"}">{"⚠ " if n.warning else ""}{escape(n.text)}</p>'
        for n in section.notes
    )
    charts = "".join(svg.chart(chart) for chart in section.charts)
    tables = "".join(_table(table) for table in section.tables)
    return (
        f"<section><h2>{escape(section.title)}</h2>{notes}{tables}<div class=charts>{charts}</div></section>"
    )


def _table(table: Table) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in table.header)
    body = "".join("<tr>" + "".join(_td(cell) for cell in row) + "</tr>" for row in table.rows)
    return f"<h3>{escape(table.title)}</h3><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _td(cell: Cell) -> str:
    if not cell.warning:
        return f"<td>{escape(cell.text)}</td>"
    return f'<td class="warn" title="{escape(cell.warning)}">⚠ {escape(cell.text)}<small>{escape(cell.warning)}</small></td>'
