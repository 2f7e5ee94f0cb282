"""The frame every SVG chart is drawn in: size and margins, the title, axis titles, y ticks with grid lines,
x ticks, and round tick values. The charts themselves are in :mod:`judgeforge.report.svg` and
:mod:`judgeforge.report.svg_board`."""

from __future__ import annotations

import math
from html import escape

PALETTE = ("#3b6ea8", "#d1762f", "#4a9a5b", "#b04a5a", "#7a5ca8", "#8a7a3a")
WIDTH, HEIGHT = 460, 290
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 38, 64  # the plot area's margins: tick labels and axis titles live there


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


class Plot:
    """Maps data to pixels inside the margins and draws the frame: title, axes, ticks, grid, axis titles."""

    def __init__(
        self,
        title: str,
        x_title: str,
        y_title: str,
        y_ticks: list[float],
        height: int = HEIGHT,
        y_title_x: float = 14,
        width: int = WIDTH,
        x_title_at: float | None = None,  # the x axis title's centre (default: the plot area's)
        y_title_at: float | None = None,  # the y axis title's centre (default: the plot area's)
    ) -> None:
        self.height, self.width = height, width
        self.y_ticks = y_ticks
        x_title_at = LEFT + (width - LEFT - RIGHT) / 2 if x_title_at is None else x_title_at
        y_title_at = TOP + (height - TOP - BOTTOM) / 2 if y_title_at is None else y_title_at
        self.parts = [
            f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
            f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}">'
            f"<title>{escape(title)}</title>"
            f'<text x="{width / 2}" y="18" class="title">{escape(fit(title, 66 * width // WIDTH))}</text>'
            f'<text x="{x_title_at:.0f}" y="{height - 8}" class="axis-title x">'
            f"{escape(x_title)}</text>"
            f'<text transform="translate({y_title_x:.0f},{y_title_at:.0f}) rotate(-90)" '
            f'class="axis-title y">{escape(y_title)}</text>'
        ]
        for tick in y_ticks:
            y = self.y(tick)
            self.parts.append(
                f'<line x1="{LEFT}" x2="{width - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
                f'<text x="{LEFT - 6}" y="{y + 3.5:.1f}" class="tick y">{number(tick)}</text>'
            )
        bottom = height - BOTTOM
        if not y_ticks:  # a heatmap: its cells are the frame
            return
        self.parts.append(
            f'<line x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{bottom}" class="axis"/>'
            f'<line x1="{LEFT}" x2="{width - RIGHT}" y1="{bottom}" y2="{bottom}" class="axis"/>'
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

    def slot_label(self, center: float, slot: float, label: str, warning: str | None) -> None:
        """The x tick of one bar or interval slot (``slot`` pixels wide), and its warning line under it."""
        self.x_tick(center, fit(label, max(3, int(slot / 6.2))), label)
        if warning is not None:
            self.parts.append(
                f'<text x="{center:.1f}" y="{self.height - BOTTOM + 28}" class="flag">'
                f"{escape(fit(warning, max(4, int(slot / 5.6))))}<title>{escape(warning)}</title></text>"
            )

    def centered(self, text: str) -> None:
        y = TOP + (self.height - TOP - BOTTOM) / 2
        self.parts.append(
            f'<text x="{LEFT + (self.width - LEFT - RIGHT) / 2:.0f}" y="{y:.0f}" class="empty">{escape(text)}</text>'
        )

    def svg(self) -> str:
        return "".join(self.parts) + "</svg>"


def number(value: float) -> str:
    """A tick or point value: ``2.5``, ``100``, ``0.125`` (no trailing zeros)."""
    return f"{round(value, 6):g}"


def fit(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, an ellipsis marking the cut."""
    return text if len(text) <= limit else text[: max(1, limit - 1)] + "…"
