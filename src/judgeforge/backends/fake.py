"""A deterministic scripted judge: a real tool for dry runs and pipeline tests, not a test double.

Its output depends only on the prompt, the seed and the sample index. It writes plausible feedback and a
verdict derived from how much each response overlaps the reference answer (or the instruction), plus a
seeded jitter. Options simulate the failures real deployments see:

- ``latency_ms``: sleep this long per call;
- ``fail_rate``: fraction of calls that raise :class:`BackendError` (drawn from ``fail_seed``);
- ``garbage_rate``: fraction of outputs (by prompt and seed) with no verdict;
- ``first_attempt_garbage``: every first attempt (``params.attempt == 0``) is unparseable.

For a built-in template set of another family (MT-Bench, Flow-Judge, Auto-J ..) it answers in that family's
verdict format (the set's output format), with a seeded verdict on the prompt's scale.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import re
import string
import zlib
from collections.abc import Sequence
from functools import cache
from typing import ClassVar

from pydantic import Field

from judgeforge.backends.base import Backend, BackendOptions, Capabilities
from judgeforge.errors import BackendError
from judgeforge.prompts.templates import TemplateSet, builtin_template_sets
from judgeforge.records import Completion, Prompt, Usage
from judgeforge.sampling import SamplingParams

# Punctuation becomes a space, so str.split() yields the same words as a [a-z0-9]+ scan, at C speed.
_NON_WORD = str.maketrans({c: " " for c in string.punctuation})
# The same for ASCII bytes (\x1c-\x1f too, which str.split() treats as whitespace and bytes.split() does
# not), with upper case folded to lower case in the same table lookup.
_SEPARATORS = string.punctuation.encode() + bytes(range(0x1C, 0x20))
_LOWER_NON_WORD_BYTES = bytes.maketrans(
    _SEPARATORS + string.ascii_uppercase.encode(), b" " * len(_SEPARATORS) + string.ascii_lowercase.encode()
)
_QUALITY_PHRASES = {
    1: "fails to address the task and ignores most of the criterion",
    2: "touches on the task but misses key requirements of the criterion",
    3: "addresses the task in part, with noticeable gaps against the criterion",
    4: "addresses the task well, with only minor gaps against the criterion",
    5: "fully satisfies the criterion and matches the reference closely",
}


class FakeOptions(BackendOptions):
    model: str = "fake-judge"
    latency_ms: float = Field(0.0, ge=0)
    fail_rate: float = Field(0.0, ge=0, le=1)
    garbage_rate: float = Field(0.0, ge=0, le=1)
    first_attempt_garbage: bool = False
    fail_seed: int = 0

    # Whether and how fast a call fails, never what a completion says.
    output_neutral: ClassVar[frozenset[str]] = frozenset({"latency_ms", "fail_rate", "fail_seed"})


class FakeBackend(Backend):
    name: ClassVar[str] = "fake"
    capabilities: ClassVar[Capabilities] = Capabilities(batching=True)
    Options = FakeOptions

    def __init__(self, options: FakeOptions | None = None) -> None:
        self.options = options or FakeOptions()
        self._fail_rng = random.Random(self.options.fail_seed)

    def identity(self) -> dict[str, str]:
        return {"backend": self.name, "model": self.options.model, "revision": "1"}

    async def generate(self, prompts: Sequence[Prompt], params: SamplingParams) -> list[Completion]:
        if self.options.latency_ms:
            await asyncio.sleep(self.options.latency_ms / 1000)
        if self.options.fail_rate and self._fail_rng.random() < self.options.fail_rate:
            raise BackendError("fake backend: simulated failure (fail_rate)")
        all_garbage = self.options.first_attempt_garbage and params.attempt == 0
        limit = max(params.max_tokens, 1) * 8
        return [self._complete(prompt, params, all_garbage, limit) for prompt in prompts]

    def _complete(self, prompt: Prompt, params: SamplingParams, all_garbage: bool, limit: int) -> Completion:
        draws = _Draws(_digest(prompt.text, params.seed, params.sample_index))
        user = prompt.messages[-1].content
        if all_garbage or draws.random() < self.options.garbage_rate:
            text = "I am not sure how to grade this one."
        elif (family := _other_family(prompt.template)) is not None:
            text = _family_output(family, prompt, draws)
        elif prompt.mode == "absolute":
            text = _absolute_output(user, draws)
        else:
            text = _relative_output(user, draws)
        text = text[:limit]
        # Token counts are estimated at ~4 characters a token: a fake has no tokenizer to ask.
        usage = _usage(len(prompt.text) // 4, len(text) // 4)
        return Completion.trusted(text=text, usage=usage, finish_reason="stop", logprobs=None)


_USAGES: dict[tuple[int, int], Usage] = {}


def _usage(prompt_tokens: int, completion_tokens: int) -> Usage:
    """Usage records are immutable and the fake's counts repeat: each pair is built once (up to 4,096)."""
    key = (prompt_tokens, completion_tokens)
    usage = _USAGES.get(key)
    if usage is None:
        usage = Usage.trusted(prompt_tokens=prompt_tokens, completion_tokens=completion_tokens)
        if len(_USAGES) < 4096:
            _USAGES[key] = usage
    return usage


