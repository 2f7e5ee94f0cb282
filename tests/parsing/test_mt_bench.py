"""MT-Bench / FastChat verdicts: [[rating]] on 1-10 (first one counts), [[A]]/[[B]]/[[C]] (A, then B, then C)."""

from __future__ import annotations

import pytest

from judgeforge.parsing import parsers

parse = parsers.get("mt-bench")
EXPLANATION = (
    "The assistant answers accurately and with useful detail, though the second paragraph repeats itself."
)

SINGLE_OK = [
    (f"{EXPLANATION}\n\nRating: [[8]]", 8),
    (f"{EXPLANATION} Rating: [[10]]", 10),
    (f"{EXPLANATION}\n\n[[1]]", 1),
    (f"{EXPLANATION}\n\nRating: [[7.5]]", 7.5),  # FastChat reads a float
    (f"{EXPLANATION}\n\nRating: [[7.0]]", 7),
    (f'{EXPLANATION} Following the format "[[rating]]": Rating: [[6]]', 6),  # the format's name is no rating
    (f"{EXPLANATION}\nRating: [[9]]</s>", 9),
]
SINGLE_FAIL = [
    (EXPLANATION, "no [[rating]]"),
    (f"{EXPLANATION} Rating: [7]", "single-bracketed '[7]' is not read"),  # FastChat's fallback would read it
    (f"{EXPLANATION} As shown in [1], ... Rating: 7", "single-bracketed '[1]'"),
    (f"{EXPLANATION} Rating: [[8/10]]", "unreadable '[[8/10]]'"),
    (f"{EXPLANATION} Rating: [[ 8 ]]", "unreadable"),
    (f"{EXPLANATION} Rating: [[11]]", "outside the scale 1-10"),  # FastChat keeps 11
    (f"{EXPLANATION} Rating: [[0]]", "outside the scale 1-10"),
    (f"{EXPLANATION} Rating: [[rating]]", "no [[rating]]"),
    ("", "no [[rating]]"),
]


@pytest.mark.parametrize(("text", "score"), SINGLE_OK)
def test_single_rating_forms(text: str, score: float) -> None:
    verdict = parse(text, "absolute")
    assert verdict.ok and verdict.score == score and verdict.note is None
    assert type(verdict.score) is type(score)
    assert verdict.feedback == EXPLANATION or verdict.feedback.startswith(EXPLANATION)


@pytest.mark.parametrize(("text", "reason"), SINGLE_FAIL)
def test_single_near_misses_fail(text: str, reason: str) -> None:
    verdict = parse(text, "absolute")
    assert verdict.score is None and verdict.failure is not None and reason in verdict.failure
    assert verdict.raw == text


def test_single_first_rating_counts_and_the_others_are_noted() -> None:
    verdict = parse(f"A weak start deserves [[3]]. {EXPLANATION} Rating: [[8]]", "absolute")
    assert verdict.score == 3  # FastChat's re.search: the first
    assert (
        verdict.note
        == "several verdicts in one output: [[3]], [[8]]; [[3]] taken (the first, as FastChat reads it)"
    )
    repeated = parse(f"Rating: [[8]] {EXPLANATION} Final: [[8.0]]", "absolute")
    assert repeated.score == 8 and repeated.note is None


def test_single_first_rating_off_the_scale_fails_even_with_a_later_good_one() -> None:
    verdict = parse(f"[[12]] {EXPLANATION} Rating: [[8]]", "absolute")
    assert verdict.failure == "rating [[12]]: 12 is outside the scale 1-10"


def test_single_scale_follows_the_rubric() -> None:
    assert parse("Rating: [[5]]", "absolute", ("1", "2", "3", "4", "5")).score == 5
    assert "outside the scale 1-5" in (
        parse("Rating: [[6]]", "absolute", ("1", "2", "3", "4", "5")).failure or ""
    )


PAIR_OK = [
    (f"{EXPLANATION}\n\n[[A]]", "A"),
    (f"{EXPLANATION} Final verdict: [[B]]", "B"),
    (f"{EXPLANATION}\n\n[[C]]", "tie"),
    (f"{EXPLANATION}\n[[A]]<|im_end|>", "A"),
]
PAIR_FAIL = [
    (EXPLANATION, "no verdict label"),
    (f"{EXPLANATION} [A]", "no verdict label"),
    (f"{EXPLANATION} [[a]]", "no verdict label"),
    (f"{EXPLANATION} [[D]]", "no verdict label"),
    (f"{EXPLANATION} [[A/B]]", "no verdict label"),
]


@pytest.mark.parametrize(("text", "winner"), PAIR_OK)
def test_pair_forms(text: str, winner: str) -> None:
    verdict = parse(text, "relative")
    assert verdict.ok and verdict.winner == winner and verdict.note is None
    assert verdict.feedback == EXPLANATION


@pytest.mark.parametrize(("text", "reason"), PAIR_FAIL)
def test_pair_near_misses_fail(text: str, reason: str) -> None:
    verdict = parse(text, "relative")
    assert verdict.winner is None and reason in (verdict.failure or "")


def test_pair_follows_fastchats_order_of_tests_and_notes_the_others() -> None:
    verdict = parse(f"Earlier I leaned to [[B]]. {EXPLANATION} [[A]]", "relative")
    assert verdict.winner == "A"  # FastChat tests [[A]] first, wherever it is
    assert (
        verdict.note
        == "several verdicts in one output: [[B]], [[A]]; [[A]] taken (FastChat tests A, then B, then C)"
    )
    a_then_b = parse(f"[[A]] was my first thought. {EXPLANATION} [[B]]", "relative")
    assert a_then_b.winner == "A" and a_then_b.note is not None  # not the last one
    tie_and_b = parse("[[C]] ... on reflection [[B]]", "relative")
    assert tie_and_b.winner == "B" and tie_and_b.note is not None
    assert parse("[[A]] and again [[A]]", "relative").note is None
