"""Rows -> training conversations, following the released Prometheus 2 recipe.

One user turn holds the system prompt, a blank line and the rendered prompt; one assistant turn holds the
output (``Feedback: ... [RESULT] x``). The base model's own chat template turns this into tokens, and the loss
covers the assistant turn only (TRL's prompt-completion format: the prompt is masked, the completion and the
end-of-turn token the template appends are trained). The prompt half is exactly what the judge sends with the
``tokenizer`` chat format, so the model is trained on the input it is graded with.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from judgeforge.data.collections import CollectionKind, FeedbackRow, parse_row
from judgeforge.errors import InputError
from judgeforge.prompts import TemplateSet
from judgeforge.prompts.chat import joined_user_turn, system_and_user

Conversation = dict[str, list[dict[str, str]]]


@dataclass(frozen=True)
class TrainingExample:
    """A row turned into (system, user prompt, target); ``instruction_matches`` compares the dataset's
    ``instruction`` column with our rendering (None when the row has no such column)."""

    system: str
    user: str
    output: str
    instruction_matches: bool | None = None


def format_row(
    row: Mapping[str, Any],
    kind: CollectionKind,
    template_set: TemplateSet,
    *,
    prompt_source: str = "render",
    record: object = None,
) -> TrainingExample:
    """Turn one Feedback (``kind="feedback"``) or Preference (``"preference"``) Collection row into an example."""
    parsed = parse_row(kind, row, record)
    if isinstance(parsed, FeedbackRow):
        system, rendered = template_set.render_direct(parsed.item())
    else:
        system, rendered = template_set.render_pair(parsed.item())
    instruction = parsed.prompt
    if prompt_source == "instruction":
        if not instruction:
            raise InputError("missing required column", record=record, field="instruction")
        user = instruction
    else:
        user = rendered
    matches = None if instruction is None else instruction == rendered
    output = parsed.target(template_set)
    return TrainingExample(system=system, user=user, output=output, instruction_matches=matches)


def to_conversation(example: TrainingExample, join_system: bool = True) -> Conversation:
    """TRL's conversational prompt-completion shape: ``{"prompt": [...], "completion": [...]}``."""
    prompt = (
        joined_user_turn(example.system, example.user)
        if join_system
        else system_and_user(example.system, example.user)
    )
    return {"prompt": prompt, "completion": [{"role": "assistant", "content": example.output}]}


def prompt_text(tokenizer: Any, conversation: Conversation) -> str:
    """The chat-formatted prompt, ending where the model starts writing (what a judge sends)."""
    return str(
        tokenizer.apply_chat_template(conversation["prompt"], tokenize=False, add_generation_prompt=True)
    )


def training_text(tokenizer: Any, conversation: Conversation) -> str:
    """The whole chat-formatted training sequence: prompt, output and the template's end-of-turn token."""
    messages = conversation["prompt"] + conversation["completion"]
    return str(tokenizer.apply_chat_template(messages, tokenize=False))
