"""The report's charts as PNG files (matplotlib), for papers and slides: the same charts, titles, axis
titles and units as the HTML."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from judgeforge.lazy import require
from judgeforge.report import units
from judgeforge.report.data import BarChart, Heatmap, IntervalChart, LineChart, MatrixChart, ReportData
from judgeforge.report.svg_board import EMPTY_CELL, colour

BLUE, FLAG = "#3b6ea8", "#b35c00"


def write_pngs(data: ReportData, folder: str | Path) -> list[Path]:
    """One PNG per chart of every section; returns the files written."""
    matplotlib = require("matplotlib", "report")
    matplotlib.use("Agg")
    plt = require("matplotlib.pyplot", "report")
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for section in data.sections:
        for chart in section.charts:
            square = isinstance(chart, (Heatmap, MatrixChart))
            fig, ax = plt.subplots(figsize=(5, 4) if square else (5.5, 3.4))
            _DRAWERS[type(chart)](ax, chart)
            ax.set_title(chart.title, fontsize=9)
            ax.set_xlabel(chart.x_title, fontsize=8)
            ax.set_ylabel(chart.y_title, fontsize=8)
            path = out / f"{len(written):02d}-{_slug(section.title + ' ' + chart.title)}.png"
            fig.savefig(path, dpi=150, bbox_inches="tight")
            plt.close(fig)
            written.append(path)
    return written


def _bars(ax: Any, chart: BarChart) -> None:
    labels = list(chart.values)
    heights = [v or 0.0 for v in chart.values.values()]
    bars = ax.bar(range(len(labels)), heights, color=BLUE)
    ax.bar_label(
        bars,
        labels=[
            "no value" if v is None else units.chart_value(v, chart.percent) for v in chart.values.values()
        ],
        fontsize=7,
    )
    ticks = [label + (f"\n{chart.warnings[label]}" if label in chart.warnings else "") for label in labels]
    ax.set_xticks(range(len(labels)), ticks, fontsize=7)
    if chart.percent:
        ax.set_ylim(0, 105)
    ax.axhline(0, color="#888", linewidth=0.8)


def _heatmap(ax: Any, chart: Heatmap) -> None:
    ax.imshow(chart.matrix, cmap="Blues")
    ticks = range(len(chart.levels))
    ax.set_xticks(ticks, chart.levels)
    ax.set_yticks(ticks, chart.levels)
    top = max((v for row in chart.matrix for v in row), default=0) or 1
    for r, row in enumerate(chart.matrix):
        for c, value in enumerate(row):
            color = "white" if value / top > 0.55 else "black"
            ax.text(c, r, str(value), ha="center", va="center", fontsize=8, color=color)


def _lines(ax: Any, chart: LineChart) -> None:
    if chart.diagonal:
        low, high = chart.x_range or (1.0, 5.0)
        ax.plot([low, high], [low, high], "--", color="#999", label="perfect calibration")
    for name, points in chart.series.items():
        ax.plot([x for x, _ in points], [y for _, y in points], "o-", label=name)
    if chart.x_range:
        ax.set_xlim(*chart.x_range)
    if chart.y_range:
        ax.set_ylim(*chart.y_range)
    if chart.x_ticks and len(chart.x_ticks) <= 11:
        ax.set_xticks(chart.x_ticks)
    ax.grid(alpha=0.3)
    if len(chart.series) > 1 or chart.diagonal:
        ax.legend(fontsize=7)


def _intervals(ax: Any, chart: IntervalChart) -> None:
    labels = list(chart.estimates)
    for x, (value, low, high) in enumerate(chart.estimates.values()):
        if value is None:
            continue
        if low is not None and high is not None:
            ax.errorbar([x], [value], yerr=[[value - low], [high - value]], fmt="o", color=BLUE, capsize=4)
        else:
            ax.plot([x], [value], "o", color=BLUE)
        shown = f"{value:.1f}%" if chart.percent else f"{value:.{chart.digits}f}"
        ax.annotate(shown, (x, high if high is not None else value), textcoords="offset points",
                    xytext=(0, 5), ha="center", fontsize=7)  # fmt: skip
    if chart.reference is not None:
        ax.axhline(
            chart.reference[0], color="#8a8f99", linestyle="--", linewidth=0.8, label=chart.reference[1]
        )
        ax.legend(fontsize=7)
    ticks = [label + (f"\n{chart.warnings[label]}" if label in chart.warnings else "") for label in labels]
    ax.set_xticks(range(len(labels)), ticks, fontsize=7)
    ax.set_xlim(-0.5, len(labels) - 0.5)
    if chart.percent:
        ax.set_ylim(0, 105)
    elif chart.y_range:
        ax.set_ylim(*chart.y_range)
    ax.grid(alpha=0.3, axis="y")


def _matrix(ax: Any, chart: MatrixChart) -> None:
    colors = require("matplotlib.colors", "report")
    scale = colors.LinearSegmentedColormap.from_list("share", [colour(0.0), colour(0.5), colour(1.0)])
    scale = scale.with_extremes(bad=EMPTY_CELL)
    values = [[float("nan") if v is None else v for v in row] for row in chart.values]
    image = ax.imshow(values, cmap=scale, vmin=0.0, vmax=1.0)
    ax.set_xticks(range(len(chart.columns)), chart.columns, rotation=35, ha="right", fontsize=7)
    ax.set_yticks(range(len(chart.rows)), chart.rows, fontsize=7)
    for r, row in enumerate(chart.values):
        for c, value in enumerate(row):
            text = units.NONE if value is None else f"{100 * value:.0f}%"
            dark = value is not None and abs(value - 0.5) > 0.3
            ax.text(c, r, text, ha="center", va="center", fontsize=8, color="white" if dark else "black")
    ax.figure.colorbar(image, ax=ax, label=chart.legend, format=lambda v, _: f"{100 * v:.0f}%")


_DRAWERS: dict[type, Callable[[Any, Any], None]] = {
    BarChart: _bars,
    Heatmap: _heatmap,
    LineChart: _lines,
    IntervalChart: _intervals,
    MatrixChart: _matrix,
}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "chart"
