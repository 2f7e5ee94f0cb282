"""A seam-level backend that replays scripted outputs and records what it was asked."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from judgeforge.backends import Backend
from judgeforge.records import Completion, Prompt
from judgeforge.sampling import SamplingParams


class ScriptedBackend(Backend):
    """Replays ``outputs`` in order, one per prompt; ``calls`` keeps each call's prompt texts and params."""

    name: ClassVar[str] = "scripted"

    def __init__(self, outputs: list[str]) -> None:
        self.outputs = list(outputs)
        self.calls: list[tuple[list[str], SamplingParams]] = []

    def identity(self) -> dict[str, str]:
        return {"backend": "scripted"}

    async def generate(self, prompts: Sequence[Prompt], params: SamplingParams) -> list[Completion]:
        self.calls.append(([p.text for p in prompts], params))
        return [Completion(text=self.outputs.pop(0)) for _ in prompts]
