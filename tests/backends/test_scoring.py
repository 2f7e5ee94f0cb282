"""Logprob scoring on token streams shaped like real servers' (text tokens, SentencePiece '▁', split values)."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence

import pytest

from judgeforge.backends.base import Backend, Capabilities
from judgeforge.judge.scoring import (
    distribution_at,
    feedback_distribution,
    score_only,
    score_only_verdict,
    verdict_position,
)
from judgeforge.records import Completion, Prompt, TokenLogprob, Usage
from judgeforge.sampling import SamplingParams


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


class SplitSpaceModel(Backend):
    """A seam backend shaped like a tokenizer that writes ``" "`` and ``"4"`` as two tokens for some prompts."""

    name = "split-space"
    capabilities = Capabilities(logprobs=True)

    def __init__(self) -> None:
        self.calls: list[tuple[int, list[str]]] = []

    async def generate(self, prompts: Sequence[Prompt], params: SamplingParams) -> list[Completion]:
        self.calls.append((params.max_tokens, [p.text for p in prompts]))
        out = []
        for prompt in prompts:
            tokens = (
                [tok(" ", -0.1, **{" ": -0.1, "The": -3.0}), tok("4", -0.2, **{"4": -0.2, "5": -1.8})]
                if "split" in prompt.text
                else [tok(" 2", -0.1, **{" 2": -0.1, " 1": -2.5})]
            )[: params.max_tokens]
            out.append(
                Completion(
                    text="".join(t.token for t in tokens),
                    logprobs=tuple(tokens),
                    usage=Usage(prompt_tokens=10, completion_tokens=len(tokens)),
                    finish_reason="length",
                )
            )
        return out

    def identity(self) -> dict[str, str]:
        return {"backend": self.name}


def test_score_only_asks_one_token_and_a_second_only_where_the_first_is_whitespace() -> None:
    model = SplitSpaceModel()
    prompts = [
        Prompt(mode="absolute", template="t", messages=(), text=t) for t in ("whole", "split", "whole again")
    ]
    results = asyncio.run(score_only(model, prompts, SamplingParams()))
    assert model.calls == [
        (1, ["whole[RESULT]", "split[RESULT]", "whole again[RESULT]"]),
        (2, ["split[RESULT]"]),
    ]
    assert [verdict.score for verdict, _ in results] == [2, 4, 2]
    assert results[1][0].probabilities == pytest.approx(
        {"1": 0, "2": 0, "3": 0, "4": 0.832, "5": 0.168}, abs=1e-3
    )
    # both calls are accounted: the whitespace row spent 10 + 10 prompt tokens and 1 + 2 new tokens
    assert [usage.completion_tokens for _, usage in results] == [1, 3, 1]
    assert [usage.prompt_tokens for _, usage in results] == [10, 20, 10]