class _Draws:
    """Eight uniform draws cut from one 128-bit digest: deterministic per (prompt, seed, sample) and far
    cheaper than seeding a ``random.Random`` for every completion (a completion needs at most four)."""

    def __init__(self, digest: int) -> None:
        self._bits = digest

    def random(self) -> float:
        value = self._bits & 0xFFFF
        self._bits = (self._bits >> 16) | (value << 112)  # rotate, so extra draws repeat rather than run dry
        return value / 65536

    def choice(self, options: tuple[int, ...]) -> int:
        return options[int(self.random() * len(options))]


def _digest(text: str, seed: int | None, sample_index: int) -> int:
    # CRC-32 condenses the long prompt cheaply; blake2b then mixes it with the seed and sample index.
    blob = f"{zlib.crc32(text.encode())}:{len(text)}:{seed}:{sample_index}".encode()
    return int.from_bytes(hashlib.blake2b(blob, digest_size=16).digest(), "big")


def _section(user: str, header: str) -> str:
    start = user.find(header)
    if start < 0:
        return ""
    start += len(header)
    end = user.find("\n\n###", start)
    return user[start : end if end >= 0 else len(user)]


def _word_list(text: str) -> list[str]:
    return text.lower().translate(_NON_WORD).split()


def _ascii_word_list(text: str) -> list[bytes]:
    """:func:`_word_list` for ASCII text, as bytes: ``bytes.translate`` is a plain table lookup."""
    return text.encode("ascii").translate(_LOWER_NON_WORD_BYTES).split()


def _overlap(text: str, target: str) -> float:
    """Share of the target's distinct words that ``text`` uses."""
    split = _ascii_word_list if text.isascii() and target.isascii() else _word_list
    words, target_words = split(text), set(split(target))
    if not words or not target_words:
        return 0.0
    return len(target_words.intersection(words)) / len(target_words)


def _target(user: str) -> str:
    return (
        _section(user, "###Reference Answer (Score 5):\n")
        or _section(user, "###Reference Answer:\n")
        or _section(user, "###The instruction to evaluate:\n")
        or _section(user, "###Instruction:\n")
    )


def _absolute_output(user: str, rng: _Draws) -> str:
    quality = _overlap(_section(user, "###Response to evaluate:\n"), _target(user))
    score = min(5, max(1, 1 + round(quality * 4) + rng.choice((-1, 0, 0, 0, 1))))
    feedback = (
        f"The response {_QUALITY_PHRASES[score]}. It shares about {quality:.0%} of the key terms "
        "expected by the rubric."
    )
    return f"{feedback} [RESULT] {score}"


@cache  # one lookup per template set name (built-in sets do not change)
def _other_family(name: str) -> TemplateSet | None:
    """The built-in set of another judge family named ``name`` (None for Prometheus wordings)."""
    template_set = builtin_template_sets().get(name)
    return template_set if template_set is not None and template_set.parser != "prometheus" else None


def _family_output(template_set: TemplateSet, prompt: Prompt, rng: _Draws) -> str:
    """A seeded verdict in the family's own format: a level of the prompt's scale, or A/B (a tie now and then
    where the family has one)."""
    if prompt.mode == "absolute":
        levels = prompt.scale or template_set.scale.values or ("1", "2", "3", "4", "5")
        verdict = levels[int(rng.random() * len(levels))]
        feedback = f"The response {_QUALITY_PHRASES[1 + int(rng.random() * 5)]}."
    else:
        tie = "tie" in template_set.winners and rng.random() < 0.1
        verdict = "tie" if tie else ("A" if rng.random() < 0.5 else "B")
        feedback = "Both responses attempt the instruction; one covers more of what was asked."
    return template_set.format_output(feedback, verdict, prompt.mode)


def _relative_output(user: str, rng: _Draws) -> str:
    target = _target(user)
    quality_a = _overlap(_section(user, "###Response A:\n"), target)
    quality_b = _overlap(_section(user, "###Response B:\n"), target)
    winner = "A" if (quality_a, rng.random()) >= (quality_b, 0.5) else "B"
    if rng.random() < 0.1:
        winner = "B" if winner == "A" else "A"
    told = re.search(r"^###Better response: Response ([AB])$", user, re.MULTILINE)
    if told:  # a teacher prompt states the known winner; explain it rather than contradict it
        winner = told.group(1)
    loser = "B" if winner == "A" else "A"
    feedback = (
        f"Both responses attempt the instruction. Response {winner} covers more of what the criterion asks "
        f"for, while Response {loser} leaves out important points."
    )
    return f"{feedback} [RESULT] {winner}"
