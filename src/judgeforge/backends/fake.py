"""A deterministic scripted judge: a real tool for dry runs and pipeline tests, not a test double.

Its output depends only on the prompt, the seed and the sample index. It writes plausible feedback and a
verdict derived from how much each response overlaps the reference answer (or the instruction), plus a
seeded jitter. Options simulate the failures real deployments see:

- ``latency_ms``: sleep this long per call;
- ``fail_rate``: fraction of calls that raise :class:`BackendError` (drawn from ``fail_seed``);
- ``garbage_rate``: fraction of outputs (by prompt and seed) with no verdict;
- ``first_attempt_garbage``: every first attempt (``params.attempt == 0``) is unparseable.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import re
from collections.abc import Sequence
from typing import ClassVar

from pydantic import Field

from judgeforge.backends.base import Backend, BackendOptions, Capabilities
from judgeforge.errors import BackendError
from judgeforge.records import Completion, Prompt, Usage
from judgeforge.sampling import SamplingParams

_WORD = re.compile(r"[a-z0-9]+")
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
        return [self._complete(prompt, params) for prompt in prompts]

    def _complete(self, prompt: Prompt, params: SamplingParams) -> Completion:
        rng = random.Random(_digest(prompt.text, params.seed, params.sample_index))
        if self._is_garbage(params, rng):
            text = "I am not sure how to grade this one."
        elif prompt.mode == "absolute":
            text = _absolute_output(prompt.user, rng)
        else:
            text = _relative_output(prompt.user, rng)
        text = text[: max(params.max_tokens, 1) * 8]
        usage = Usage(prompt_tokens=len(prompt.text.split()), completion_tokens=len(text.split()))
        return Completion(text=text, usage=usage, finish_reason="stop")

    def _is_garbage(self, params: SamplingParams, rng: random.Random) -> bool:
        if self.options.first_attempt_garbage and params.attempt == 0:
            return True
        return rng.random() < self.options.garbage_rate


def _digest(*parts: object) -> int:
    blob = "\x1f".join(str(part) for part in parts).encode()
    return int.from_bytes(hashlib.sha256(blob).digest()[:8], "big")


def _section(user: str, header: str) -> str:
    start = user.find(header)
    if start < 0:
        return ""
    start += len(header)
    end = user.find("\n\n###", start)
    return user[start : end if end >= 0 else len(user)]


def _overlap(text: str, target: str) -> float:
    words, target_words = set(_WORD.findall(text.lower())), set(_WORD.findall(target.lower()))
    if not words or not target_words:
        return 0.0
    return len(words & target_words) / len(target_words)


def _target(user: str) -> str:
    return (
        _section(user, "###Reference Answer (Score 5):\n")
        or _section(user, "###Reference Answer:\n")
        or _section(user, "###The instruction to evaluate:\n")
        or _section(user, "###Instruction:\n")
    )


def _absolute_output(user: str, rng: random.Random) -> str:
    quality = _overlap(_section(user, "###Response to evaluate:\n"), _target(user))
    score = min(5, max(1, 1 + round(quality * 4) + rng.choice((-1, 0, 0, 0, 1))))
    feedback = (
        f"The response {_QUALITY_PHRASES[score]}. It shares about {quality:.0%} of the key terms "
        "expected by the rubric."
    )
    return f"{feedback} [RESULT] {score}"


def _relative_output(user: str, rng: random.Random) -> str:
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
