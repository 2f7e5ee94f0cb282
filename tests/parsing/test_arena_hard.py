"""Arena-Hard verdicts: five labels with a margin; v0.1 (one distinct label) and v2.0 (last label, mirrored forms)."""

from __future__ import annotations

import pytest

from judgeforge.parsing import parsers

v01, v2 = parsers.get("arena-hard-v0.1"), parsers.get("arena-hard-v2.0")
OWN_ANSWER = (
    "My own answer: use ffmpeg with fps=1/10.\n\nAssistant A is correct; Assistant B misses the interval."
)

LABELS = [
    ("[[A>>B]]", "A", 2),
    ("[[A>B]]", "A", 1),
    ("[[A=B]]", "tie", 0),
    ("[[B>A]]", "B", 1),
    ("[[B>>A]]", "B", 2),
]


@pytest.mark.parametrize("parse", [v01, v2], ids=["v0.1", "v2.0"])
@pytest.mark.parametrize(("label", "winner", "margin"), LABELS)
def test_the_five_labels(parse: object, label: str, winner: str, margin: int) -> None:
    verdict = parse(f"{OWN_ANSWER}\n\nMy final verdict is: {label}", "relative")  # type: ignore[operator]
    assert verdict.ok and (verdict.winner, verdict.margin) == (winner, margin) and verdict.note is None
    assert verdict.feedback.startswith(OWN_ANSWER) and label not in verdict.feedback


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (OWN_ANSWER, "no verdict label"),
        (f"{OWN_ANSWER} [[A<B]]", "label [[A<B]] is not one of"),  # v0.1's pattern lets it through
        (f"{OWN_ANSWER} [[AB]]", "label [[AB]] is not one of"),
        (f"{OWN_ANSWER} [A>B]", "no verdict label"),  # v0.1 reads double brackets only
        (f"{OWN_ANSWER} [[a>b]]", "no verdict label"),  # v0.1 is case-sensitive
        (
            f"I first thought [[A>B]]. {OWN_ANSWER} [[B>A]]",
            "several different verdict labels: [[A>B]], [[B>A]]",
        ),
    ],
)
def test_v01_near_misses_and_conflicts_fail(text: str, reason: str) -> None:
    verdict = v01(text, "relative")
    assert verdict.winner is None and reason in (verdict.failure or "")


def test_v01_repeats_of_one_label_are_fine() -> None:
    verdict = v01(f"[[A>B]] {OWN_ANSWER} My final verdict: [[A>B]]", "relative")
    assert (verdict.winner, verdict.margin, verdict.note) == ("A", 1, None)


@pytest.mark.parametrize(
    ("text", "winner", "margin"),
    [
        (f"{OWN_ANSWER} [[a>>b]]", "A", 2),  # upper-cased
        (f"{OWN_ANSWER} [B>A]", "B", 1),  # single-bracket fallback
        (f"{OWN_ANSWER} [[A<<B]]", "B", 2),  # mirrored forms of v2.0's table
        (f"{OWN_ANSWER} [[A<B]]", "B", 1),
        (f"{OWN_ANSWER} [[B=A]]", "tie", 0),
        (f"{OWN_ANSWER} [[B<<A]]", "A", 2),
        (f"{OWN_ANSWER} [[B<A]]", "A", 1),
    ],
)
def test_v2_forms(text: str, winner: str, margin: int) -> None:
    verdict = v2(text, "relative")
    assert verdict.ok and (verdict.winner, verdict.margin) == (winner, margin)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (OWN_ANSWER, "no verdict label"),
        (f"{OWN_ANSWER} [[AB]]", "label [[AB]] is not one of"),
        (f"{OWN_ANSWER} [A]", "label [[A]] is not one of"),
        (f"{OWN_ANSWER} [[A>>>B]]", "is not one of"),
    ],
)
def test_v2_near_misses_fail(text: str, reason: str) -> None:
    verdict = v2(text, "relative")
    assert verdict.winner is None and reason in (verdict.failure or "")


def test_v2_last_label_counts_and_the_others_are_noted() -> None:
    verdict = v2(f"The answer B quotes [[B>>A]]. {OWN_ANSWER} My final verdict is: [[A>B]]", "relative")
    assert (verdict.winner, verdict.margin) == ("A", 1)
    assert (
        verdict.note
        == "several verdicts in one output: [[B>>A]], [[A>B]]; [[A>B]] taken (the last, as v2.0 reads)"
    )
    single_then_double = v2("[B>A] then [[A=B]]", "relative")
    assert single_then_double.winner == "tie"  # a double-bracket label wins over single ones


def test_pairwise_only() -> None:
    with pytest.raises(ValueError, match="pairwise"):
        v2("[[A>B]]", "absolute")
