"""Inline SVG charts: no scripts, no network, readable in any browser and in print.

Every chart has a title, both axis titles and ticks on both axes (round numbers, with grid lines); bars
carry their value, a missing value is written where its bar would be, and flags stand under their bar.
The leaderboard's ranking and win-rate matrix are drawn in :mod:`judgeforge.report.svg_board`.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import Any

from judgeforge.report import units
from judgeforge.report.data import BarChart, Chart, Heatmap, IntervalChart, LineChart, MatrixChart
from judgeforge.report.svg_board import interval_chart, matrix_chart
from judgeforge.report.svg_frame import (
    BOTTOM,
    LEFT,
    PALETTE,
    RIGHT,
    TOP,
    WIDTH,
    Plot,
    fit,
    nice_ticks,
    number,
)


def chart(spec: Chart) -> str:
    """The SVG of ``spec``, drawn by the function registered for its kind (:data:`DRAWERS`)."""
    return DRAWERS[type(spec)](spec)


def bar_chart(spec: BarChart) -> str:
    present = [v for v in spec.values.values() if v is not None]
    ticks = (
        [0.0, 20.0, 40.0, 60.0, 80.0, 100.0]
        if spec.percent
        else nice_ticks(
            min([0.0, *present]), max([0.0, *present]), whole=all(float(v).is_integer() for v in present)
        )
    )
    plot = Plot(spec.title, spec.x_title, spec.y_title, ticks)
    slot = (WIDTH - LEFT - RIGHT) / max(len(spec.values), 1)
    zero = plot.y(0.0)
    for i, (label, value) in enumerate(spec.values.items()):
        center = LEFT + slot * (i + 0.5)
        plot.slot_label(center, slot, label, spec.warnings.get(label))
        if value is None:
            plot.parts.append(f'<text x="{center:.1f}" y="{zero - 6:.1f}" class="missing">no value</text>')
            continue
        top, width = plot.y(value), slot * 0.64
        text = units.chart_value(value, spec.percent)
        plot.parts.append(
            f'<rect class="bar" x="{center - width / 2:.1f}" y="{min(top, zero):.1f}" width="{width:.1f}" '
            f'height="{abs(zero - top):.1f}" fill="{PALETTE[0]}"><title>{escape(label)}: {text}</title></rect>'
            f'<text x="{center:.1f}" y="{(top - 4 if value >= 0 else top + 12):.1f}" class="value">{text}</text>'
        )
    if spec.empty and not present:
        plot.centered(spec.empty)
    return plot.svg()


def heatmap(spec: Heatmap) -> str:
    """A count matrix: rows along y (top: first level), columns along x."""
    levels = len(spec.levels)
    height = TOP + BOTTOM + 200
    size = 200 / max(levels, 1)
    left = LEFT + (WIDTH - LEFT - RIGHT - 200) / 2
    plot = Plot(spec.title, spec.x_title, spec.y_title, [], height, y_title_x=left - 26)
    top = max((v for row in spec.matrix for v in row), default=0) or 1
    for r, row in enumerate(spec.matrix):
        y = TOP + r * size
        plot.parts.append(
            f'<text x="{left - 6:.1f}" y="{y + size / 2 + 4:.1f}" class="tick y">{escape(spec.levels[r])}</text>'
        )
        for c, value in enumerate(row):
            x = left + c * size
            plot.parts.append(
                f'<rect class="cell" x="{x:.1f}" y="{y:.1f}" width="{size:.1f}" height="{size:.1f}" '
                f'fill="{PALETTE[0]}" fill-opacity="{0.06 + 0.84 * value / top:.2f}"><title>{escape(spec.y_title)} '
                f"{escape(spec.levels[r])}, {escape(spec.x_title)} {escape(spec.levels[c])}: {value}</title></rect>"
                f'<text x="{x + size / 2:.1f}" y="{y + size / 2 + 4:.1f}" class="value{" dark" if value / top > 0.55 else ""}">{value}</text>'
            )
    for c, label in enumerate(spec.levels):
        plot.x_tick(left + (c + 0.5) * size, label)
    return plot.svg()


def line_chart(spec: LineChart) -> str:
    """Lines with points; ``diagonal`` draws y = x (calibration)."""
    xs = [x for points in spec.series.values() for x, _ in points]
    ys = [y for points in spec.series.values() for _, y in points]
    x_ticks = _x_ticks(spec, xs)
    y_ticks = (
        nice_ticks(*spec.y_range) if spec.y_range else nice_ticks(min(ys, default=0.0), max(ys, default=1.0))
    )
    plot = Plot(spec.title, spec.x_title, spec.y_title, y_ticks)
    x0, x1 = x_ticks[0], x_ticks[-1]

    def x_at(x: float) -> float:
        return LEFT + (WIDTH - LEFT - RIGHT) * (x - x0) / ((x1 - x0) or 1)

    for tick in x_ticks:
        plot.x_tick(x_at(tick), number(tick))
    if spec.diagonal:
        low, high = max(x0, y_ticks[0]), min(x1, y_ticks[-1])
        plot.parts.append(
            f'<line x1="{x_at(low):.1f}" y1="{plot.y(low):.1f}" x2="{x_at(high):.1f}" y2="{plot.y(high):.1f}" '
            f'class="diagonal"><title>perfect calibration (y = x)</title></line>'
        )
    for i, (name, points) in enumerate(spec.series.items()):
        plot.parts.append(
            _series(name, [(x_at(x), plot.y(y), x, y) for x, y in points], PALETTE[i % len(PALETTE)])
        )
    if len(spec.series) > 1 or spec.diagonal:
        pixels = [(x_at(x), plot.y(y)) for points in spec.series.values() for x, y in points]
        if spec.diagonal:  # keep the y = x line clear of the legend too
            low, high = max(x0, y_ticks[0]), min(x1, y_ticks[-1])
            pixels += [(x_at(v), plot.y(v)) for v in (low + (high - low) * k / 20 for k in range(21))]
        plot.parts.append(_legend(list(spec.series), spec.diagonal, pixels, plot.height))
    if not xs and spec.empty:
        plot.centered(spec.empty)
    return plot.svg()


def _x_ticks(spec: LineChart, xs: list[float]) -> list[float]:
    if spec.x_ticks and len(spec.x_ticks) <= 11:
        return sorted(spec.x_ticks) if len(spec.x_ticks) > 1 else nice_ticks(spec.x_ticks[0], spec.x_ticks[0])
    if spec.x_range:
        return nice_ticks(*spec.x_range)
    return nice_ticks(min(xs, default=0.0), max(xs, default=1.0))


def _series(name: str, points: list[tuple[float, float, float, float]], color: str) -> str:
    coords = " ".join(f"{px:.1f},{py:.1f}" for px, py, _, _ in points)
    parts = [f'<polyline class="series" points="{coords}" fill="none" stroke="{color}" stroke-width="2"/>']
    parts += [
        f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3.5" fill="{color}"><title>{escape(name)}: '
        f"({number(x)}, {number(y)})</title></circle>"
        for px, py, x, y in points
    ]
    return "".join(parts)


def _legend(names: list[str], diagonal: bool, points: list[tuple[float, float]], height: int) -> str:
    """The legend, in the corner of the plot that covers the fewest data points."""
    entries = [(name, PALETTE[i % len(PALETTE)], "") for i, name in enumerate(names)]
    if diagonal:
        entries.append(("perfect calibration", "#999", ' stroke-dasharray="4 3"'))
    width = 36 + 6.2 * max(len(fit(name, 34)) for name, _, _ in entries)
    box_height = 16 * len(entries) + 6
    corners = [
        (left, top)
        for top in (TOP + 2, height - BOTTOM - box_height - 2)
        for left in (LEFT + 4, WIDTH - RIGHT - width - 4)
    ]

    def covered(corner: tuple[float, float]) -> int:
        left, top = corner
        return sum(
            left - 6 <= x <= left + width + 6 and top - 6 <= y <= top + box_height + 6 for x, y in points
        )

    left, top = min(corners, key=covered)
    parts = [
        f'<rect x="{left:.0f}" y="{top:.0f}" width="{width:.0f}" height="{box_height}" class="legend-box"/>'
    ]
    for i, (name, color, dash) in enumerate(entries):
        x, y = left + 4, top + 13 + 16 * i
        parts.append(
            f'<line x1="{x:.0f}" x2="{x + 16:.0f}" y1="{y - 4}" y2="{y - 4}" stroke="{color}" stroke-width="2"{dash}/>'
            f'<text x="{x + 22:.0f}" y="{y}" class="legend">{escape(fit(name, 34))}</text>'
        )
    return "".join(parts)


DRAWERS: dict[type, Callable[[Any], str]] = {
    BarChart: bar_chart,
    Heatmap: heatmap,
    LineChart: line_chart,
    IntervalChart: interval_chart,
    MatrixChart: matrix_chart,
}
