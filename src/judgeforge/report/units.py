"""Numbers as text, one unit per kind of figure, the same in HTML, markdown and PNG.

Shares (accuracy, exact match, agreement, consistency, coverage) are percentages; correlations and
Krippendorff's α are plain numbers in [-1, 1]; counts are whole numbers; scores keep two decimals.
"""

from __future__ import annotations

from typing import Any

from judgeforge.report.data import Cell

COVERAGE_FLOOR = 0.9  # below this share of items with a verdict, a judge's numbers are flagged
NONE = "–"


def percent(value: Any) -> str:
    """``0.8125`` -> ``"81.3%"``; missing -> ``"–"``."""
    return f"{100 * value:.1f}%" if isinstance(value, (int, float)) else NONE


def number(value: Any, digits: int = 3) -> str:
    """A correlation, α or other unitless figure."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return NONE
    return f"{value:.{digits}f}"


def count(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else NONE


def score(value: Any) -> str:
    """A verdict score: whole levels as they are, means with two decimals."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return NONE
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}"


def chart_value(value: float, percent: bool) -> str:
    """A value as written on its bar: ``81.3%``, a count ``12``, or a number ``-0.71``."""
    if percent:
        return f"{value:.1f}%"
    return f"{value:g}" if float(value).is_integer() else f"{value:.2f}"


def coverage(with_verdict: int, total: int, what: str = "items") -> Cell:
    """``n of N items (p%)``, flagged below :data:`COVERAGE_FLOOR`."""
    share = with_verdict / total if total else 0.0
    text = f"{with_verdict:,} of {total:,} {what} ({100 * share:.0f}%)"
    if total and share >= COVERAGE_FLOOR:
        return Cell(text)
    if with_verdict == 0:
        return Cell(text, f"no verdicts: nothing is computed from this judge's {what}")
    return Cell(text, f"low coverage: below {100 * COVERAGE_FLOOR:.0f}% of {what} have a verdict")
