"""Auto-J verdicts: the last 'Rating: [[N]]' on 1-10; the last 'final decision is Response 1/Response 2/Tie'."""

from __future__ import annotations

import pytest

from judgeforge.parsing import parsers

parse, parse_zh = parsers.get("auto-j"), parsers.get("auto-j-zh")
CRITIQUE = "The response names the wrong city: the capital is Washington, D.C., not New York."

SINGLE_OK = [
    (f"{CRITIQUE}\n\nRating: [[2]]", 2),
    (f"{CRITIQUE} Rating: [[10]]", 10),
    (f"{CRITIQUE} Rating: [[6.5]]", 6.5),  # Auto-J reads a float
    (f"{CRITIQUE} Rating: [[ 7 ]]", 7),  # float(" 7 ".strip())
    (f"{CRITIQUE} Rating: [[3]]</s>", 3),
]
SINGLE_FAIL = [
    (CRITIQUE, "no Rating: [[N]]"),  # Auto-J returns 0.0
    (f"{CRITIQUE} Rating: [3]", "no Rating: [[N]]"),
    (f"{CRITIQUE} rating: [[3]]", "no Rating: [[N]]"),
    (f"{CRITIQUE} Rating: [[3]", "without its closing ]]"),  # an assertion error in Auto-J
    (f"{CRITIQUE} Rating: [[three]]", "not a number"),
    (f"{CRITIQUE} Rating: [[0]]", "outside the scale 1-10"),
    (f"{CRITIQUE} Rating: [[11]]", "outside the scale 1-10"),
]


@pytest.mark.parametrize(("text", "score"), SINGLE_OK)
def test_single_forms(text: str, score: float) -> None:
    verdict = parse(text, "absolute")
    assert verdict.ok and verdict.score == score and verdict.feedback == CRITIQUE and verdict.note is None


@pytest.mark.parametrize(("text", "reason"), SINGLE_FAIL)
def test_single_near_misses_fail(text: str, reason: str) -> None:
    verdict = parse(text, "absolute")
    assert verdict.score is None and reason in (verdict.failure or ""), verdict.failure


def test_single_last_rating_counts_and_earlier_ones_are_noted() -> None:
    verdict = parse(f'The format is "Rating: [[5]]". {CRITIQUE}\nRating: [[2]]', "absolute")
    assert verdict.score == 2
    assert (
        verdict.note
        == "several verdicts in one output: [[5]], [[2]]; [[2]] taken (the last, as Auto-J reads it)"
    )


PAIR_OK = [
    (f"{CRITIQUE}\n\nSo, the final decision is Response 1", "A"),
    (f"{CRITIQUE} So, the final decision is Response 2.", "B"),
    (f"{CRITIQUE} So, the final decision is Tie", "tie"),
    (f"{CRITIQUE} So, the final decision is tie.", "tie"),
    (f"{CRITIQUE} So, the final decision is response 1, because it is correct.", "A"),
    (f"{CRITIQUE} So, the final decision is Response 2</s>", "B"),
]
PAIR_FAIL = [
    (CRITIQUE, "no decision"),
    (f"{CRITIQUE} So, the final decision is Response 12", "unreadable decision"),
    (f"{CRITIQUE} So, the final decision is Response A", "unreadable decision"),
    (f"{CRITIQUE} So, the final decision is a tiebreak", "unreadable decision"),
    (f"{CRITIQUE} So, the final decision: Response 1", "no decision"),
]


@pytest.mark.parametrize(("text", "winner"), PAIR_OK)
def test_pair_forms(text: str, winner: str) -> None:
    verdict = parse(text, "relative")
    assert verdict.ok and verdict.winner == winner and verdict.feedback.startswith(CRITIQUE)


@pytest.mark.parametrize(("text", "reason"), PAIR_FAIL)
def test_pair_near_misses_fail(text: str, reason: str) -> None:
    verdict = parse(text, "relative")
    assert verdict.winner is None and reason in (verdict.failure or ""), verdict.failure


def test_pair_last_decision_counts_and_earlier_ones_are_noted() -> None:
    text = f"A draft: the final decision is Response 2. {CRITIQUE} So, the final decision is Response 1"
    verdict = parse(text, "relative")
    assert verdict.winner == "A"
    assert verdict.note == (
        "several verdicts in one output: response 2, response 1; response 1 taken (the last, as Auto-J reads it)"
    )


@pytest.mark.parametrize(
    ("text", "mode", "expected"),
    [
        ("评论。评分:[[5]]", "absolute", 5),  # Auto-J's own reader
        ("评论。评分: [[5]]", "absolute", 5),  # the template's example (Auto-J's reader misses it)
        ("评论。打分：[[8]]", "absolute", 8),
        ("比较。所以，最终决定是回应1", "relative", "A"),
        ("比较。所以，最终决定是回应2。", "relative", "B"),
        ("比较。所以，最终决定是平局", "relative", "tie"),
    ],
)
def test_chinese_forms(text: str, mode: str, expected: object) -> None:
    verdict = parse_zh(text, mode)  # type: ignore[arg-type]
    assert verdict.ok and (verdict.score if mode == "absolute" else verdict.winner) == expected


@pytest.mark.parametrize(
    ("text", "mode"),
    [
        ("评论。Rating: [[5]]", "absolute"),
        ("评论。评分: [[12]]", "absolute"),
        ("所以，最终决定是回应3", "relative"),
    ],
)
def test_chinese_near_misses_fail(text: str, mode: str) -> None:
    assert parse_zh(text, mode).failure is not None  # type: ignore[arg-type]
