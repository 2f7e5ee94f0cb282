"""Shared by the compat tests (imported as ``compat.scripted``; tests/ is on sys.path): inputs, and judges
that answer from the prompt alone, on our side (a Backend) and on prometheus-eval's (its model interface)."""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from judgeforge.backends import Backend
from judgeforge.prompts.rubrics import library_rubrics
from judgeforge.records import Completion, Prompt
from judgeforge.sampling import SamplingParams

# factual_validity and reasoning have the same wording in judgeforge's library and prometheus-eval's.
RUBRIC = library_rubrics()["reasoning"]
INSTRUCTIONS = ["Explain why the sky is blue.", "How do I cook rice?", "Name a prime number."]
RESPONSES = [
    "Rayleigh scattering: air scatters blue light more than red.",
    "Boil it.",
    "Nine is prime.",
]
RESPONSES_B = ["The sky reflects the ocean.", "Rinse, simmer 1:2 with water for 15 minutes.", "Seven."]
REFERENCE = "Air molecules scatter short (blue) wavelengths of sunlight more than long ones."
REFERENCES = [REFERENCE, None, "Seven is a prime number."]


def verdict_by_text(user: str) -> str:
    """A well-formed output whose verdict depends only on the prompt text (same on both sides)."""
    digest = zlib.crc32(user.encode())
    if "###Response A:" in user:
        return f"Response {'AB'[digest % 2]} fits the rubric better. [RESULT] {'AB'[digest % 2]}"
    return f"The response is adequate. [RESULT] {1 + digest % 5}"


class AnsweringBackend(Backend):
    """Answers each prompt with ``answer(user prompt)``; ``prompts`` keeps every prompt it was sent."""

    name: ClassVar[str] = "answering"

    def __init__(self, answer: Callable[[str], str] = verdict_by_text) -> None:
        self.answer = answer
        self.prompts: list[Prompt] = []
        self.params: list[SamplingParams] = []

    def identity(self) -> dict[str, str]:
        return {"backend": self.name}

    async def generate(self, prompts: Sequence[Prompt], params: SamplingParams) -> list[Completion]:
        self.prompts += prompts
        self.params.append(params)
        return [Completion(text=self.answer(prompt.user)) for prompt in prompts]


class AnsweringModel:
    """prometheus-eval's model interface (duck-typed on ``validate_mockllm``, like its MockLLM), answering
    with the same function; ``calls`` keeps each call's message lists and keyword arguments."""

    def __init__(self, answer: Callable[[str], str] = verdict_by_text) -> None:
        self.answer = answer
        self.calls: list[tuple[list[Any], dict[str, Any]]] = []

    def validate_mockllm(self) -> bool:
        return True

    def completions(self, prompts: list[Any], use_tqdm: bool = False, **kwargs: Any) -> list[str]:
        self.calls.append((prompts, kwargs))
        return [self.answer(messages[-1]["content"]) for messages in prompts]
