"""The Feedback and Preference Collection rows: the one schema of both artefacts.

Every reader and writer of these files goes through :class:`FeedbackRow` and :class:`PreferenceRow`: the
preference builder (:mod:`judgeforge.data.preferences`), training (:mod:`judgeforge.train.formatting`) and the
toy worlds (:mod:`judgeforge.toy`). The published column names (those of the Prometheus 2 datasets) are
spelled in this module and nowhere else in ``src/`` (a test checks it).

Feedback Collection (direct assessment), one row per graded response, columns in this order:

- ``orig_instruction``, ``orig_response``: what was asked and the response that was graded;
- ``orig_reference_answer``: the score-5 reference (missing or null: the no-reference template);
- ``orig_criteria``, ``orig_score1_description`` .. ``orig_score5_description``: the rubric;
- ``orig_feedback``, ``orig_score`` (1..5; ``"4"`` and ``4.0`` read as 4): the feedback and the score;
- ``instruction``: the rendered absolute prompt; ``output``: the training target ``Feedback: ... [RESULT] 4``
  (both optional; an absent or empty ``output`` is rebuilt in the template set's output format).

Preference Collection (pairwise ranking), one row per pair, columns in this order:

- ``pair_id``: judgeforge's resume key, a hash of the pair (optional);
- ``orig_instruction``, ``orig_criteria``, ``orig_score1_description`` .. ``orig_score5_description``
  (optional, blank allowed: the relative prompt shows the criterion only), ``orig_reference_answer`` (as above);
- ``orig_response_A``, ``orig_response_B``, ``orig_score_A``, ``orig_score_B`` (optional), ``orig_feedback_A``,
  ``orig_feedback_B`` (optional): both sides as they were graded alone;
- ``orig_preference`` (``A`` or ``B``) and ``orig_feedback`` (the comparative feedback);
- ``source_rows``: judgeforge's two Feedback Collection row numbers (optional);
- ``instruction``: the rendered relative prompt; ``output``: ``Feedback: ... [RESULT] A`` (as above).

Blank required text (empty or whitespace only) is bad input. ``from_row`` names the record and every bad field
at once; ``to_row`` writes the columns in the order above, ``orig_reference_answer`` always (null: no
reference), the optional columns only when set.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, Self, cast

from pydantic import Field, field_validator

from judgeforge.columns import ORIG_PREFIX
from judgeforge.errors import InputError
from judgeforge.prompts import TemplateSet
from judgeforge.records import SCORE_LEVELS, DirectItem, NonBlank, PairItem, Record, Rubric, Winner

__all__ = [
    "FEEDBACK_COLUMNS",
    "ORIG_PREFIX",
    "PREFERENCE_COLUMNS",
    "CollectionKind",
    "CollectionRow",
    "FeedbackRow",
    "PreferenceRow",
    "parse_row",
]

CollectionKind = Literal["feedback", "preference"]

# The columns, spelled once. ``instruction``/``output`` are the training pair, ``pair_id``/``source_rows`` ours.
PROMPT, OUTPUT = "instruction", "output"
INSTRUCTION, RESPONSE, REFERENCE = "orig_instruction", "orig_response", "orig_reference_answer"
CRITERIA, FEEDBACK, SCORE = "orig_criteria", "orig_feedback", "orig_score"
DESCRIPTIONS = tuple(f"orig_score{level}_description" for level in SCORE_LEVELS)
RESPONSE_A, RESPONSE_B = "orig_response_A", "orig_response_B"
SCORE_A, SCORE_B = "orig_score_A", "orig_score_B"
FEEDBACK_A, FEEDBACK_B, PREFERENCE = "orig_feedback_A", "orig_feedback_B", "orig_preference"
PAIR_ID, SOURCE_ROWS = "pair_id", "source_rows"

FEEDBACK_COLUMNS = (
    INSTRUCTION,
    RESPONSE,
    REFERENCE,
    CRITERIA,
    *DESCRIPTIONS,
    FEEDBACK,
    SCORE,
    PROMPT,
    OUTPUT,
)
PREFERENCE_COLUMNS = (
    PAIR_ID,
    INSTRUCTION,
    CRITERIA,
    *DESCRIPTIONS,
    REFERENCE,
    RESPONSE_A,
    RESPONSE_B,
    SCORE_A,
    SCORE_B,
    FEEDBACK_A,
    FEEDBACK_B,
    PREFERENCE,
    FEEDBACK,
    SOURCE_ROWS,
    PROMPT,
    OUTPUT,
)


class FeedbackRow(Record):
    """One Feedback Collection row: a response graded alone against a rubric, with feedback and a score."""

    instruction: NonBlank
    response: NonBlank
    reference_answer: NonBlank | None = None
    rubric: Rubric
    feedback: NonBlank
    score: int = Field(ge=1, le=5)
    prompt: str | None = None  # the ``instruction`` column: the rendered absolute prompt
    output: str | None = None  # the training target as the row gives it

    @field_validator("rubric")
    @classmethod
    def _levels_are_given(cls, rubric: Rubric) -> Rubric:
        """The absolute prompt shows every level, so a Feedback Collection rubric needs them all."""
        if any(not text or text.isspace() for text in rubric.descriptions()):
            raise ValueError("every score description must be given")
        return rubric

    @classmethod
    def from_row(cls, row: Mapping[str, Any], record: object = None) -> Self:
        """Validate a row; raises InputError naming ``record`` and every bad field."""
        read = _Reader(row, record)  # the reading order is the order problems are reported in
        instruction, response, feedback = read.text(INSTRUCTION), read.text(RESPONSE), read.text(FEEDBACK)
        criteria, descriptions = read.text(CRITERIA), [read.text(column) for column in DESCRIPTIONS]
        reference, prompt, output = read.reference(), read.optional(PROMPT), read.optional(OUTPUT)
        score = read.score(SCORE)
        read.check()
        return cls(
            instruction=instruction,
            response=response,
            reference_answer=reference,
            rubric=_rubric(criteria, descriptions),
            feedback=feedback,
            score=score,
            prompt=prompt,
            output=output,
        )

    @classmethod
    def problems(cls, row: Mapping[str, Any]) -> list[tuple[str, str]]:
        """Every (column, problem) of a row; empty when :meth:`from_row` accepts it."""
        try:
            cls.from_row(row)
        except _RowProblems as exc:
            return exc.problems
        return []

    def to_row(self) -> dict[str, Any]:
        """The row with the published column names, in the published order."""
        return _published(
            {
                INSTRUCTION: self.instruction,
                RESPONSE: self.response,
                REFERENCE: self.reference_answer,
                CRITERIA: self.rubric.criteria,
                **dict(zip(DESCRIPTIONS, self.rubric.descriptions(), strict=True)),
                FEEDBACK: self.feedback,
                SCORE: self.score,
                PROMPT: self.prompt,
                OUTPUT: self.output,
            }
        )

    def item(self, item_id: str | None = None) -> DirectItem:
        """The direct-assessment item this row grades."""
        return DirectItem(
            id=item_id,
            instruction=self.instruction,
            response=self.response,
            rubric=self.rubric,
            reference_answer=self.reference_answer,
        )

    def target(self, template_set: TemplateSet) -> str:
        """The training target: the ``output`` column, or the set's output format of the feedback and score."""
        return self.output or template_set.format_output(self.feedback, str(self.score))

    def rendered(self, template_set: TemplateSet) -> Self:
        """This row with ``instruction`` (the set's absolute prompt) and ``output`` (the target) filled in."""
        prompt = template_set.render_direct(self.item())[1]
        return self.model_copy(update={"prompt": prompt, "output": self.target(template_set)})


