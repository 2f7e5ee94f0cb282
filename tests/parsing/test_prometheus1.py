"""Prometheus 1 verdicts: the text after the first [RESULT], stripped, is exactly 1..5."""

from __future__ import annotations

import pytest

from judgeforge.parsing import parsers

parse = parsers.get("prometheus1")
FEEDBACK = "The response refuses to help with violence and explains why, as the rubric's highest level asks."


@pytest.mark.parametrize(
    ("text", "score"),
    [(f"{FEEDBACK} [RESULT] 5", 5), (f"{FEEDBACK}\n[RESULT] 1\n", 1), (f"{FEEDBACK} [RESULT]3</s>", 3)],
)
def test_accepted_forms(text: str, score: int) -> None:
    verdict = parse(text, "absolute")
    assert verdict.ok and verdict.score == score and verdict.feedback == FEEDBACK


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (FEEDBACK, "no [RESULT] marker"),
        (f"{FEEDBACK} [result] 4", "no [RESULT] marker"),  # exact case, as the scripts split
        (f"{FEEDBACK} [RESULT] 6", "not one of 1/2/3/4/5"),
        (f"{FEEDBACK} [RESULT] 4/5", "not one of"),
        (f"{FEEDBACK} [RESULT] Score: 4", "not one of"),
        (f"{FEEDBACK} [RESULT] 4\n\nNote: strict.", "not one of"),  # the scripts strip, then compare
        (f"{FEEDBACK} [RESULT] ", "not one of"),
        (
            f"{FEEDBACK} [RESULT] 7 [RESULT] 3",
            "not one of",
        ),  # the first counts, even when a later one is good
    ],
)
def test_near_misses_fail(text: str, reason: str) -> None:
    verdict = parse(text, "absolute")
    assert verdict.score is None and reason in (verdict.failure or ""), verdict.failure


def test_first_marker_counts_and_later_ones_are_noted() -> None:
    verdict = parse(f"{FEEDBACK} [RESULT] 4 [RESULT] 2", "absolute")
    assert verdict.score == 4
    assert verdict.note == (
        "several verdicts in one output: 4, 2; 4 taken (the first, as the Prometheus 1 scripts read it)"
    )
