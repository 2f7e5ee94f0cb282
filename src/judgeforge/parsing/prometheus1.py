"""Prometheus 1 verdicts (``evaluation/benchmark/run_absolute_scoring.py``).

The output is split on ``[RESULT]`` (exact case); the text after the **first** marker, up to any second one,
stripped, must be exactly one of the levels 1..5; the feedback is the text before it. An end-of-turn token
after the value (``4</s>``) ends it. No marker or any other value is a failure (the scripts sample again).
Later markers with different values are noted. Direct assessment only.
"""

from __future__ import annotations

from collections.abc import Sequence

from judgeforge.parsing.common import ONE_TO_FIVE, failure, others_note
from judgeforge.parsing.verdict import before_end_of_turn
from judgeforge.records import Mode, Verdict

MARKER = "[RESULT]"


def parse_prometheus1(text: str, mode: Mode, scale: Sequence[str] | None = None) -> Verdict:
    """One Prometheus 1 output -> Verdict (a score 1..5; a failure is data)."""
    if mode != "absolute":
        raise ValueError(f"Prometheus 1 grades one response (mode 'absolute'), got {mode!r}")
    parts = text.split(MARKER)
    if len(parts) < 2:
        return failure("no [RESULT] marker", text, text)
    feedback = parts[0].strip()
    values = [_value(part) for part in parts[1:]]
    levels = scale or ONE_TO_FIVE
    if values[0] not in levels:
        return failure(
            f"verdict after the first [RESULT] is not one of {'/'.join(levels)}: {values[0]!r}",
            text,
            feedback,
        )
    written = [value for value in values if value in levels]
    note = others_note(values[0], written, "the first, as the Prometheus 1 scripts read it")
    return Verdict(score=int(values[0]), feedback=feedback, raw=text, note=note)


def _value(part: str) -> str:
    stripped = part.strip()
    return before_end_of_turn(stripped) if "<" in stripped else stripped