class PreferenceRow(Record):
    """One Preference Collection row: two responses to one instruction, the winner and comparative feedback."""

    pair_id: str | None = None
    instruction: NonBlank
    criteria: NonBlank
    # One per level; None: the column is absent.
    score_descriptions: tuple[str | None, ...] = Field(default=(None,) * 5, min_length=5, max_length=5)
    reference_answer: NonBlank | None = None
    response_a: NonBlank
    response_b: NonBlank
    score_a: int | None = Field(default=None, ge=1, le=5)
    score_b: int | None = Field(default=None, ge=1, le=5)
    feedback_a: str | None = None
    feedback_b: str | None = None
    preference: Winner
    feedback: NonBlank
    source_rows: tuple[int, int] | None = None
    prompt: str | None = None  # the ``instruction`` column: the rendered relative prompt
    output: str | None = None  # the training target as the row gives it

    @classmethod
    def from_row(cls, row: Mapping[str, Any], record: object = None) -> Self:
        """Validate a row; raises InputError naming ``record`` and every bad field."""
        read = _Reader(row, record)
        pair_id, instruction, criteria = read.optional(PAIR_ID), read.text(INSTRUCTION), read.text(CRITERIA)
        descriptions = tuple(read.optional(column) for column in DESCRIPTIONS)
        reference, response_a, response_b = read.reference(), read.text(RESPONSE_A), read.text(RESPONSE_B)
        score_a, score_b = read.optional_score(SCORE_A), read.optional_score(SCORE_B)
        feedback_a, feedback_b = read.optional(FEEDBACK_A), read.optional(FEEDBACK_B)
        preference, feedback = read.winner(PREFERENCE), read.text(FEEDBACK)
        source_rows, prompt, output = (
            read.row_numbers(SOURCE_ROWS),
            read.optional(PROMPT),
            read.optional(OUTPUT),
        )
        read.check()
        return cls(
            pair_id=pair_id,
            instruction=instruction,
            criteria=criteria,
            score_descriptions=descriptions,
            reference_answer=reference,
            response_a=response_a,
            response_b=response_b,
            score_a=score_a,
            score_b=score_b,
            feedback_a=feedback_a,
            feedback_b=feedback_b,
            preference=preference,
            feedback=feedback,
            source_rows=source_rows,
            prompt=prompt,
            output=output,
        )

    @property
    def rubric(self) -> Rubric:
        """The rubric; an absent score description is empty (the relative prompt shows the criterion only)."""
        return Rubric(criteria=self.criteria, **_levels(text or "" for text in self.score_descriptions))

    def to_row(self) -> dict[str, Any]:
        """The row with the published column names, in the published order."""
        return _published(
            {
                PAIR_ID: self.pair_id,
                INSTRUCTION: self.instruction,
                CRITERIA: self.criteria,
                **dict(zip(DESCRIPTIONS, self.score_descriptions, strict=True)),
                REFERENCE: self.reference_answer,
                RESPONSE_A: self.response_a,
                RESPONSE_B: self.response_b,
                SCORE_A: self.score_a,
                SCORE_B: self.score_b,
                FEEDBACK_A: self.feedback_a,
                FEEDBACK_B: self.feedback_b,
                PREFERENCE: self.preference,
                FEEDBACK: self.feedback,
                SOURCE_ROWS: list(self.source_rows) if self.source_rows is not None else None,
                PROMPT: self.prompt,
                OUTPUT: self.output,
            }
        )

    def item(self, item_id: str | None = None) -> PairItem:
        """The pairwise item this row compares."""
        return PairItem(
            id=item_id,
            instruction=self.instruction,
            response_a=self.response_a,
            response_b=self.response_b,
            rubric=self.rubric,
            reference_answer=self.reference_answer,
        )

    def target(self, template_set: TemplateSet) -> str:
        """The training target: the ``output`` column, or the set's output format of the feedback and winner."""
        return self.output or template_set.format_output(self.feedback, self.preference)

    def rendered(self, template_set: TemplateSet) -> Self:
        """This row with ``instruction`` (the set's relative prompt) and ``output`` (the target) filled in."""
        prompt = template_set.render_pair(self.item())[1]
        return self.model_copy(update={"prompt": prompt, "output": self.target(template_set)})


