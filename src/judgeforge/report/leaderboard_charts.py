"""The charts of a leaderboard's protocol sections, from the board (``leaderboard.json``'s content).

- :func:`ranking_chart`: the protocol's ranking, one interval bar per model in rank order: ``direct`` the
  mean score 1..5, ``baseline`` the win rate in percent against the baseline (a dashed line at 50%, the
  baseline itself without an interval), ``pairs`` the Elo-scale rating (a dashed line at 1000, the mean).
- :func:`win_matrix_chart`: the board's win-rate matrix of a pairwise protocol (``baseline``: each model
  against the baseline; ``pairs``: each model against each other), None for a board written without one.

Models whose parse coverage the leaderboard flagged carry the flag under their tick.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from judgeforge.report import units
from judgeforge.report.data import Estimate, IntervalChart, MatrixChart


@dataclass(frozen=True)
class _Scale:
    """Where a protocol's estimate and interval are in its ranking rows, and how they are shown."""

    value: str
    low: str
    high: str
    y_title: str
    title: Callable[[dict[str, Any]], str]
    factor: float = 1.0
    digits: int = 2
    percent: bool = False
    y_range: tuple[float, float] | None = None
    reference: Callable[[dict[str, Any]], tuple[float, str]] | None = None


_SCALES: dict[str, _Scale] = {
    "direct": _Scale(
        "mean", "low", "high", "mean score (1-5)", lambda s: "direct: mean score", y_range=(1.0, 5.0)
    ),
    "baseline": _Scale(
        "win_rate",
        "low",
        "high",
        "win rate against the baseline (%)",
        lambda s: f"baseline: win rate against {s['baseline']}",
        factor=100.0,
        digits=1,
        percent=True,
        reference=lambda s: (50.0, f"the baseline, {s['baseline']}, at 50%"),
    ),
    "pairs": _Scale(
        "elo",
        "elo_low",
        "elo_high",
        "Elo rating (1000 + 400 θ / ln 10)",
        lambda s: "pairs: Bradley-Terry rating, Elo scale",
        digits=0,
        reference=lambda s: (1000.0, "the mean rating, 1000"),
    ),
}


def ranking_chart(board: dict[str, Any], protocol: str) -> IntervalChart:
    """The ranking of ``protocol`` with its intervals at the board's confidence level."""
    section, scale = board[protocol], _SCALES[protocol]
    level = f"{board['settings']['confidence']:.0%}"
    estimates: dict[str, Estimate] = {}
    missing: dict[str, str] = {}
    for row in section["ranking"]:
        value, low, high = (
            _scaled(row.get(key), scale.factor) for key in (scale.value, scale.low, scale.high)
        )
        estimates[row["model"]] = (value, low, high)
        if row.get("baseline"):
            missing[row["model"]] = "baseline"
    return IntervalChart(
        f"{scale.title(section)}, with {level} intervals",
        "model (ranked)",
        scale.y_title,
        estimates,
        percent=scale.percent,
        digits=scale.digits,
        y_range=scale.y_range,
        reference=None if scale.reference is None else scale.reference(section),
        missing=missing,
        warnings=coverage_flags(section),
        empty="no values (see the note above)",  # e.g. pairs whose ratings have no maximum likelihood
    )


def _scaled(value: Any, factor: float) -> float | None:
    return None if value is None else factor * float(value)


def coverage_flags(section: dict[str, Any]) -> dict[str, str]:
    """model -> "⚠ parsed 70%" for each model whose parse coverage the leaderboard flagged."""
    return {
        model: f"⚠ parsed {units.percent(entry['coverage'])}"
        for model, entry in section["diagnostics"]["coverage"].items()
        if entry.get("flagged")
    }


def win_matrix_chart(section: dict[str, Any], protocol: str) -> MatrixChart | None:
    """The section's win-rate matrix as a heatmap (rows: the model, columns: its opponents)."""
    matrix = section.get("matrix")
    if matrix is None:
        return None
    title = (
        f"baseline: win rate of each model against {section['baseline']}"
        if protocol == "baseline"
        else f"{protocol}: win rate of the row model against the column model"
    )
    return MatrixChart(
        title,
        "opponent",
        "model",
        matrix["rows"],
        matrix["columns"],
        matrix["win_rate"],
        matrix["n"],
        legend="row's win rate",
    )
