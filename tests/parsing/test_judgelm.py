"""JudgeLM verdicts: two scores on the first line (A's, B's); the winner follows, a tie when equal."""

from __future__ import annotations

import pytest

from judgeforge.parsing import parsers

parse = parsers.get("judgelm")
EXPLANATION = "Assistant 1 names Sydney, which is wrong; Assistant 2 gives Canberra with useful context."

OK = [
    (f"3 9\n{EXPLANATION}", (3.0, 9.0), "B"),
    (f"9,3\n{EXPLANATION}", (9.0, 3.0), "A"),  # JudgeLM replaces commas with spaces
    (f"8, 8\n{EXPLANATION}", (8.0, 8.0), "tie"),  # JudgeLM itself fails on ", " (a double space)
    (f"7.5 6\n{EXPLANATION}", (7.5, 6.0), "A"),
    (f"  10 1 \n{EXPLANATION}", (10.0, 1.0), "A"),
    ("6 7</s>", (6.0, 7.0), "B"),
]
FAIL = [
    (f"8\n{EXPLANATION}", "not two scores"),
    (f"8 9 10\n{EXPLANATION}", "not two scores"),
    (f"Assistant 1: 8, Assistant 2: 9\n{EXPLANATION}", "not two scores"),
    (f"eight nine\n{EXPLANATION}", "not a number"),
    (f"0 9\n{EXPLANATION}", "outside the scale 1-10"),
    (f"8 11\n{EXPLANATION}", "outside the scale 1-10"),
    (f"{EXPLANATION}\n8 9", "not two scores"),  # the scores must come first
    ("", "not two scores"),
]


@pytest.mark.parametrize(("text", "scores", "winner"), OK)
def test_accepted_forms(text: str, scores: tuple[float, float], winner: str) -> None:
    verdict = parse(text, "relative")
    assert verdict.ok and verdict.scores == scores and verdict.winner == winner


@pytest.mark.parametrize(("text", "reason"), FAIL)
def test_near_misses_fail(text: str, reason: str) -> None:
    verdict = parse(text, "relative")  # JudgeLM's [-1, -1], which it counts as a tie
    assert verdict.winner is None and verdict.scores is None and reason in (verdict.failure or ""), (
        verdict.failure
    )


def test_feedback_is_the_explanation_and_later_score_lines_are_not_read() -> None:
    verdict = parse(f"3 9\n{EXPLANATION}\n9 3", "relative")
    assert verdict.scores == (3.0, 9.0) and verdict.feedback == f"{EXPLANATION}\n9 3"
