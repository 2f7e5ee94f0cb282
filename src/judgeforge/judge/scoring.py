"""Logprob scoring: the judge's probability over the allowed verdict values, read from token logprobs.

Two protocols, kept apart on purpose:

- **Feedback-then-score** (``Judge(..., logprobs=True)``): the model writes its feedback and verdict as usual;
  at the token position right after the *last* ``[RESULT]`` marker of its own output we read the top
  alternatives and keep the mass on the allowed values (``1``..``5``, or ``A``/``B``), normalised. The verdict
  keeps its parsed score and gains ``probabilities`` and ``expected_score`` (sum of value x probability);
  for pairs, ``probabilities["A"]`` is P(A). The distribution is conditioned on the feedback the model wrote.
- **Score-only** (``Judge(..., score_only=True)``, protocol ``"score-only-logprob"``): no feedback is
  generated. The prompt is extended with the forced marker ``"[RESULT]"`` and one token is generated
  greedily; the distribution is read at the first token that is not whitespace. Tokenizers that write the
  value with its leading space (``" 4"``, ``"▁4"``) give it at once; for rows whose one token is only
  whitespace (tokenizers that split off the space), the request is repeated with two tokens, which greedy
  decoding makes the same first token followed by the value. This is much faster but is *not* the
  protocol the judges were trained and evaluated with: the verdict is not conditioned on any feedback, so scores can differ. Its verdicts have
  empty feedback and ``raw`` holding the forced marker and the most probable value.

Token texts are compared after stripping whitespace and SentencePiece's ``"▁"``, so ``"4"``, ``" 4"`` and
``"▁4"`` all count for value 4. Values outside the top alternatives the backend returned count as zero.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from judgeforge.backends.base import Backend
from judgeforge.backends.middleware import ReliableBackend
from judgeforge.errors import ConfigError
from judgeforge.parsing.verdict import ALLOWED, MARKER
from judgeforge.records import (
    Completion,
    GenerationFailure,
    Mode,
    Outcome,
    Prompt,
    TokenLogprob,
    Usage,
    Verdict,
)
from judgeforge.sampling import SamplingParams

SCORE_ONLY_PROTOCOL = "score-only-logprob"
FEEDBACK_PROTOCOL = "feedback-then-score"
SCORE_ONLY_PREFIX = "[RESULT]"
SCORE_ONLY_TOKENS = 2  # at most: one, then two for rows whose first token is whitespace
DEFAULT_TOP_LOGPROBS = 20


@dataclass(frozen=True)
class ValueDistribution:
    """Probabilities over the allowed values (normalised) and the raw mass the model put on them."""

    probabilities: dict[str, float]
    mass: float

    def expected_score(self) -> float | None:
        if not all(value.isdigit() for value in self.probabilities):
            return None
        return sum(int(value) * p for value, p in self.probabilities.items())

    def most_likely(self) -> str:
        return max(self.probabilities, key=lambda value: self.probabilities[value])


def distribution_at(position: TokenLogprob, mode: Mode) -> ValueDistribution | None:
    """The distribution over allowed values among one position's alternatives (and its chosen token)."""
    allowed = ALLOWED[mode]
    candidates = dict(position.top)
    candidates.setdefault(position.token, position.logprob)
    mass: dict[str, float] = {}
    for token, logprob in candidates.items():
        value = _value_of(token)
        if value in allowed and math.isfinite(logprob):
            mass[value] = mass.get(value, 0.0) + math.exp(logprob)
    total = sum(mass.values())
    if total <= 0.0:
        return None
    ordered = sorted(allowed, key=lambda v: (not v.isdigit(), int(v) if v.isdigit() else 0, v))
    return ValueDistribution({value: mass.get(value, 0.0) / total for value in ordered}, total)


def verdict_position(tokens: Sequence[TokenLogprob]) -> int | None:
    """Index of the token that writes the verdict value after the last ``[RESULT]`` marker, if any.

    ``None`` when there is no marker, nothing after it, or the value shares a token with the marker (its
    alternatives would then not be alternatives for the value alone).
    """
    starts, offset = [], 0
    for token in tokens:
        starts.append(offset)
        offset += len(token.token)
    text = "".join(token.token for token in tokens)
    markers = list(MARKER.finditer(text))
    if not markers:
        return None
    marker_end = markers[-1].end()
    for index, (token, start) in enumerate(zip(tokens, starts)):
        end = start + len(token.token)
        if end <= marker_end:
            continue
        if not text[max(start, marker_end) : end].strip():
            continue  # whitespace between the marker and the value
        return index if start >= marker_end else None
    return None


def feedback_distribution(completion: Completion, mode: Mode) -> ValueDistribution | None:
    """Feedback-then-score: the distribution after the last ``[RESULT]`` the model itself wrote."""
    if not completion.logprobs:
        return None
    return marker_distribution(completion.logprobs, mode)


