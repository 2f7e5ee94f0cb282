"""The teacher that writes comparative feedback for a preference pair.

The teacher sees both responses, the criterion (with its five level descriptions), the reference answer,
both original feedbacks and which response wins, so its feedback explains the known verdict. Whatever verdict
it writes itself is cut off; the verdict from the scores is appended by the builder.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

from judgeforge.data.pairing import PreferencePair
from judgeforge.prompts import TemplateSet
from judgeforge.prompts.chat import chat_formats
from judgeforge.records import Message, Prompt

_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
_VERDICT_TAIL = re.compile(r"\[RESULT\].*\Z", re.IGNORECASE | re.DOTALL)
_LABEL = re.compile(r"^\s*(?:comparative\s+)?feedback\s*:\s*", re.IGNORECASE)


@cache
def teacher_template() -> str:
    """The teacher prompt (a data file: ``judgeforge/data/templates/teacher.txt``)."""
    entry = resources.files("judgeforge.data") / "templates" / "teacher.txt"
    return entry.read_bytes().decode("utf-8")


def teacher_prompt(pair: PreferencePair, template_set: TemplateSet, chat_format: str = "none") -> Prompt:
    """The rendered teacher prompt for one pair (system prompt of the set's relative mode)."""
    values = {
        "instruction": pair.a.instruction,
        "response_a": pair.a.response,
        "response_b": pair.b.response,
        "reference_answer": pair.a.reference_answer or "(none)",
        "rubric": pair.a.rubric.render_absolute(),
        "feedback_a": pair.a.feedback,
        "feedback_b": pair.b.feedback,
        "winner": f"Response {pair.winner}",
    }
    user = _PLACEHOLDER.sub(lambda match: values[match.group(1)], teacher_template())
    system = template_set.system_prompts["relative"]
    return Prompt(
        mode="relative",
        template="teacher",
        messages=(Message(role="system", content=system), Message(role="user", content=user)),
        text=chat_formats.get(chat_format)(system, user, None),
    )


def clean_teacher_feedback(text: str) -> str:
    """The teacher's feedback without any verdict it wrote and without a leading label ('' if nothing)."""
    return _LABEL.sub("", _VERDICT_TAIL.sub("", text).strip(), count=1).strip()
