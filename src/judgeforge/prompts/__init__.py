"""Prompt rendering: template sets (wording) + chat formats (model input) -> :class:`Prompt` records."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from judgeforge.prompts.chat import chat_formats
from judgeforge.prompts.templates import (
    DEFAULT_TEMPLATE_SET,
    TemplateSet,
    builtin_template_sets,
    get_template_set,
)
from judgeforge.records import DirectItem, Message, Mode, PairItem, Prompt

__all__ = [
    "DEFAULT_TEMPLATE_SET",
    "PromptRenderer",
    "TemplateSet",
    "builtin_template_sets",
    "chat_formats",
    "get_template_set",
]


class PromptRenderer:
    """Renders items into prompts with one template set and one chat format."""

    def __init__(
        self,
        template_set: str | Path | TemplateSet = DEFAULT_TEMPLATE_SET,
        chat_format: str = "mistral-inst",
        tokenizer: Any | None = None,
    ) -> None:
        self.template_set = get_template_set(template_set)
        self.chat_format_name = chat_format
        self._chat_format = chat_formats.get(chat_format)
        self.tokenizer = tokenizer

    def direct(self, item: DirectItem) -> Prompt:
        system, user = self.template_set.render_direct(item)
        return self._prompt("absolute", system, user)

    def pair(self, item: PairItem) -> Prompt:
        system, user = self.template_set.render_pair(item)
        return self._prompt("relative", system, user)

    def _prompt(self, mode: Mode, system: str, user: str) -> Prompt:
        # trusted(): the fields are built right here from typed parts, and this runs once per item
        # on the grading hot path, where validation would cost more than the rendering itself.
        return Prompt.trusted(
            mode=mode,
            template=self.template_set.name,
            messages=(
                Message.trusted(role="system", content=system),
                Message.trusted(role="user", content=user),
            ),
            text=self._chat_format(system, user, self.tokenizer),
        )
