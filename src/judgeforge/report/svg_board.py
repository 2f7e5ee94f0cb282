"""Leaderboard charts as inline SVG: a ranking with interval bars, and a win-rate matrix heatmap.

Same frame as the other charts (:mod:`judgeforge.report.svg_frame`: title, axis titles, ticks). In the
ranking each label has either an interval bar (``rect.bar``) or a word where it would be (``text.missing``:
"no interval", "baseline", "no value"), so a reader (or a test) finds one per model. In the matrix every
cell writes its share; the colour runs from orange (0%) through light grey (50%) to blue (100%), and the
legend beside the grid gives the scale.
"""

from __future__ import annotations

from html import escape

from judgeforge.report.data import Estimate, IntervalChart, MatrixChart
from judgeforge.report.svg_frame import BOTTOM, LEFT, PALETTE, RIGHT, TOP, WIDTH, Plot, fit, nice_ticks

SLOT = 60  # pixels per label in a ranking, at least (the chart widens with more labels)
LOW, MIDDLE, HIGH = (209, 118, 47), (244, 244, 244), (59, 110, 168)  # the matrix's colours at 0, 50, 100%
EMPTY_CELL = "#e6e8ec"
LEGEND_STEPS = (1.0, 0.75, 0.5, 0.25, 0.0)


def interval_chart(spec: IntervalChart) -> str:
    """The ranking: per label (left to right, in order) an interval bar and a dot at the value."""
    width = max(WIDTH, LEFT + RIGHT + SLOT * len(spec.estimates))
    plot = Plot(spec.title, spec.x_title, spec.y_title, _value_ticks(spec), width=width)
    slot = (width - LEFT - RIGHT) / max(len(spec.estimates), 1)
    if spec.reference is not None:
        value, what = spec.reference
        y = plot.y(value)
        plot.parts.append(
            f'<line x1="{LEFT}" x2="{width - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" class="reference">'
            f"<title>{escape(what)}</title></line>"  # said under the title, where no data can cover it
            f'<text x="{width / 2:.0f}" y="{TOP - 6}" class="legend middle">dashed line: {escape(what)}</text>'
        )
    for i, (label, estimate) in enumerate(spec.estimates.items()):
        center = LEFT + slot * (i + 0.5)
        plot.slot_label(center, slot, label, spec.warnings.get(label))
        plot.parts.append(_estimate(plot, spec, label, estimate, center, slot))
    if spec.empty and all(value is None for value, _, _ in spec.estimates.values()):
        plot.centered(spec.empty)
    return plot.svg()


def _value_ticks(spec: IntervalChart) -> list[float]:
    if spec.percent:
        return [0.0, 20.0, 40.0, 60.0, 80.0, 100.0]
    if spec.y_range is not None:
        return nice_ticks(*spec.y_range)
    values = [v for estimate in spec.estimates.values() for v in estimate if v is not None]
    if spec.reference is not None:
        values.append(spec.reference[0])
    return nice_ticks(min(values, default=0.0), max(values, default=1.0))


def _estimate(
    plot: Plot, spec: IntervalChart, label: str, estimate: Estimate, center: float, slot: float
) -> str:
    value, low, high = estimate
    if value is None:
        middle = (plot.y(plot.y_ticks[0]) + plot.y(plot.y_ticks[-1])) / 2
        return f'<text x="{center:.1f}" y="{middle:.1f}" class="missing">no value</text>'
    text = _shown(value, spec)
    y = plot.y(value)
    parts = []
    if low is None or high is None:
        missing = spec.missing.get(label, "no interval")
        parts.append(f'<text x="{center:.1f}" y="{y + 18:.1f}" class="missing">{escape(missing)}</text>')
        top, tip = y, f"{label}: {text} ({missing})"
    else:
        top, bottom, width = plot.y(high), plot.y(low), min(18.0, slot * 0.3)
        tip = f"{label}: {text}, interval {_shown(low, spec)} to {_shown(high, spec)}"
        parts.append(
            f'<rect class="bar interval" x="{center - width / 2:.1f}" y="{top:.1f}" width="{width:.1f}" '
            f'height="{max(bottom - top, 2.0):.1f}" fill="{PALETTE[0]}" fill-opacity="0.28" '
            f'stroke="{PALETTE[0]}"><title>{escape(tip)}</title></rect>'
        )
    parts.append(
        f'<circle class="estimate" cx="{center:.1f}" cy="{y:.1f}" r="4.5" fill="{PALETTE[0]}">'
        f"<title>{escape(tip)}</title></circle>"
        f'<text x="{center:.1f}" y="{top - 6:.1f}" class="value">{escape(text)}</text>'
    )
    return "".join(parts)


