"""The report as markdown: facts, notes, tables and each chart's numbers, in the same words and units as
the HTML (both draw the same cells)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from judgeforge.report import units
from judgeforge.report.data import (
    BarChart,
    Cell,
    Chart,
    Heatmap,
    IntervalChart,
    LineChart,
    MatrixChart,
    ReportData,
    Table,
)


def render_markdown(data: ReportData) -> str:
    lines = [f"# {data.title}", "", "| fact | value |", "| --- | --- |"]
    lines += [f"| {_escape(label)} | {_cell(cell)} |" for label, cell in data.facts.items()]
    for section in data.sections:
        lines += ["", f"## {section.title}"]
        lines += [f"\n{'⚠ ' if note.warning else ''}{note.text}" for note in section.notes]
        lines += [line for table in section.tables for line in _table(table)]
        charts = [line for chart in section.charts for line in _chart(chart)]
        if charts:
            lines += ["", "Charts (see the HTML report or the PNGs):", "", *charts]
    failures = sum(1 for item in data.items if item.failure)
    lines += ["", f"{data.items_total:,} items; {failures:,} with a failure among those shown."]
    return "\n".join(lines) + "\n"


def _cell(cell: Cell) -> str:
    text = _escape(cell.text)
    return f"⚠ {text} ({_escape(cell.warning)})" if cell.warning else text


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _table(table: Table) -> list[str]:
    lines = ["", f"### {table.title}", "", "| " + " | ".join(map(_escape, table.header)) + " |"]
    lines.append("|" + " --- |" * len(table.header))
    return lines + ["| " + " | ".join(_cell(c) for c in row) + " |" for row in table.rows]


def _chart(chart: Chart) -> list[str]:
    head = f"- **{chart.title}** ({chart.y_title} by {chart.x_title}): "
    return [head + _NUMBERS[type(chart)](chart)]


def _bars(chart: BarChart) -> str:
    return ", ".join(
        f"{label} {'no value' if v is None else units.chart_value(v, chart.percent)}"
        + (f" ({chart.warnings[label]})" if label in chart.warnings else "")
        for label, v in chart.values.items()
    )


def _heatmap(chart: Heatmap) -> str:
    return "; ".join(
        f"{chart.levels[r]}: " + " ".join(str(v) for v in row) for r, row in enumerate(chart.matrix)
    )


def _lines(chart: LineChart) -> str:
    return "; ".join(_series(name, points) for name, points in chart.series.items())


def _series(name: str, points: list[tuple[float, float]]) -> str:
    return f"{name}: " + ", ".join(f"({x:g}, {y:.2f})" for x, y in points)


def _intervals(chart: IntervalChart) -> str:
    def shown(value: float) -> str:
        return f"{value:.1f}%" if chart.percent else f"{value:.{chart.digits}f}"

    entries = []
    for label, (value, low, high) in chart.estimates.items():
        if value is None:
            text = "no value"
        elif low is None or high is None:
            text = f"{shown(value)} ({chart.missing.get(label, 'no interval')})"
        else:
            text = f"{shown(value)} [{shown(low)}, {shown(high)}]"
        entries.append(f"{label} {text}" + (f" ({chart.warnings[label]})" if label in chart.warnings else ""))
    return ", ".join(entries)


def _matrix(chart: MatrixChart) -> str:
    rows = []
    for r, row in enumerate(chart.rows):
        cells = [
            f"vs {column} " + (units.NONE if value is None else f"{100 * value:.1f}% ({chart.counts[r][c]})")
            for c, (column, value) in enumerate(zip(chart.columns, chart.values[r], strict=True))
        ]
        rows.append(f"{row}: " + ", ".join(cells))
    return f"{chart.legend} (verdicts); " + "; ".join(rows)


_NUMBERS: dict[type, Callable[[Any], str]] = {
    BarChart: _bars,
    Heatmap: _heatmap,
    LineChart: _lines,
    IntervalChart: _intervals,
    MatrixChart: _matrix,
}
