"""OffsetBias ('Output (a)' / 'Output (b)') and PandaLM (first line 1, 2 or Tie) verdicts."""

from __future__ import annotations

import pytest

from judgeforge.parsing import parsers

offsetbias, pandalm = parsers.get("offsetbias"), parsers.get("pandalm")


@pytest.mark.parametrize(
    ("text", "winner"),
    [
        ("Output (a)", "A"),
        ("Output (b)", "B"),
        ("  Output (b)\n", "B"),
        (" Output (a)", "A"),
        ("x\nOutput (b)", "B"),
    ],
)
def test_offsetbias_forms(text: str, winner: str) -> None:
    verdict = offsetbias(text, "relative")
    assert verdict.ok and verdict.winner == winner and verdict.note is None


@pytest.mark.parametrize(
    "text", ["Output (c)", "output (a)", "The better is Output (a)", "(a)", "", "Output(a)"]
)
def test_offsetbias_near_misses_fail(text: str) -> None:
    verdict = offsetbias(text, "relative")
    assert verdict.winner is None and verdict.failure is not None


def test_offsetbias_both_count_as_a_with_a_note() -> None:
    verdict = offsetbias("Output (b)\nOutput (a)", "relative")
    assert verdict.winner == "A" and verdict.note is not None and "(a) taken" in verdict.note


REASON = "Response 1 lists the three primary colours of paint."


@pytest.mark.parametrize(
    ("text", "winner"),
    [
        (f"1\n\n### Reason: {REASON}\n\n### Reference: Red, yellow, blue.\n", "A"),
        (f"2\n\n### Reason: {REASON}", "B"),
        (f"Tie\n\n### Reason: {REASON}", "tie"),
        (f"tie\n\n### Reason: {REASON}", "tie"),
        (f"  1\n### Reason: {REASON}", "A"),
        (f"2</s>\n### Reason: {REASON}", "B"),
    ],
)
def test_pandalm_forms(text: str, winner: str) -> None:
    verdict = pandalm(text, "relative")
    assert verdict.ok and verdict.winner == winner and verdict.feedback == REASON


@pytest.mark.parametrize(
    "text",
    [f"3\n### Reason: {REASON}", f"Response 1\n### Reason: {REASON}", f"1.\n### Reason: {REASON}", "", "1 2"],
)
def test_pandalm_near_misses_fail(text: str) -> None:
    verdict = pandalm(text, "relative")  # PandaLM counts these as a tie
    assert verdict.winner is None and "first line is not 1, 2 or Tie" in (verdict.failure or "")
