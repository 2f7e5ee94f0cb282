"""Frozen records that cross stage boundaries.

Items (what is graded) -> Prompt (what the model sees) -> Completion (what it wrote) -> Verdict (what we read
from it) -> Judgment (all verdicts of one item and their aggregate).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from typing import Annotated, Any, Literal, Self, cast

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

Mode = Literal["absolute", "relative"]
# A pairwise verdict: response A, response B, or a tie (families with a tie option: MT-Bench [[C]], Arena-Hard
# [[A=B]], Auto-J, PandaLM, JudgeLM equal scores; and both-order resolution).
Winner = Literal["A", "B", "tie"]
SCORE_LEVELS = (1, 2, 3, 4, 5)
LEVEL_FIELDS = tuple(f"score{level}_description" for level in SCORE_LEVELS)


def _not_blank(value: str) -> str:
    if not value or value.isspace():
        raise ValueError("must not be empty or blank")
    return value


# Text a record requires: an empty or whitespace-only value is bad input, named by its field.
NonBlank = Annotated[str, AfterValidator(_not_blank)]


class Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    @classmethod
    def trusted(cls, **values: Any) -> Self:
        """Build a record from values our own code produced and typed, without validation.

        For the grading hot path only (a few records per graded item); equivalent to ``model_construct``
        for these plain records, at a fraction of its cost; every required field must be given. Anything from
        users goes through validation.
        """
        ordered, factories = _defaults(cls)
        record = _new(cls)
        # Every field in declared order, then the given values: a key given again keeps its place, so repr,
        # model_dump and model_dump_json list the fields as a validated record does.
        fields = {**ordered, **values}
        if factories:
            for name, factory in factories:
                if name not in values:
                    fields[name] = factory()
        _set(record, "__dict__", fields)
        _set(record, "__pydantic_fields_set__", set(values))
        _set(record, "__pydantic_extra__", None)
        _set(record, "__pydantic_private__", None)
        return record


_set = object.__setattr__
_new = object.__new__  # BaseModel defines no __new__; skipping the lookup through the MRO


@cache
def _defaults(cls: type[BaseModel]) -> tuple[dict[str, Any], tuple[tuple[str, Callable[[], Any]], ...]]:
    """(every field in declared order, with its plain default or None until given; the default factories)."""
    ordered: dict[str, Any] = {}
    factories = []
    for name, field in cls.model_fields.items():
        ordered[name] = None if field.is_required() or field.default_factory is not None else field.default
        if field.default_factory is not None:
            factories.append((name, cast(Callable[[], Any], field.default_factory)))
    return ordered, tuple(factories)


class ScaleLevel(Record):
    """One level of a rubric's own scale: the value as the judge writes it (``"7"``, ``"0"``, ``"Yes"``) and
    what it means (empty where the wording shows no descriptions, e.g. MT-Bench's fixed 1-10)."""

    value: NonBlank
    description: str = ""


class Rubric(Record):
    """A criterion with its scale: one description per score level 1..5 (the Feedback Collection's rubric
    shape), or its own ``scale`` (any levels: ``0``/``1``, ``1``..``3``, ``1``..``10``, ``Yes``/``No``).

    ``scale`` may be given as a list of levels, a mapping ``{value: description}`` or a list of values; a rubric
    with its own scale has empty ``scoreN_description`` fields.
    """

    criteria: NonBlank
    # Required for direct assessment (checked when rendered); pairwise prompts show the criterion only.
    score1_description: str
    score2_description: str
    score3_description: str
    score4_description: str
    score5_description: str
    scale: tuple[ScaleLevel, ...] | None = None

    @model_validator(mode="before")
    @classmethod
    def _own_scale(cls, data: Any) -> Any:
        """A rubric with its own scale needs no five descriptions (and may not have them: one scale)."""
        if not isinstance(data, Mapping) or data.get("scale") is None:
            return data
        given = [field for field in LEVEL_FIELDS if data.get(field)]
        if given:
            raise ValueError(
                f"give either 'scale' or the five scoreN_description fields, not both ({given[0]})"
            )
        return {**dict.fromkeys(LEVEL_FIELDS, ""), **data, "scale": scale_levels(data["scale"])}

    @model_validator(mode="after")
    def _distinct_levels(self) -> Self:
        if self.scale is not None:
            values = [level.value for level in self.scale]
            if len(values) < 2:
                raise ValueError("a scale needs at least two levels")
            if len(set(values)) != len(values):
                raise ValueError(f"scale levels repeat: {values}")
        return self

    def levels(self) -> tuple[ScaleLevel, ...]:
        """The scale's levels in order: the rubric's own, or 1..5 with the five descriptions."""
        if self.scale is not None:
            return self.scale
        return tuple(
            ScaleLevel.trusted(value=str(level), description=text)
            for level, text in zip(SCORE_LEVELS, self.descriptions(), strict=True)
        )

    def scale_values(self) -> tuple[str, ...]:
        """The values a verdict on this rubric may take, e.g. ``("1", "2", "3", "4", "5")``."""
        if self.scale is None:
            return _STANDARD_VALUES
        return tuple(level.value for level in self.scale)

    def descriptions(self) -> list[str]:
        if self.scale is not None:
            return [level.description for level in self.scale]
        return [getattr(self, field) for field in LEVEL_FIELDS]

    def render_absolute(self) -> str:
        """The bracketed criterion followed by one ``Score k:`` line per level."""
        if self.scale is not None:
            lines = "".join(f"\nScore {level.value}: {level.description}" for level in self.scale)
            return f"[{self.criteria}]{lines}"
        return (
            f"[{self.criteria}]\nScore 1: {self.score1_description}\nScore 2: {self.score2_description}"
            f"\nScore 3: {self.score3_description}\nScore 4: {self.score4_description}"
            f"\nScore 5: {self.score5_description}"
        )

    def render_relative(self) -> str:
        """The bracketed criterion line alone, as pairwise prompts show it."""
        return f"[{self.criteria}]"


_STANDARD_VALUES = tuple(str(level) for level in SCORE_LEVELS)


def scale_levels(scale: Any) -> Any:
    """A scale as given (mapping of value -> description, list of values or of levels) as a list of levels.

    Values are kept as written (``1`` -> ``"1"``); a boolean (YAML reads unquoted yes/no/on/off/true/false
    as one) is refused, since its spelling is lost.
    """
    if isinstance(scale, Mapping):
        items: list[Any] = [{"value": key, "description": text} for key, text in scale.items()]
    elif isinstance(scale, (list, tuple)):
        items = [entry if isinstance(entry, (Mapping, ScaleLevel)) else {"value": entry} for entry in scale]
    else:
        return scale  # pydantic reports the wrong type
    levels = []
    for entry in items:
        if isinstance(entry, Mapping):
            value = entry.get("value")
            if isinstance(value, bool):
                raise ValueError(
                    f"scale level {value!r} is a YAML boolean: quote it ('Yes', 'No') so its spelling is kept"
                )
            if isinstance(value, (int, float)):
                entry = {**entry, "value": str(value)}
        levels.append(entry)
    return levels


class DirectItem(Record):
    """One response to grade on its rubric's scale (1..5 unless the rubric has its own)."""

    id: str | None = None
    instruction: NonBlank
    response: NonBlank
    rubric: Rubric
    reference_answer: NonBlank | None = None


class PairItem(Record):
    """Two responses to the same instruction, to be compared."""

    id: str | None = None
    instruction: NonBlank
    response_a: NonBlank
    response_b: NonBlank
    rubric: Rubric
    reference_answer: NonBlank | None = None


class Message(Record):
    role: Literal["system", "user", "assistant"]
    content: str


class Prompt(Record):
    """A rendered prompt: its chat messages and the chat-formatted model input (``text``).

    ``scale``: the values a direct-assessment verdict may take (the rubric's scale), for the parser; None for
    pairwise prompts and for the default 1..5.
    """

    mode: Mode
    template: str
    messages: tuple[Message, ...]
    text: str
    scale: tuple[str, ...] | None = None

    @property
    def system(self) -> str:
        return next((m.content for m in self.messages if m.role == "system"), "")

    @property
    def user(self) -> str:
        return next(m.content for m in self.messages if m.role == "user")


class TokenLogprob(Record):
    """One generated token with its log-probability and the top alternatives at that position."""

    token: str
    logprob: float
    top: dict[str, float] = Field(default_factory=dict)


class Usage(Record):
    prompt_tokens: int = 0
    completion_tokens: int = 0


class Completion(Record):
    text: str
    logprobs: tuple[TokenLogprob, ...] | None = None
    usage: Usage = Usage()
    finish_reason: str | None = None


class GenerationFailure(Record):
    """What a backend returns for one prompt it could not complete, in place of its :class:`Completion`.

    ``kind``: ``retryable`` (connection lost, timeout, 408/409/425/429, 5xx: the same request may succeed
    later; ``retry_after`` seconds when the server said), ``permanent`` (this prompt's own fault: context
    length, content filter, 4xx, an unreadable body; other prompts are unaffected) or ``configuration``
    (the setup is wrong for every prompt: bad key, unknown model, a chat template without a system role; the
    run stops and ``hint`` names the fix). ``status`` is the HTTP status where there was one.
    """

    message: str
    kind: Literal["retryable", "permanent", "configuration"] = "permanent"
    # Where it failed: no connection (refused, reset, unreachable), a timeout, the server's answer (HTTP
    # status or body), or the backend itself.
    cause: Literal["connection", "timeout", "http", "body", "backend"] = "backend"
    retry_after: float | None = None
    status: int | None = None
    hint: str | None = None

    @property
    def retryable(self) -> bool:
        return self.kind == "retryable"


Outcome = Completion | GenerationFailure


class Verdict(Record):
    """What was read from one model output. ``failure`` set means no verdict could be read.

    The kinds of verdict: ``score`` (a number on the rubric's scale: whole, or a decimal where the family
    allows one, e.g. MT-Bench ``[[7.5]]``), ``label`` (a scale of words: ``Yes``/``No``), ``winner`` (``A``,
    ``B`` or ``tie``), with ``margin`` for five-level preferences (Arena-Hard: 2 for ``>>``, 1 for ``>``, 0 for a
    tie) and ``scores`` for families that score both responses (JudgeLM: A's and B's; the winner follows).
    ``note``: something the reader should know although the verdict stands, e.g. a later verdict in the same
    output that the family's rule does not take.
    """

    score: int | float | None = None
    winner: Winner | None = None
    feedback: str = ""
    failure: str | None = None
    raw: str = ""
    probabilities: dict[str, float] | None = None
    expected_score: float | None = None
    attempts: int = 1
    # Set when logprobs were asked for but none could be read for this output (the verdict itself stands).
    logprobs_missing: str | None = None
    label: str | None = None
    margin: int | None = None
    scores: tuple[float, float] | None = None
    note: str | None = None

    @property
    def ok(self) -> bool:
        return self.failure is None

    def required(self) -> int | float | str:
        """The score, label or winner; ParseError (with the failure and the raw output) when none was read."""
        value = (
            self.score if self.score is not None else self.label if self.label is not None else self.winner
        )
        if value is None:
            from judgeforge.errors import ParseError

            raise ParseError(f"no verdict: {self.failure or 'nothing read'}; raw output: {self.raw[:300]!r}")
        return value


class Judgment(Record):
    """All verdicts for one item and their aggregate."""

    item_id: str | None
    mode: Mode
    verdicts: tuple[Verdict, ...]
    score: float | None = None
    winner: Winner | None = None
    agreement: float | None = None
    failure: str | None = None
    usage: Usage = Usage()
    extra: dict[str, Any] = Field(default_factory=dict)
    label: str | None = None  # the majority label, for rubrics whose scale is words (Yes/No)

    def required(self) -> float | str:
        """The aggregate score, label or winner; ParseError naming the last failure when the item has none
        (every sample failed, or the samples split evenly)."""
        value = (
            self.score if self.score is not None else self.label if self.label is not None else self.winner
        )
        if value is None:
            from judgeforge.errors import ParseError

            reason = self.failure or "the samples' winners split evenly"
            raise ParseError(f"item {self.item_id!r} has no verdict: {reason}")
        return value