CollectionRow = FeedbackRow | PreferenceRow


def parse_row(kind: CollectionKind, row: Mapping[str, Any], record: object = None) -> CollectionRow:
    """A Feedback (``kind="feedback"``) or Preference (``"preference"``) Collection row, validated."""
    if kind == "feedback":
        return FeedbackRow.from_row(row, record)
    return PreferenceRow.from_row(row, record)


class _RowProblems(InputError):
    """InputError carrying each (column, problem) of the row, for :meth:`FeedbackRow.problems`."""

    def __init__(self, problems: list[tuple[str, str]], record: object) -> None:
        self.problems = problems
        detail = "; ".join(f"{column}: {problem}" for column, problem in problems)
        super().__init__(detail, record=record, field=", ".join(column for column, _ in problems))


class _Reader:
    """Typed values out of one row; each problem is noted and reading goes on, so all are reported at once."""

    def __init__(self, row: Mapping[str, Any], record: object) -> None:
        if not isinstance(row, Mapping):
            raise InputError(f"expected an object, got {type(row).__name__}", record=record)
        self.row, self.record = row, record
        self.problems: list[tuple[str, str]] = []

    def check(self) -> None:
        if self.problems:
            raise _RowProblems(self.problems, self.record)

    def _bad(self, column: str, problem: str) -> None:
        self.problems.append((column, problem))

    def text(self, column: str) -> str:
        """Required text: present, a string, not blank."""
        value = self.row.get(column)
        if value is None:
            self._bad(column, "missing required column")
        elif not isinstance(value, str):
            self._bad(column, _not_a_string(value))
        elif not value or value.isspace():
            self._bad(column, "must not be empty")
        else:
            return value
        return ""

    def optional(self, column: str) -> str | None:
        """Optional text: absent (or null), or a string (blank allowed)."""
        value = self.row.get(column)
        if value is None or isinstance(value, str):
            return value
        self._bad(column, _not_a_string(value))
        return None

    def reference(self) -> str | None:
        """The reference answer: absent or null for none; blank is bad (it would render an empty reference)."""
        value = self.optional(REFERENCE)
        if value is not None and (not value or value.isspace()):
            self._bad(REFERENCE, "must not be empty (omit it for no reference)")
        return value

    def score(self, column: str) -> int:
        """A required score 1..5."""
        return self.optional_score(column, required=True) or 0

    def optional_score(self, column: str, *, required: bool = False) -> int | None:
        value = self.row.get(column)
        score = _score(value)
        if score is None and (required or value is not None):
            self._bad(column, f"must be an integer 1..5, got {value!r}")
        return score

    def winner(self, column: str) -> Winner:
        value = self.row.get(column)
        if value not in ("A", "B"):
            self._bad(column, f"must be 'A' or 'B', got {value!r}")
        return cast(Winner, value)

    def row_numbers(self, column: str) -> tuple[int, int] | None:
        value = self.row.get(column)
        if value is None:
            return None
        if isinstance(value, list | tuple) and len(value) == 2 and all(_is_int(number) for number in value):
            return (value[0], value[1])
        self._bad(column, f"must be a list of two row numbers, got {value!r}")
        return None


def _score(value: Any) -> int | None:
    """An integer 1..5 given as an int, an integral float or a string of digits; None otherwise."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if _is_int(value) and value in SCORE_LEVELS:
        return int(value)
    return None


def _not_a_string(value: object) -> str:
    return f"must be a string, got {type(value).__name__}"


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _levels(texts: Any) -> dict[str, str]:
    return {f"score{level}_description": text for level, text in zip(SCORE_LEVELS, texts, strict=True)}


def _rubric(criteria: str, descriptions: list[str]) -> Rubric:
    return Rubric(criteria=criteria, **_levels(descriptions))


def _published(row: dict[str, Any]) -> dict[str, Any]:
    """An unset optional column is left out; the reference answer is always written (null: no reference)."""
    return {column: value for column, value in row.items() if value is not None or column == REFERENCE}