def _shown(value: float, spec: IntervalChart) -> str:
    return f"{value:.1f}%" if spec.percent else f"{value:.{spec.digits}f}"


def matrix_chart(spec: MatrixChart) -> str:
    """The matrix: rows down the left, columns along the bottom (slanted when long), the legend on the
    right; each cell coloured by its share and writing it."""
    size = max(34.0, min(56.0, 240 / max(len(spec.rows), len(spec.columns), 1)))
    row_chars = min(18, max((len(r) for r in spec.rows), default=1))
    column_chars = min(18, max((len(c) for c in spec.columns), default=1))
    slanted = column_chars > size / 6.6
    left = 34 + 6.2 * row_chars
    grid_bottom = TOP + size * len(spec.rows)
    below = max(BOTTOM, 40 + (3.8 * column_chars if slanted else 0))
    legend_x = left + size * len(spec.columns) + 22
    width = int(max(WIDTH, legend_x + 130))
    height = int(grid_bottom + below)
    plot = Plot(
        spec.title,
        spec.x_title,
        spec.y_title,
        [],
        height,
        y_title_x=14,
        width=width,
        x_title_at=left + size * len(spec.columns) / 2,
        y_title_at=TOP + size * len(spec.rows) / 2,
    )
    for r, row in enumerate(spec.rows):
        y = TOP + r * size
        plot.parts.append(
            f'<text x="{left - 6:.1f}" y="{y + size / 2 + 4:.1f}" class="tick y">'
            f"{escape(fit(row, 18))}<title>{escape(row)}</title></text>"
        )
        for c in range(len(spec.columns)):
            plot.parts.append(_cell(spec, r, c, left + c * size, y, size))
    for c, column in enumerate(spec.columns):
        x = left + (c + 0.5) * size
        placed = (
            f'transform="translate({x:.1f},{grid_bottom + 12:.1f}) rotate(-35)" class="tick x slanted"'
            if slanted
            else f'x="{x:.1f}" y="{grid_bottom + 15:.1f}" class="tick x"'
        )
        plot.parts.append(f"<text {placed}>{escape(fit(column, 18))}<title>{escape(column)}</title></text>")
    plot.parts.append(_legend(spec.legend, legend_x))
    return plot.svg()


def _cell(spec: MatrixChart, r: int, c: int, x: float, y: float, size: float) -> str:
    row, column, value = spec.rows[r], spec.columns[c], spec.values[r][c]
    box = f'x="{x:.1f}" y="{y:.1f}" width="{size:.1f}" height="{size:.1f}"'
    if value is None:
        why = "the same model" if row == column else "no verdicts between them"
        return (
            f'<rect class="cell none" {box} fill="{EMPTY_CELL}"><title>{escape(row)} vs {escape(column)}: '
            f"{why}</title></rect>"
            f'<text x="{x + size / 2:.1f}" y="{y + size / 2 + 4:.1f}" class="value">–</text>'
        )
    n = spec.counts[r][c]
    tip = f"{row} vs {column}: {spec.legend} {100 * value:.1f}% over {n} verdict{'s' if n != 1 else ''}"
    dark = " dark" if abs(value - 0.5) > 0.3 else ""
    return (
        f'<rect class="cell" {box} fill="{colour(value)}"><title>{escape(tip)}</title></rect>'
        f'<text x="{x + size / 2:.1f}" y="{y + size / 2 + 4:.1f}" class="value{dark}">{100 * value:.0f}%</text>'
    )


def colour(share: float) -> str:
    """The matrix colour of ``share`` (0..1): orange at 0, light grey at 0.5, blue at 1, linear between."""
    share = min(1.0, max(0.0, share))
    end, weight = (HIGH, 2 * share - 1) if share >= 0.5 else (LOW, 1 - 2 * share)
    red, green, blue = (round(m + (e - m) * weight) for m, e in zip(MIDDLE, end, strict=True))
    return f"#{red:02x}{green:02x}{blue:02x}"


def _legend(title: str, x: float) -> str:
    """The colour scale: a swatch per step (100% at the top), and the swatch of a cell without a value."""
    parts = [f'<text x="{x:.1f}" y="{TOP + 8}" class="legend">{escape(fit(title, 22))}</text>']
    for i, share in enumerate((*LEGEND_STEPS, None)):
        y = TOP + 16 + 18 * i
        fill = EMPTY_CELL if share is None else colour(share)
        label = "no verdicts" if share is None else f"{100 * share:.0f}%"
        parts.append(
            f'<rect class="swatch" x="{x:.1f}" y="{y:.1f}" width="14" height="14" fill="{fill}"/>'
            f'<text x="{x + 20:.1f}" y="{y + 11:.1f}" class="legend">{label}</text>'
        )
    return "".join(parts)
