"""Prompt rendering: template sets (wording) + chat formats (model input) -> :class:`Prompt` records."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from judgeforge.errors import RubricError
from judgeforge.prompts.chat import chat_formats
from judgeforge.prompts.templates import (
    DEFAULT_TEMPLATE_SET,
    TemplateSet,
    builtin_template_sets,
    get_template_set,
)
from judgeforge.records import DirectItem, Message, Mode, PairItem, Prompt, Rubric

__all__ = [
    "DEFAULT_TEMPLATE_SET",
    "PromptRenderer",
    "TemplateSet",
    "builtin_template_sets",
    "chat_formats",
    "check_levels",
    "default_chat_format",
    "get_template_set",
]


class PromptRenderer:
    """Renders items into prompts with one template set and one chat format."""

    def __init__(
        self,
        template_set: str | Path | TemplateSet = DEFAULT_TEMPLATE_SET,
        chat_format: str | None = None,
        tokenizer: Any | None = None,
    ) -> None:
        self.template_set = get_template_set(template_set)
        self.chat_format_name = default_chat_format(self.template_set, chat_format)
        self._chat_format = chat_formats.get(self.chat_format_name)
        self.tokenizer = tokenizer
        # Rows of a run usually share one rubric object and one system prompt: their rendered text and
        # Message record are kept and reused (one tuple / dict entry each, so threads can share them).
        self._last_rubric: tuple[Rubric | None, Mode | None, str] = (None, None, "")
        self._system_messages: dict[str, Message] = {}

    def direct(self, item: DirectItem) -> Prompt:
        plan = self.template_set.plan("absolute", item.reference_answer is not None)
        system, user = self.template_set.render_direct(item, self._rubric_text(item.rubric, "absolute"), plan)
        scale = None if item.rubric.scale is None else item.rubric.scale_values()
        return self._prompt("absolute", system, user, plan.prefill, scale)

    def pair(self, item: PairItem) -> Prompt:
        plan = self.template_set.plan("relative", item.reference_answer is not None)
        system, user = self.template_set.render_pair(item, self._rubric_text(item.rubric, "relative"), plan)
        return self._prompt("relative", system, user, plan.prefill)

    def _rubric_text(self, rubric: Rubric, mode: Mode) -> str:
        last_rubric, last_mode, text = self._last_rubric
        if last_rubric is rubric and last_mode == mode:
            return text
        text = rubric.render_absolute() if mode == "absolute" else rubric.render_relative()
        self._last_rubric = (rubric, mode, text)
        return text

    def _system_message(self, system: str) -> Message:
        message = self._system_messages.get(system)
        if message is None:
            message = Message.trusted(role="system", content=system)
            if len(self._system_messages) < 64:
                self._system_messages[system] = message
        return message

    def _prompt(
        self, mode: Mode, system: str, user: str, prefill: str = "", scale: tuple[str, ...] | None = None
    ) -> Prompt:
        # trusted(): the fields are built right here from typed parts, and this runs once per item
        # on the grading hot path, where validation would cost more than the rendering itself.
        user_message = Message.trusted(role="user", content=user)
        return Prompt.trusted(
            mode=mode,
            template=self.template_set.name,
            # An empty system prompt: the family sends no system message.
            messages=(self._system_message(system), user_message) if system else (user_message,),
            text=self._chat_format(system, user, self.tokenizer) + prefill,
            scale=scale,
        )


def default_chat_format(template_set: TemplateSet, chat_format: str | None) -> str:
    """The chat format given, else the one the set's family reads (``mistral-inst`` for Prometheus 2)."""
    return chat_format or template_set.chat_format or "mistral-inst"


def check_levels(rubric: Rubric, template_set: TemplateSet | None = None) -> None:
    """RubricError when a score level is blank: direct assessment shows every level, so grading needs them
    (pairwise ranking shows the criterion only, so there they may be blank, as in Preference Collection
    rows; the renderer itself shows any input as it is, for fidelity checks). A wording with a fixed scale
    (MT-Bench, Auto-J) shows no levels, so there they may be blank."""
    if template_set is not None and not template_set.shows_levels():
        return
    for level in rubric.levels():
        if not level.description or level.description.isspace():
            what = (
                f"field 'score{level.value}_description' is empty"
                if rubric.scale is None
                else (f"scale level {level.value!r} has no description")
            )
            raise RubricError(f"{what} (direct assessment shows every score level)", field="rubric")
