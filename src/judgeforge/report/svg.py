"""Inline SVG charts: no scripts, no network, readable in any browser and in print."""

from __future__ import annotations

from html import escape

PALETTE = ("#3b6ea8", "#d1762f", "#4a9a5b", "#b04a5a", "#7a5ca8", "#8a7a3a")
WIDTH, HEIGHT, PAD = 460, 220, 36


def bar_chart(title: str, values: dict[str, float]) -> str:
    """Vertical bars with value labels."""
    top = max(values.values(), default=0.0) or 1.0
    slot = (WIDTH - 2 * PAD) / max(len(values), 1)
    parts = [_frame(title)]
    for i, (label, value) in enumerate(values.items()):
        height = (HEIGHT - 2 * PAD) * value / top
        x, y = PAD + i * slot + slot * 0.15, HEIGHT - PAD - height
        parts.append(
            f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" height="{height:.1f}" '
            f'fill="{PALETTE[0]}"><title>{escape(label)}: {value:g}</title></rect>'
            f'<text x="{x + slot * 0.35:.1f}" y="{y - 4:.1f}" class="value">{value:g}</text>'
            f'<text x="{x + slot * 0.35:.1f}" y="{HEIGHT - PAD + 14}" class="label">{escape(label[:14])}</text>'
        )
    return _close(parts)


def heatmap(title: str, matrix: list[list[int]]) -> str:
    """A 5x5 confusion matrix: rows are gold levels, columns the judge's."""
    size = min(WIDTH, HEIGHT + 60) - 2 * PAD
    cell = size / 5
    top = max((v for row in matrix for v in row), default=0) or 1
    parts = [_frame(title, height=size + 2 * PAD)]
    for r, row in enumerate(matrix):
        for c, value in enumerate(row):
            shade = 0.08 + 0.85 * value / top
            x, y = PAD + c * cell, PAD + r * cell
            parts.append(
                f'<rect class="cell" x="{x:.1f}" y="{y:.1f}" width="{cell:.1f}" height="{cell:.1f}" '
                f'fill="{PALETTE[0]}" fill-opacity="{shade:.2f}"><title>gold {r + 1}, judge {c + 1}: {value}'
                f'</title></rect><text x="{x + cell / 2:.1f}" y="{y + cell / 2 + 4:.1f}" class="value">{value}</text>'
            )
        parts.append(
            f'<text x="{PAD - 10}" y="{PAD + r * cell + cell / 2 + 4:.1f}" class="label">{r + 1}</text>'
        )
        parts.append(
            f'<text x="{PAD + r * cell + cell / 2:.1f}" y="{PAD + size + 14:.1f}" class="label">{r + 1}</text>'
        )
    return _close(parts)


def line_chart(title: str, series: dict[str, list[tuple[float, float]]], *, diagonal: bool = False) -> str:
    """Lines with points; x and y ranges from the data (``diagonal`` draws y = x, for calibration)."""
    xs = [x for points in series.values() for x, _ in points]
    ys = [y for points in series.values() for _, y in points]
    if diagonal:
        xs, ys = [*xs, 1.0, 5.0], [*ys, 1.0, 5.0]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)

    def at(x: float, y: float) -> tuple[float, float]:
        px = PAD + (WIDTH - 2 * PAD) * ((x - x0) / ((x1 - x0) or 1))
        py = HEIGHT - PAD - (HEIGHT - 2 * PAD) * ((y - y0) / ((y1 - y0) or 1))
        return px, py

    parts = [_frame(title)]
    if diagonal:
        (ax, ay), (bx, by) = at(1, 1), at(5, 5)
        parts.append(f'<line x1="{ax:.1f}" y1="{ay:.1f}" x2="{bx:.1f}" y2="{by:.1f}" class="diagonal"/>')
    for i, (name, points) in enumerate(series.items()):
        color = PALETTE[i % len(PALETTE)]
        coords = " ".join(f"{px:.1f},{py:.1f}" for px, py in (at(x, y) for x, y in points))
        parts.append(
            f'<polyline class="series" points="{coords}" fill="none" stroke="{color}" stroke-width="2"/>'
        )
        for x, y in points:
            px, py = at(x, y)
            parts.append(
                f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" fill="{color}"><title>{escape(name)}: '
                f"({x:g}, {y:.3f})</title></circle>"
            )
        parts.append(
            f'<text x="{WIDTH - PAD}" y="{PAD + 14 * i}" class="legend" fill="{color}">{escape(name[:40])}</text>'
        )
    parts.append(
        f'<text x="{PAD}" y="{HEIGHT - 6}" class="label">{x0:g}</text>'
        f'<text x="{WIDTH - PAD}" y="{HEIGHT - 6}" class="label">{x1:g}</text>'
        f'<text x="4" y="{HEIGHT - PAD}" class="axis">{y0:.2f}</text><text x="4" y="{PAD}" class="axis">{y1:.2f}</text>'
    )
    return _close(parts)


def _frame(title: str, height: int | float = HEIGHT) -> str:
    return (
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height:.0f}" '
        f'width="{WIDTH}" height="{height:.0f}" role="img" aria-label="{escape(title)}">'
        f'<text x="{WIDTH / 2}" y="16" class="title">{escape(title[:70])}</text>'
    )


def _close(parts: list[str]) -> str:
    return "".join(parts) + "</svg>"
