"""What a report shows, in one shape: facts, sections of charts and tables, and a searchable item table.

Built by the loaders (:mod:`judgeforge.report.load`, :mod:`judgeforge.report.grading`,
:mod:`judgeforge.report.bench`, :mod:`judgeforge.report.leaderboard`), drawn by html/png/markdown. Every
text here is already a label a person reads: the loaders turn code names into words
(:mod:`judgeforge.report.labels`) and numbers into text with their unit (:mod:`judgeforge.report.units`),
once, so HTML and markdown cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Cell:
    """A table cell or a fact: its text and, when set, why it is flagged (shown next to it)."""

    text: str
    warning: str = ""


@dataclass
class Table:
    title: str
    header: list[str]
    rows: list[list[Cell]]


@dataclass
class BarChart:
    """Vertical bars, one per label; a None value is drawn as "no verdicts" instead of a bar."""

    title: str
    x_title: str
    y_title: str
    values: dict[str, float | None]
    percent: bool = False  # values are percentages (0..100): ticks and labels say so
    warnings: dict[str, str] = field(default_factory=dict)  # label -> flag shown under the bar
    empty: str = ""  # shown across the plot when every value is None (e.g. "no verdicts (0 of 12 items)")


@dataclass
class Heatmap:
    """A square count matrix: ``matrix[row][column]``, rows along y, columns along x."""

    title: str
    x_title: str
    y_title: str
    levels: list[str]
    matrix: list[list[int]]


@dataclass
class LineChart:
    """Lines with points; fixed ``x_range``/``y_range`` where the scale is known (1..5 scores)."""

    title: str
    x_title: str
    y_title: str
    series: dict[str, list[tuple[float, float]]]
    diagonal: bool = False  # y = x, for calibration
    x_range: tuple[float, float] | None = None
    y_range: tuple[float, float] | None = None
    x_ticks: list[float] | None = None  # where the data has natural ticks (the alphas of a sweep)
    empty: str = ""


Estimate = tuple[float | None, float | None, float | None]  # (value, low, high); None where there is none


@dataclass
class IntervalChart:
    """A ranking: one estimate per label in the given order, its interval drawn as a bar from low to high
    with a dot at the value. A label without an interval shows ``missing.get(label, "no interval")``, one
    without a value "no value"; ``reference`` is a dashed line (value, what it is), e.g. the baseline's 50%."""

    title: str
    x_title: str
    y_title: str
    estimates: dict[str, Estimate]
    percent: bool = False  # values are percentages (0..100)
    digits: int = 2  # decimals of the value written by each dot
    y_range: tuple[float, float] | None = None  # a known scale (1..5 scores); else fitted to the intervals
    reference: tuple[float, str] | None = None
    missing: dict[str, str] = field(default_factory=dict)
    warnings: dict[str, str] = field(default_factory=dict)  # label -> flag shown under its tick
    empty: str = ""  # shown across the plot when no label has a value


@dataclass
class MatrixChart:
    """Shares (0..1) of each row label against each column label, ``values[row][column]`` (None: no value,
    e.g. a model against itself), coloured on a diverging scale around 50% with ``legend`` naming the share;
    ``counts[row][column]`` (how many verdicts a share is of) go in each cell's tooltip."""

    title: str
    x_title: str
    y_title: str
    rows: list[str]
    columns: list[str]
    values: list[list[float | None]]
    counts: list[list[int]]
    legend: str = "share"


Chart = BarChart | Heatmap | LineChart | IntervalChart | MatrixChart


@dataclass
class Section:
    """A titled block of charts and tables (built by the loaders, drawn by html/png/markdown)."""

    title: str
    charts: list[Chart] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    notes: list[Cell] = field(
        default_factory=list
    )  # sentences shown above the charts (flagged ones stand out)


@dataclass
class Output:
    """One model output of an item: which sample, what was read from it, and the output itself."""

    label: str
    parsed: str  # "score 4", "winner A", or "no verdict: <reason>"
    failed: bool
    feedback: str
    raw: str
    raw_note: str = ""  # set when there is no raw output to show, saying why


@dataclass
class ItemDetail:
    """An item's full view: its inputs, the rendered prompt(s), and every output with its parse result."""

    fields: list[tuple[str, str]] = field(default_factory=list)  # (label, text): instruction, response, ...
    prompts: list[tuple[str, str]] = field(default_factory=list)  # (label, model input)
    outputs: list[Output] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what could not be shown, and why


@dataclass
class ItemRow:
    """One row of the searchable item table, with its full view."""

    source: str
    item_id: str
    verdict: str
    gold: str
    feedback: str
    failure: str
    detail: ItemDetail = field(default_factory=ItemDetail)


@dataclass
class ReportData:
    kind: str  # "grading" | "bench" | "sweep" | "leaderboard"
    title: str
    facts: dict[str, Cell]  # label -> value, shown as cards
    sections: list[Section]
    items: list[ItemRow]
    items_total: int
    source_label: str = "source"  # the item table's first column: the run file, or judge and benchmark


def bin_calibration(pairs: list[tuple[float, float]]) -> list[tuple[float, float, int]]:
    """(mean x, mean y, count) per unit bin of x on the 1..5 scale."""
    bins: dict[int, list[tuple[float, float]]] = {}
    for predicted, gold in pairs:
        bins.setdefault(min(4, max(0, int(predicted - 1))), []).append((predicted, gold))
    return [
        (sum(p for p, _ in members) / len(members), sum(g for _, g in members) / len(members), len(members))
        for _, members in sorted(bins.items())
    ]
