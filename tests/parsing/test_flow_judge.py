"""Flow-Judge verdicts: <feedback>...</feedback> then <score>N</score>, first of each, score on the rubric's scale."""

from __future__ import annotations

import pytest

from judgeforge.parsing import parsers

parse = parsers.get("flow-judge")
FEEDBACK = "The response matches the reference answer and adds nothing extraneous."
BINARY, THREE = ("0", "1"), ("1", "2", "3")

OK = [
    (f"<feedback>\n{FEEDBACK}\n</feedback>\n<score>\n1\n</score>", BINARY, 1),
    (f"<feedback>{FEEDBACK}</feedback><score>0</score>", BINARY, 0),
    (f"<feedback>  {FEEDBACK}  </feedback>\n\n<score> 3 </score>", THREE, 3),
    (f"<feedback>\n{FEEDBACK}\n</feedback>\n<score>\n4\n</score>", None, 4),  # default: 1-5
    (f"<feedback>\n{FEEDBACK}\n</feedback>\n<score>\n5\n</score><|end|>", None, 5),
]
FAIL = [
    (f"<feedback>{FEEDBACK}</feedback>", BINARY, "no <score>"),
    ("<score>1</score>", BINARY, "no <feedback>"),
    (f"{FEEDBACK} Score: 1", BINARY, "no <score>"),
    (f"<feedback>{FEEDBACK}</feedback><score>2</score>", BINARY, "not one of the levels 0/1"),
    (f"<feedback>{FEEDBACK}</feedback><score>4.5</score>", None, "unreadable score '<score>4.5</score>'"),
    (f"<feedback>{FEEDBACK}</feedback><score>-1</score>", None, "unreadable score"),
    (f"<feedback>{FEEDBACK}</feedback><score>four</score>", None, "unreadable score"),
    (f"<feedback>{FEEDBACK}</feedback><score>0</score>", THREE, "not one of the levels 1/2/3"),
    (f"<feedback>{FEEDBACK}<score>3</score>", THREE, "no <feedback>"),
]


@pytest.mark.parametrize(("text", "scale", "score"), OK)
def test_accepted_forms(text: str, scale: tuple[str, ...] | None, score: int) -> None:
    verdict = parse(text, "absolute", scale)
    assert verdict.ok and verdict.score == score and verdict.feedback == FEEDBACK and verdict.note is None


@pytest.mark.parametrize(("text", "scale", "reason"), FAIL)
def test_near_misses_fail(text: str, scale: tuple[str, ...] | None, reason: str) -> None:
    verdict = parse(text, "absolute", scale)
    assert verdict.score is None and reason in (verdict.failure or ""), verdict.failure


def test_first_score_counts_and_a_later_different_one_is_noted() -> None:
    text = f"<feedback>{FEEDBACK}</feedback>\n<score>2</score>\n<feedback>again</feedback><score>3</score>"
    verdict = parse(text, "absolute", THREE)
    assert verdict.score == 2 and verdict.feedback == FEEDBACK
    assert verdict.note == "several verdicts in one output: 2, 3; 2 taken (the first, as Flow-Judge reads it)"
    assert parse("<feedback>x</feedback><score>2</score><score>02</score>", "absolute", THREE).note is None


def test_direct_assessment_only() -> None:
    with pytest.raises(ValueError):
        parse("<score>1</score>", "relative")
