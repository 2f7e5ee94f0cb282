"""Pieces the family parsers share: reading a number on a scale, a failure, a note about extra verdicts.

A family parser follows its source's rule for *which* verdict counts (the first ``[[rating]]`` for MT-Bench,
the last ``Rating: [[N]]`` for Auto-J ..) and is strict where the source is loose: a value off the scale, a
missing verdict or an unreadable one is a failure (data, never a default value such as -1, 0.0 or "tie"). When
the output holds other, different verdicts that the rule does not take, the verdict stands and
``Verdict.note`` says what else was written.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from judgeforge.parsing.verdict import before_end_of_turn
from judgeforge.records import Verdict, Winner

NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
ONE_TO_FIVE = ("1", "2", "3", "4", "5")
ONE_TO_TEN = tuple(str(n) for n in range(1, 11))


def failure(reason: str, raw: str, feedback: str = "") -> Verdict:
    return Verdict(failure=reason, raw=raw, feedback=feedback.strip())


def number_on_scale(
    written: str, scale: Sequence[str], *, decimals: bool
) -> tuple[int | float | None, str | None]:
    """(value, None) for a number on the scale, else (None, why not).

    With ``decimals`` (families that read a float: MT-Bench, Auto-J, JudgeLM) any number between the scale's
    lowest and highest level counts (``7.5`` on 1-10); otherwise it must be one of the levels. A whole value
    is returned as an int (``7.0`` -> 7).
    """
    text = written.strip()
    if not NUMBER.fullmatch(text):
        return None, f"not a number: {written!r}"
    value = float(text)
    numbers = [float(level) for level in scale if NUMBER.fullmatch(level)]
    if decimals:
        if not numbers or not min(numbers) <= value <= max(numbers):
            return None, f"{text} is outside the scale {_span(numbers)}"
    elif not value.is_integer() or value not in numbers:
        return None, f"{text} is not one of the levels {'/'.join(scale)}"
    return (int(value) if value.is_integer() else value), None


def _span(numbers: Sequence[float]) -> str:
    if not numbers:
        return "(none)"
    low, high = min(numbers), max(numbers)
    return f"{low:g}-{high:g}"


def normalized(number: str) -> str:
    """A written number as judgeforge reports it: ``7.0`` and ``07`` -> ``7``, ``7.50`` -> ``7.5``."""
    value = float(number)
    return str(int(value)) if value.is_integer() else str(value)


def others_note(taken: str, written: Sequence[str], rule: str) -> str | None:
    """A note when ``written`` (every verdict of the output, in order) holds values other than ``taken``."""
    distinct = list(dict.fromkeys(written))
    if len(distinct) < 2:
        return None
    return f"several verdicts in one output: {', '.join(distinct)}; {taken} taken ({rule})"


def first_line(text: str) -> str:
    """The first line of the stripped text, cut at an end-of-turn token (``8 9</s>``)."""
    stripped = text.strip()
    line = stripped.split("\n", 1)[0].strip() if stripped else ""
    return before_end_of_turn(line) if "<" in line else line


def ordered(value: float, other: float) -> Winner:
    """The winner of two scores (A's and B's): the higher, or a tie when equal."""
    return "A" if value > other else "B" if other > value else "tie"
