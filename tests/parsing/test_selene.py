"""Selene Mini verdicts: the last line starting **Result:** holds 1..5, Yes/No or A/B."""

from __future__ import annotations

import pytest

from judgeforge.parsing import parsers

parse = parsers.get("selene")
REASONING = "The response is accurate and complete.\nIt cites the rubric's criterion directly."
YES_NO = ("Yes", "No")


def output(result: str) -> str:
    return f"**Reasoning:** {REASONING}\n\n**Result:** {result}"


@pytest.mark.parametrize(
    ("text", "mode", "scale", "field", "value"),
    [
        (output("4"), "absolute", None, "score", 4),
        (output("Yes"), "absolute", YES_NO, "label", "Yes"),
        (output("No"), "absolute", YES_NO, "label", "No"),
        (output("B"), "relative", None, "winner", "B"),
        (output("1") + "<|eot_id|>", "absolute", None, "score", 1),
        (f"  **Reasoning:** {REASONING}\n**Result:** 5  ", "absolute", None, "score", 5),
    ],
)
def test_accepted_forms(
    text: str, mode: str, scale: tuple[str, ...] | None, field: str, value: object
) -> None:
    verdict = parse(text, mode, scale)  # type: ignore[arg-type]
    assert verdict.ok and getattr(verdict, field) == value and verdict.feedback == REASONING


@pytest.mark.parametrize(
    ("text", "mode", "scale", "reason"),
    [
        (f"**Reasoning:** {REASONING}", "absolute", None, "no **Result:** line"),
        (f"{REASONING} **Result:** 4", "absolute", None, "no **Result:** line"),  # not at a line start
        (output("4."), "absolute", None, "'4.' is not one of 1/2/3/4/5"),  # int('4.') fails in the cookbook
        (output("6"), "absolute", None, "not one of"),
        (output("yes"), "absolute", YES_NO, "'yes' is not one of Yes/No"),
        (output("Tie"), "relative", None, "not one of A/B"),
        (output("A or B"), "relative", None, "not one of A/B"),
        (output("4"), "absolute", YES_NO, "not one of Yes/No"),
    ],
)
def test_near_misses_fail(text: str, mode: str, scale: tuple[str, ...] | None, reason: str) -> None:
    verdict = parse(text, mode, scale)  # type: ignore[arg-type]
    assert verdict.score is None and verdict.label is None and verdict.winner is None
    assert reason in (verdict.failure or ""), verdict.failure


def test_last_result_line_counts_and_earlier_ones_are_noted() -> None:
    text = "**Reasoning:** The response quotes\n**Result:** 5\nbut is itself weak.\n\n**Result:** 2"
    verdict = parse(text, "absolute")
    assert verdict.score == 2
    assert (
        verdict.note
        == "several verdicts in one output: 5, 2; 2 taken (the last, as the Selene cookbooks read it)"
    )
