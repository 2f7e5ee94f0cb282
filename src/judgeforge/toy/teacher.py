"""The toy teacher: a backend that writes the comparative feedback of a toy pair from the known facts.

The preference builder (``judgeforge build-preferences``) shows its teacher both responses and the feedback
each received on its own. In the toy world that feedback is a checklist with a running tally, so the teacher
needs no model: it reads the two checklists back from the prompt and writes the comparative feedback the toy
judges are trained to produce (both checklists, then which response meets more requirements). It is
registered as the ``toy-teacher`` backend; any prompt that is not a toy teacher prompt is an error.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import ClassVar

from judgeforge.backends.base import Backend, BackendOptions, Capabilities
from judgeforge.errors import BackendError
from judgeforge.records import Completion, Prompt, Usage
from judgeforge.sampling import SamplingParams
from judgeforge.toy.families import Check, pair_feedback

_CHECK = re.compile(r"(.+?): (met|missed) \(\d+\)\.")
_TALLY = re.compile(r"\s*Total \d+ of \d+, so score \d\.\s*\Z")


def _section(text: str, header: str) -> str:
    start = text.find(header)
    if start < 0:
        raise BackendError(f"toy teacher: prompt has no '{header.strip()}' section", retryable=False)
    start += len(header)
    end = text.find("\n\n###", start)
    return text[start : end if end >= 0 else len(text)]


def parse_checklist(feedback: str) -> list[Check]:
    """The checks of a toy direct-assessment feedback (``label: met (n). ... Total k of 4, so score s.``)."""
    body = _TALLY.sub("", feedback)
    checks = [Check(label.strip(), verdict == "met") for label, verdict in _CHECK.findall(body)]
    if len(checks) != 4 or _CHECK.sub("", body).strip():
        raise BackendError(f"toy teacher: not a toy checklist: {feedback[:80]!r}", retryable=False)
    return checks


def comparative_feedback(teacher_prompt: str) -> str:
    """The comparative feedback for one teacher prompt of the preference builder."""
    checks_a = parse_checklist(_section(teacher_prompt, "###Feedback on Response A:\n"))
    checks_b = parse_checklist(_section(teacher_prompt, "###Feedback on Response B:\n"))
    return pair_feedback(checks_a, checks_b)


class ToyTeacherBackend(Backend):
    """Writes comparative feedback from the checklists in the prompt (deterministic, no model)."""

    name: ClassVar[str] = "toy-teacher"
    capabilities: ClassVar[Capabilities] = Capabilities(batching=True)
    Options = BackendOptions

    def __init__(self, options: BackendOptions | None = None) -> None:
        self.options = options or BackendOptions()

    def identity(self) -> dict[str, str]:
        return {"backend": self.name, "model": "toy-teacher", "revision": "1"}

    async def generate(self, prompts: Sequence[Prompt], params: SamplingParams) -> list[Completion]:
        completions = []
        for prompt in prompts:
            try:
                text = comparative_feedback(prompt.user)
            except ValueError as exc:  # equal tallies: the builder only pairs distinct scores
                raise BackendError(f"toy teacher: {exc}", retryable=False) from exc
            usage = Usage(prompt_tokens=len(prompt.text.split()), completion_tokens=len(text.split()))
            completions.append(Completion(text=text, usage=usage, finish_reason="stop"))
        return completions
