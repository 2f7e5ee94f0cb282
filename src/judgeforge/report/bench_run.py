"""One judge's results on one benchmark in one mode, as the bench sections, charts and items read them."""

from __future__ import annotations

from dataclasses import dataclass, field
from statistics import fmean
from typing import Any

from judgeforge.report import units
from judgeforge.report.data import Cell


@dataclass
class JudgeRun:
    judge: str
    metrics: dict[str, Any]  # the judge's entry in summary.json for this benchmark and mode
    lines: list[dict[str, Any]] = field(default_factory=list)  # its result rows

    @property
    def total(self) -> int:
        return int(self.metrics.get("items") or len(self.lines))

    @property
    def with_verdict(self) -> int:
        return self.total - int(self.metrics.get("no_verdict") or 0)

    @property
    def share(self) -> float:
        return self.with_verdict / self.total if self.total else 0.0

    @property
    def silent(self) -> bool:
        """No verdict on any item."""
        return self.with_verdict == 0

    @property
    def coverage(self) -> Cell:
        return units.coverage(self.with_verdict, self.total)

    @property
    def flag(self) -> str:
        """The warning on every number of this judge here ("" when coverage is fine)."""
        cell = self.coverage
        return f"computed on {cell.text}" if cell.warning else ""


def gold_source(lines: list[dict[str, Any]]) -> str | None:
    """The gold source the charts compare with: the first one named in the rows."""
    names = sorted({name for line in lines if isinstance(line.get("gold"), dict) for name in line["gold"]})
    return names[0] if names else None


def gold_score(line: dict[str, Any], source: str) -> float | None:
    """The mean gold score of a direct row from ``source``."""
    gold = line.get("gold")
    values = gold.get(source) if isinstance(gold, dict) else None
    if isinstance(values, (int, float)):
        return float(values)
    numbers = [float(v) for v in values or [] if isinstance(v, (int, float))]
    return fmean(numbers) if numbers else None


def level(value: float) -> int:
    """A score rounded to its 1..5 level (half up, as people read 2.5 as 3)."""
    return min(5, max(1, int(value + 0.5)))
