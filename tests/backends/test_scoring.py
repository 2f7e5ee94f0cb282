"""Logprob scoring on token streams shaped like real servers' (text tokens, SentencePiece '▁', split values)."""

from __future__ import annotations

import math

import pytest

from judgeforge.records import Completion, TokenLogprob
from judgeforge.scoring import (
    distribution_at,
    feedback_distribution,
    score_only_verdict,
    verdict_position,
)


def tok(token: str, logprob: float = -0.1, **top: float) -> TokenLogprob:
    return TokenLogprob(token=token, logprob=logprob, top=top)


def stream(*tokens: TokenLogprob) -> Completion:
    return Completion(text="".join(t.token for t in tokens), logprobs=tokens)


def test_position_is_the_value_after_the_last_marker_skipping_whitespace() -> None:
    tokens = (
        tok("Feedback: quotes"),
        tok(" [RESULT] 2"),
        tok(" so"),
        tok(" [RES"),
        tok("ULT]"),
        tok(" "),
        tok("4"),
        tok("</s>"),
    )
    assert verdict_position(tokens) == 6


def test_no_marker_or_value_fused_with_marker_gives_no_position() -> None:
    assert verdict_position((tok("Score"), tok(" 4"))) is None
    assert verdict_position((tok("ok"), tok(" [RESULT] 4"))) is None
    assert verdict_position((tok("ok [RESULT]"),)) is None


def test_absolute_distribution_merges_spellings_and_normalises() -> None:
    position = tok(
        " 4", math.log(0.5), **{" 4": math.log(0.5), "4": math.log(0.1), "▁5": math.log(0.2), "x": -0.5}
    )
    dist = distribution_at(position, "absolute")
    assert dist is not None
    assert list(dist.probabilities) == ["1", "2", "3", "4", "5"]
    assert dist.probabilities["4"] == pytest.approx(0.75)
    assert dist.probabilities["5"] == pytest.approx(0.25)
    assert dist.mass == pytest.approx(0.8)
    assert dist.expected_score() == pytest.approx(4.25)


def test_feedback_distribution_from_a_completion_and_relative_p_a() -> None:
    completion = stream(
        tok("Feedback: A is better."),
        tok(" [RESULT]"),
        tok(" B", math.log(0.3), **{" A": math.log(0.6), " B": math.log(0.3), " C": math.log(0.1)}),
    )
    dist = feedback_distribution(completion, "relative")
    assert dist is not None and dist.probabilities == pytest.approx({"A": 2 / 3, "B": 1 / 3})
    assert dist.expected_score() is None
    assert feedback_distribution(Completion(text="no logprobs"), "relative") is None


def test_score_only_verdict_takes_the_most_likely_value_and_labels_raw() -> None:
    completion = stream(tok(" 3", math.log(0.2), **{" 3": math.log(0.2), " 2": math.log(0.7), "B": -1.0}))
    verdict = score_only_verdict(completion, "absolute")
    assert verdict.ok and verdict.score == 2 and verdict.raw == "[RESULT] 2" and verdict.feedback == ""
    assert verdict.expected_score == pytest.approx((2 * 0.7 + 3 * 0.2) / 0.9)
    split = stream(tok(" ", -0.1), tok("4", -0.1, **{"4": -0.1, "5": -3.0}))
    assert score_only_verdict(split, "absolute").score == 4
    failed = score_only_verdict(stream(tok("The", -0.1, The=-0.1, A=-2.0)), "absolute")
    assert not failed.ok and "no allowed value" in (failed.failure or "")
    assert not score_only_verdict(Completion(text="4"), "absolute").ok
