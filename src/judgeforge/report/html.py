"""The single-file HTML report: page template (a data file) + inline SVG charts + a searchable item table."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html import escape
from importlib import resources

from judgeforge.report import svg
from judgeforge.report.data import ReportData, Section

_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def render_html(data: ReportData) -> str:
    template = (resources.files("judgeforge.report") / "templates" / "page.html").read_text(encoding="utf-8")
    note = ""
    if data.items_total > len(data.items):
        note = f'<p class="note">Showing the first {len(data.items)} of {data.items_total} items.</p>'
    values = {
        "title": escape(data.title),
        "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cards": "".join(
            f"<div class=card><b>{escape(v)}</b><span>{escape(k)}</span></div>"
            for k, v in data.summary.items()
        ),
        "sections": "".join(_section(section) for section in data.sections),
        "items_note": note,
        "items": "".join(_item_row(item) for item in data.items),
    }
    return _PLACEHOLDER.sub(lambda match: values[match.group(1)], template)


def _section(section: Section) -> str:
    charts = [svg.bar_chart(title, values) for title, values in section.bars.items() if values]
    charts += [svg.heatmap(title, matrix) for title, matrix in section.confusion.items()]
    charts += [
        svg.line_chart(title, {"judge": [(p, g) for p, g, _ in points]}, diagonal=True)
        for title, points in section.calibration.items()
        if points
    ]
    charts += [svg.line_chart(title, series) for title, series in section.lines.items() if series]
    tables = "".join(_table(title, header, rows) for title, (header, rows) in section.tables.items())
    return f"<section><h2>{escape(section.title)}</h2><div class=charts>{''.join(charts)}</div>{tables}</section>"


def _table(title: str, header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<h3>{escape(title)}</h3><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _item_row(item: object) -> str:
    from judgeforge.report.data import ItemRow

    assert isinstance(item, ItemRow)
    cells = [item.source, item.item_id, item.verdict, item.gold]
    return (
        "<tr>"
        + "".join(f"<td>{escape(c)}</td>" for c in cells)
        + f"<td class=feedback>{escape(item.feedback)}</td><td class=failure>{escape(item.failure)}</td></tr>"
    )
