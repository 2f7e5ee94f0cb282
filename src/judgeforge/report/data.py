"""What a report shows, in one shape: sections of charts and tables and a searchable item table.

Built by the loaders (:mod:`judgeforge.report.load`, :mod:`judgeforge.report.bench`), drawn by
html/png/markdown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ItemRow:
    """One row of the searchable item table."""

    source: str
    item_id: str
    verdict: str
    gold: str
    feedback: str
    failure: str


@dataclass
class Section:
    """A titled block of charts and tables (built by the loaders, drawn by html/png/markdown)."""

    title: str
    bars: dict[str, dict[str, float]] = field(default_factory=dict)  # chart title -> label -> value
    tables: dict[str, tuple[list[str], list[list[str]]]] = field(default_factory=dict)
    confusion: dict[str, list[list[int]]] = field(default_factory=dict)  # title -> 5x5 (gold x predicted)
    calibration: dict[str, list[tuple[float, float, int]]] = field(default_factory=dict)  # (pred, gold, n)
    lines: dict[str, dict[str, list[tuple[float, float]]]] = field(default_factory=dict)  # title -> series


@dataclass
class ReportData:
    kind: str  # "grading" | "bench" | "sweep"
    title: str
    summary: dict[str, str]
    sections: list[Section]
    items: list[ItemRow]
    items_total: int


def fmt(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def bin_calibration(pairs: list[tuple[float, float]]) -> list[tuple[float, float, int]]:
    bins: dict[int, list[tuple[float, float]]] = {}
    for predicted, gold in pairs:
        bins.setdefault(min(4, max(0, int(predicted - 1))), []).append((predicted, gold))
    return [
        (sum(p for p, _ in members) / len(members), sum(g for _, g in members) / len(members), len(members))
        for _, members in sorted(bins.items())
    ]
