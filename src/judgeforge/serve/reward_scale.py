"""The scale an item was graded on, and where a verdict lies on it, for the reward's normalisation.

The scale is the rubric's own (``Rubric.scale``) when it has one, else the template set's scale values
(``ScaleSpec.values``; a set that shows any whole-number scale names none), else the standard 1..5.

- **Numeric scales** (``0``/``1``, ``1``..``3``, ``1``..``10``, decimals): a verdict's point is its score; the
  bounds are the scale's smallest and largest values, whatever order the rubric lists them in.
- **Label scales** (``Yes``/``No``, ``Fail``/``Pass``, ``Poor``/``Fair``/``Good``): a verdict's point is its
  label's position, 0 for the worst level up to ``n - 1`` for the best. The order is the rubric's own, **first
  level = worst**, as numeric scales are written (``1`` .. ``5``, ``0``/``1``), unless the scale says
  otherwise: a two-level scale of one affirmative and one negative word (:data:`AFFIRMATIVE`,
  :data:`NEGATIVE`, any case: ``Yes``/``No``, ``Pass``/``Fail``, ``True``/``False``, ``Correct``/``Incorrect``)
  puts the affirmative one on top in either order, so the usual ``{"Yes": ..., "No": ...}`` (Selene's order)
  rewards ``Yes``.
"""

from __future__ import annotations

from dataclasses import dataclass

from judgeforge.prompts.scales import ScaleSpec, numeric
from judgeforge.records import SCORE_LEVELS, Rubric

AFFIRMATIVE = frozenset({"yes", "pass", "true", "correct", "good", "acceptable", "safe"})
NEGATIVE = frozenset({"no", "fail", "false", "incorrect", "bad", "unacceptable", "unsafe"})
STANDARD = tuple(str(level) for level in SCORE_LEVELS)


@dataclass(frozen=True)
class GradedScale:
    """A scale as the reward reads it: ``low``..``high`` bounds and, for labels, each label's point."""

    values: tuple[str, ...]
    low: float
    high: float
    points: dict[str, float] | None = None  # label -> position (0 = worst); None for numeric scales

    def point(self, score: float | None, label: str | None) -> float | None:
        """The verdict's point on this scale (its score, or its label's position); None when it has neither
        (or a label the scale does not hold)."""
        if self.points is not None:
            return None if label is None else self.points.get(label)
        return score

    def unit(self, point: float) -> float:
        """``(point - low) / (high - low)``: 0 at the worst level, 1 at the best."""
        return (point - self.low) / (self.high - self.low)


def item_scale(rubric: Rubric, set_scale: ScaleSpec | None = None) -> GradedScale:
    """The scale ``rubric`` is graded on: its own, else ``set_scale``'s values, else 1..5."""
    if rubric.scale is not None:
        return graded_scale(rubric.scale_values())
    if set_scale is not None and set_scale.values is not None:
        return graded_scale(set_scale.values)
    return graded_scale(STANDARD)


def graded_scale(values: tuple[str, ...]) -> GradedScale:
    """The bounds (numeric) or label positions (words) of a scale of at least two values."""
    if numeric(values):
        numbers = [float(value) for value in values]
        return GradedScale(values, min(numbers), max(numbers))
    order = _worst_first(values)
    return GradedScale(values, 0.0, float(len(order) - 1), {label: float(i) for i, label in enumerate(order)})


def _worst_first(values: tuple[str, ...]) -> tuple[str, ...]:
    if len(values) == 2:
        first, second = (value.strip().lower() for value in values)
        if first in AFFIRMATIVE and second in NEGATIVE:
            return values[1], values[0]
    return values