def marker_distribution(tokens: Sequence[TokenLogprob], mode: Mode) -> ValueDistribution | None:
    """The distribution at the value after the last ``[RESULT]`` among ``tokens`` (None without one)."""
    index = verdict_position(tokens)
    return None if index is None else distribution_at(tokens[index], mode)


def with_distribution(verdict: Verdict, distribution: ValueDistribution | None) -> Verdict:
    """``verdict`` with ``probabilities`` and ``expected_score`` filled in (unchanged when none)."""
    if distribution is None:
        return verdict
    return verdict.model_copy(
        update={"probabilities": distribution.probabilities, "expected_score": distribution.expected_score()}
    )


def score_only_prompt(prompt: Prompt, prefix: str = SCORE_ONLY_PREFIX) -> Prompt:
    """The prompt with the verdict marker forced at the start of the judge's answer."""
    return prompt.model_copy(update={"text": prompt.text + prefix})


def score_only_verdict(completion: Completion, mode: Mode, prefix: str = SCORE_ONLY_PREFIX) -> Verdict:
    """A score-only verdict from the short completion of :func:`score_only_prompt`."""
    if not completion.logprobs:
        return Verdict(failure="score-only: the backend returned no logprobs", raw=prefix + completion.text)
    distribution = marker_distribution((TokenLogprob(token=prefix, logprob=0.0), *completion.logprobs), mode)
    if distribution is None:
        return Verdict(
            failure=f"score-only: no allowed value among the top tokens after {prefix!r}",
            raw=prefix + completion.text,
        )
    value = distribution.most_likely()
    # trusted(): every field is built here from typed parts (the value is one of the allowed ones)
    return Verdict.trusted(
        score=int(value) if mode == "absolute" else None,
        winner=None if mode == "absolute" else ("A" if value == "A" else "B"),
        raw=f"{prefix} {value}",
        probabilities=distribution.probabilities,
        expected_score=distribution.expected_score(),
    )


def _value_of(token: str) -> str:
    return token.replace("\u2581", " ").strip()


def check_backend(backend: Backend, score_only: bool) -> None:
    """ConfigError when ``backend`` cannot give what the chosen logprob protocol needs."""
    if not backend.capabilities.logprobs:
        raise ConfigError(f"backend '{backend.name}' gives no token logprobs; logprob scoring needs them")
    if score_only and backend.identity().get("endpoint") == "chat":
        raise ConfigError(
            "score-only scoring forces the verdict marker into the model input, which a chat endpoint cannot "
            "do; use endpoint=completions"
        )


async def score_only(
    backend: ReliableBackend,
    prompts: Sequence[Prompt],
    params: SamplingParams,
    prefix: str = SCORE_ONLY_PREFIX,
) -> list[tuple[Verdict, Usage]]:
    """Score-only verdicts for ``prompts``: one forced-marker greedy token each (two where it is whitespace)."""
    params = params.model_copy(
        update={
            "max_tokens": 1,
            "temperature": 0.0,
            "top_p": 1.0,
            "repetition_penalty": 1.0,
            "stop": (),
            "logprobs": True,
            "top_logprobs": max(params.top_logprobs, DEFAULT_TOP_LOGPROBS),
        }
    )
    forced = [score_only_prompt(p, prefix) for p in prompts]
    outcomes = list(await backend.generate(forced, params))
    short = [i for i, outcome in enumerate(outcomes) if _only_whitespace(outcome)]
    if short:
        longer = params.model_copy(update={"max_tokens": SCORE_ONLY_TOKENS})
        again = await backend.generate([forced[i] for i in short], longer)
        for index, outcome in zip(short, again, strict=True):
            outcomes[index] = _with_usage_of(outcome, outcomes[index])
    return [_score_only_result(outcome, prompt.mode, prefix) for prompt, outcome in zip(prompts, outcomes)]


def _score_only_result(outcome: Outcome, mode: Mode, prefix: str) -> tuple[Verdict, Usage]:
    if isinstance(outcome, GenerationFailure):
        return Verdict(failure=f"backend error: {outcome.message}"), Usage()
    return score_only_verdict(outcome, mode, prefix), outcome.usage


def _only_whitespace(outcome: Outcome) -> bool:
    """A one-token completion of nothing but whitespace that did not end at a stop token: the value is next."""
    if not isinstance(outcome, Completion):
        return False
    return outcome.finish_reason != "stop" and not _value_of(outcome.text)


def _with_usage_of(completion: Outcome, earlier: Outcome) -> Outcome:
    if not isinstance(completion, Completion) or not isinstance(earlier, Completion):
        return completion
    usage = Usage.trusted(
        prompt_tokens=completion.usage.prompt_tokens + earlier.usage.prompt_tokens,
        completion_tokens=completion.usage.completion_tokens + earlier.usage.completion_tokens,
    )
    return completion.model_copy(update={"usage": usage})
