"""Inline SVG charts: no scripts, no network, readable in any browser and in print.

Every chart has a title, both axis titles and ticks on both axes (round numbers, with grid lines); bars
carry their value, a missing value is written where its bar would be, and flags stand under their bar.
"""

from __future__ import annotations

import math
from html import escape

from judgeforge.report import units
from judgeforge.report.data import BarChart, Chart, Heatmap, LineChart

PALETTE = ("#3b6ea8", "#d1762f", "#4a9a5b", "#b04a5a", "#7a5ca8", "#8a7a3a")
WIDTH, HEIGHT = 460, 290
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 38, 64  # the plot area's margins: tick labels and axis titles live there


def chart(spec: Chart) -> str:
    if isinstance(spec, BarChart):
        return bar_chart(spec)
    if isinstance(spec, Heatmap):
        return heatmap(spec)
    return line_chart(spec)


def nice_ticks(low: float, high: float, target: int = 5, *, whole: bool = False) -> list[float]:
    """Round tick values covering [low, high]: steps of 1, 2, 2.5 or 5 times a power of ten (``whole``: at
    least 1, for counts)."""
    if not high > low:
        low, high = (low - 1, high + 1) if low else (0.0, 1.0)
    raw = (high - low) / target
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw * 0.999)
    if whole:
        step = max(1.0, float(math.ceil(step)))
    start, end = math.floor(low / step + 1e-9) * step, math.ceil(high / step - 1e-9) * step
    return [round(start + i * step, 10) for i in range(round((end - start) / step) + 1)]


class _Plot:
    """Maps data to pixels inside the margins and draws the frame: title, axes, ticks, grid, axis titles."""

    def __init__(
        self,
        title: str,
        x_title: str,
        y_title: str,
        y_ticks: list[float],
        height: int = HEIGHT,
        y_title_x: float = 14,
    ) -> None:
        self.height = height
        self.y_ticks = y_ticks
        self.parts = [
            f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
            f'width="{WIDTH}" height="{height}" role="img" aria-label="{escape(title)}">'
            f"<title>{escape(title)}</title>"
            f'<text x="{WIDTH / 2}" y="18" class="title">{escape(_fit(title, 66))}</text>'
            f'<text x="{LEFT + (WIDTH - LEFT - RIGHT) / 2:.0f}" y="{height - 8}" class="axis-title x">'
            f"{escape(x_title)}</text>"
            f'<text transform="translate({y_title_x:.0f},{TOP + (height - TOP - BOTTOM) / 2:.0f}) rotate(-90)" '
            f'class="axis-title y">{escape(y_title)}</text>'
        ]
        for tick in y_ticks:
            y = self.y(tick)
            self.parts.append(
                f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
                f'<text x="{LEFT - 6}" y="{y + 3.5:.1f}" class="tick y">{_number(tick)}</text>'
            )
        bottom = height - BOTTOM
        if not y_ticks:  # a heatmap: its cells are the frame
            return
        self.parts.append(
            f'<line x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{bottom}" class="axis"/>'
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{bottom}" y2="{bottom}" class="axis"/>'
        )

    def y(self, value: float) -> float:
        low, high = self.y_ticks[0], self.y_ticks[-1]
        return self.height - BOTTOM - (self.height - TOP - BOTTOM) * (value - low) / ((high - low) or 1)

    def x_tick(self, x: float, label: str, full: str = "") -> None:
        self.parts.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{self.height - BOTTOM}" y2="{self.height - BOTTOM + 4}" '
            f'class="axis"/><text x="{x:.1f}" y="{self.height - BOTTOM + 15}" class="tick x">'
            f"{escape(label)}{f'<title>{escape(full)}</title>' if full and full != label else ''}</text>"
        )

    def centered(self, text: str) -> None:
        y = TOP + (self.height - TOP - BOTTOM) / 2
        self.parts.append(
            f'<text x="{LEFT + (WIDTH - LEFT - RIGHT) / 2:.0f}" y="{y:.0f}" class="empty">{escape(text)}</text>'
        )

    def svg(self) -> str:
        return "".join(self.parts) + "</svg>"


def bar_chart(spec: BarChart) -> str:
    present = [v for v in spec.values.values() if v is not None]
    ticks = (
        [0.0, 20.0, 40.0, 60.0, 80.0, 100.0]
        if spec.percent
        else nice_ticks(
            min([0.0, *present]), max([0.0, *present]), whole=all(float(v).is_integer() for v in present)
        )
    )
    plot = _Plot(spec.title, spec.x_title, spec.y_title, ticks)
    slot = (WIDTH - LEFT - RIGHT) / max(len(spec.values), 1)
    zero = plot.y(0.0)
    for i, (label, value) in enumerate(spec.values.items()):
        center = LEFT + slot * (i + 0.5)
        plot.x_tick(center, _fit(label, max(3, int(slot / 6.2))), label)
        if label in spec.warnings:
            plot.parts.append(
                f'<text x="{center:.1f}" y="{plot.height - BOTTOM + 28}" class="flag">'
                f"{escape(_fit(spec.warnings[label], max(4, int(slot / 5.6))))}<title>{escape(spec.warnings[label])}</title></text>"
            )
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
    plot = _Plot(spec.title, spec.x_title, spec.y_title, [], height, y_title_x=left - 26)
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
    plot = _Plot(spec.title, spec.x_title, spec.y_title, y_ticks)
    x0, x1 = x_ticks[0], x_ticks[-1]

    def x_at(x: float) -> float:
        return LEFT + (WIDTH - LEFT - RIGHT) * (x - x0) / ((x1 - x0) or 1)

    for tick in x_ticks:
        plot.x_tick(x_at(tick), _number(tick))
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
        f"({_number(x)}, {_number(y)})</title></circle>"
        for px, py, x, y in points
    ]
    return "".join(parts)


def _legend(names: list[str], diagonal: bool, points: list[tuple[float, float]], height: int) -> str:
    """The legend, in the corner of the plot that covers the fewest data points."""
    entries = [(name, PALETTE[i % len(PALETTE)], "") for i, name in enumerate(names)]
    if diagonal:
        entries.append(("perfect calibration", "#999", ' stroke-dasharray="4 3"'))
    width = 36 + 6.2 * max(len(_fit(name, 34)) for name, _, _ in entries)
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
            f'<text x="{x + 22:.0f}" y="{y}" class="legend">{escape(_fit(name, 34))}</text>'
        )
    return "".join(parts)


def _number(value: float) -> str:
    return f"{round(value, 6):g}"


def _fit(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(1, limit - 1)] + "…"
