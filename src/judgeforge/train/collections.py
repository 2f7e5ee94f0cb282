"""The columns training reads from a Feedback Collection and a Preference Collection.

A minimal schema kept here until ``judgeforge.data`` owns the loaders; it only turns rows into items and
training targets, so it can be swapped for the data package's schema without touching the recipes.

Feedback Collection (direct assessment), one row per graded response:

- ``orig_instruction``, ``orig_response``: what was asked and the response that was graded;
- ``orig_criteria``, ``orig_score1_description`` .. ``orig_score5_description``: the rubric;
- ``orig_reference_answer``: the score-5 reference (missing or null: the no-reference template);
- ``orig_feedback``, ``orig_score`` (1..5): the teacher's feedback and score;
- ``instruction``: the rendered absolute prompt (optional); ``output``: the training target
  (optional; rebuilt as the template set's ``Feedback: ... [RESULT] score`` when absent).

Preference Collection (pairwise ranking), one row per pair:

- ``orig_instruction``, ``orig_response_A``, ``orig_response_B``, ``orig_score_A``, ``orig_score_B``;
- ``orig_criteria`` (the score descriptions may be present; the relative prompt shows the criterion only);
- ``orig_reference_answer`` (optional, as above);
- ``orig_preference`` (``A`` or ``B``) and ``orig_feedback`` (the teacher's comparative feedback);
- ``instruction``: the rendered relative prompt (optional); ``output``: the target (optional; rebuilt as
  ``Feedback: ... [RESULT] A``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from judgeforge.errors import InputError
from judgeforge.prompts import TemplateSet
from judgeforge.records import SCORE_LEVELS, DirectItem, PairItem, Rubric

CollectionKind = Literal["feedback", "preference"]

RUBRIC_COLUMNS = ("orig_criteria", *(f"orig_score{level}_description" for level in SCORE_LEVELS))
FEEDBACK_COLUMNS = (
    "orig_instruction",
    "orig_response",
    *RUBRIC_COLUMNS,
    "orig_reference_answer",
    "orig_feedback",
    "orig_score",
    "instruction",
    "output",
)
PREFERENCE_COLUMNS = (
    "orig_instruction",
    "orig_response_A",
    "orig_response_B",
    "orig_score_A",
    "orig_score_B",
    "orig_criteria",
    "orig_reference_answer",
    "orig_preference",
    "orig_feedback",
    "instruction",
    "output",
)
COLUMNS: dict[CollectionKind, tuple[str, ...]] = {
    "feedback": FEEDBACK_COLUMNS,
    "preference": PREFERENCE_COLUMNS,
}


def feedback_item(row: Mapping[str, Any], record: object) -> DirectItem:
    """The direct-assessment item of a Feedback Collection row."""
    rubric = Rubric(**{column[5:]: _text(row, column, record) for column in RUBRIC_COLUMNS})
    return DirectItem(
        instruction=_text(row, "orig_instruction", record),
        response=_text(row, "orig_response", record),
        rubric=rubric,
        reference_answer=_optional_text(row, "orig_reference_answer", record),
    )


def preference_item(row: Mapping[str, Any], record: object) -> PairItem:
    """The pairwise item of a Preference Collection row (score descriptions are optional there)."""
    descriptions = {
        f"score{level}_description": _optional_text(row, f"orig_score{level}_description", record) or ""
        for level in SCORE_LEVELS
    }
    rubric = Rubric(criteria=_text(row, "orig_criteria", record), **descriptions)
    return PairItem(
        instruction=_text(row, "orig_instruction", record),
        response_a=_text(row, "orig_response_A", record),
        response_b=_text(row, "orig_response_B", record),
        rubric=rubric,
        reference_answer=_optional_text(row, "orig_reference_answer", record),
    )


def feedback_target(row: Mapping[str, Any], template_set: TemplateSet, record: object) -> str:
    """The ``output`` column, or the set's output format filled from ``orig_feedback`` and ``orig_score``."""
    output = _optional_text(row, "output", record)
    if output:
        return output
    score = row.get("orig_score")
    if isinstance(score, str) and score.strip().isdigit():
        score = int(score.strip())
    if not isinstance(score, int) or isinstance(score, bool) or score not in SCORE_LEVELS:
        raise InputError(f"must be an integer 1..5, got {score!r}", record=record, field="orig_score")
    return template_set.format_output(_text(row, "orig_feedback", record), str(score))


def preference_target(row: Mapping[str, Any], template_set: TemplateSet, record: object) -> str:
    """The ``output`` column, or the set's output format filled from ``orig_feedback`` and the preference."""
    output = _optional_text(row, "output", record)
    if output:
        return output
    winner = row.get("orig_preference")
    if winner not in ("A", "B"):
        raise InputError(f"must be 'A' or 'B', got {winner!r}", record=record, field="orig_preference")
    return template_set.format_output(_text(row, "orig_feedback", record), str(winner))


def _text(row: Mapping[str, Any], field: str, record: object) -> str:
    value = row.get(field)
    if value is None:
        raise InputError("missing required column", record=record, field=field)
    if not isinstance(value, str):
        raise InputError(f"must be a string, got {type(value).__name__}", record=record, field=field)
    if not value or value.isspace():
        raise InputError("must not be empty", record=record, field=field)
    return value


def _optional_text(row: Mapping[str, Any], field: str, record: object) -> str | None:
    value = row.get(field)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InputError(f"must be a string, got {type(value).__name__}", record=record, field=field)
    if field == "orig_reference_answer" and (not value or value.isspace()):
        raise InputError("must not be empty (omit it for no reference)", record=record, field=field)
    return value
