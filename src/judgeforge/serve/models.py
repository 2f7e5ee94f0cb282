"""Typed request and response bodies of the judge service (pydantic; shared by the server and the client).

A request holds either one item (its fields at the top level) or a batch (``{"items": [...]}``, with an
optional batch-level ``rubric`` for items that carry none). Responses always hold a list of ``results``, one
per item, in order.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag

from judgeforge.records import Judgment, NonBlank, Rubric, Winner

Text = NonBlank
# A library rubric name (GET /v1/rubrics) or a full rubric object; never a file path on the server.
RubricName = Annotated[str, Field(min_length=1, max_length=200)]
RubricSpec = Annotated[
    Annotated[RubricName, Tag("name")] | Annotated[Rubric, Tag("object")],
    Discriminator(lambda value: "name" if isinstance(value, str) else "object"),
]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GradeItem(Body):
    """One response to grade against a rubric, on the rubric's scale (1..5 unless it declares its own)."""

    id: str | None = Field(None, max_length=200)
    instruction: Text
    response: Text
    rubric: RubricSpec | None = None
    reference_answer: Text | None = None


class CompareItem(Body):
    """Two responses to the same instruction; the judge picks A or B (or a tie, where its family has one)."""

    id: str | None = Field(None, max_length=200)
    instruction: Text
    response_a: Text
    response_b: Text
    rubric: RubricSpec | None = None
    reference_answer: Text | None = None


class GradeBatch(Body):
    items: list[GradeItem] = Field(min_length=1)
    rubric: RubricSpec | None = None


class CompareBatch(Body):
    items: list[CompareItem] = Field(min_length=1)
    rubric: RubricSpec | None = None


def _shape(value: Any) -> str:
    if isinstance(value, dict):
        return "batch" if "items" in value else "item"
    return "batch" if isinstance(value, (GradeBatch, CompareBatch)) else "item"


GradeRequest = Annotated[
    Annotated[GradeItem, Tag("item")] | Annotated[GradeBatch, Tag("batch")], Discriminator(_shape)
]
CompareRequest = Annotated[
    Annotated[CompareItem, Tag("item")] | Annotated[CompareBatch, Tag("batch")], Discriminator(_shape)
]


class VerdictOut(Body):
    """One verdict read from one model output (several when the judge samples more than once).

    The kinds of :class:`~judgeforge.records.Verdict`: ``score`` (a number on the rubric's scale, a decimal
    where the family writes one: MT-Bench ``[[7.5]]``), ``label`` (a scale of words: ``Yes``/``No``),
    ``winner`` (``A``, ``B`` or ``tie``), ``margin`` (a five-level preference's strength: Arena-Hard 2 for
    ``>>``, 1 for ``>``, 0 for a tie) and ``scores`` (JudgeLM: A's and B's scores); ``note`` says what else
    the output held (e.g. a later verdict the family's rule does not take). Absent kinds are null.
    """

    score: int | float | None = None
    label: str | None = None
    winner: Winner | None = None
    margin: int | None = None
    scores: tuple[float, float] | None = None
    feedback: str = ""
    failure: str | None = None
    note: str | None = None
    probabilities: dict[str, float] | None = None
    expected_score: float | None = None
    attempts: int = 1
    logprobs_missing: str | None = None  # logprobs were asked for and none could be read (why)


_VERDICT_OUT_FIELDS = set(VerdictOut.model_fields)  # a Verdict's other fields (the raw output) stay out


class UsageOut(Body):
    prompt_tokens: int = 0
    completion_tokens: int = 0


class JudgmentOut(Body):
    """The result for one item: the aggregate of its verdicts, the verdicts, any failure.

    Grade: ``score`` (mean, median or majority of the samples' scores) or, on a scale of words, ``label``
    (the majority label). Compare: ``winner`` (the majority of ``A``/``B``/``tie``, a tie a vote of its own;
    null on an even split), with ``margin`` (the mean signed strength, A positive: Arena-Hard) and ``scores``
    (the mean of each response's score: JudgeLM) where the verdicts carry them.
    """

    id: str | None = None
    mode: Literal["absolute", "relative"]
    score: float | None = None
    label: str | None = None
    winner: Winner | None = None
    margin: float | None = None
    scores: tuple[float, float] | None = None
    agreement: float | None = None
    failure: str | None = None
    feedback: str = ""
    probabilities: dict[str, float] | None = None
    verdicts: list[VerdictOut] = Field(default_factory=list)
    usage: UsageOut = UsageOut()

    @property
    def ok(self) -> bool:
        return self.failure is None

    @classmethod
    def from_judgment(cls, judgment: Judgment) -> JudgmentOut:
        verdicts = [
            VerdictOut.model_validate(v.model_dump(include=_VERDICT_OUT_FIELDS), strict=False)
            for v in judgment.verdicts
        ]
        first_ok = next((v for v in verdicts if v.failure is None), None)
        return cls(
            id=judgment.item_id,
            mode=judgment.mode,
            score=judgment.score,
            label=judgment.label,
            winner=judgment.winner,
            margin=judgment.extra.get("margin"),
            scores=judgment.extra.get("scores"),
            agreement=judgment.agreement,
            failure=judgment.failure,
            feedback=first_ok.feedback if first_ok else "",
            probabilities=first_ok.probabilities if first_ok else None,
            verdicts=verdicts,
            usage=UsageOut.model_validate(judgment.usage.model_dump()),
        )


class JudgeResponse(Body):
    """``results[i]`` answers ``items[i]`` (or the single item)."""

    request_id: str
    results: list[JudgmentOut]


class RubricsResponse(Body):
    rubrics: dict[str, Rubric]


class InfoResponse(Body):
    backend: dict[str, str]
    template_set: str
    chat_format: str
    limits: dict[str, int]


class Problem(Body):
    """One problem of a request: where (``items[1].instruction``, ``rubric``, ``body``) and what, in plain
    words (no library wording, no echo of the value)."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class ErrorDetail(Body):
    code: str
    message: str
    problems: list[Problem] = Field(default_factory=list)


class ErrorResponse(Body):
    """Every error the service returns has this shape; ``request_id`` ties it to the server logs."""

    error: ErrorDetail
    request_id: str | None = None


# -- problems in plain words ------------------------------------------------------------------------------
_OBJECT_TYPES = frozenset({"model_type", "dict_type", "model_attributes_type"})
# pydantic error type -> our words; {name} fields come from the error's ctx.
_PLAIN = {
    "missing": "required field is missing",
    "extra_forbidden": "unknown field",
    "string_type": "must be a string",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "list_type": "must be a list",
    "string_too_long": "must be at most {max_length} characters",
    "too_short": "must hold at least {min_length} item(s)",
    "too_long": "must hold at most {max_length} item(s)",
    "greater_than_equal": "must be at least {ge}",
    "greater_than": "must be more than {gt}",
    "less_than_equal": "must be at most {le}",
    "less_than": "must be less than {lt}",
    "literal_error": "must be one of {expected}",
    "json_invalid": "malformed JSON ({error})",
    "value_error": "{error}",  # a validator's own words, without pydantic's "Value error, "
    "assertion_error": "{error}",
}
_TYPE_ERRORS = frozenset({"string_type", "int_type", "float_type", "bool_type", "list_type", *_OBJECT_TYPES})
_TAGS = {"body": ("item", "batch"), "rubric": ("name", "object")}  # discriminator tags in error locations


def plain_problems(errors: Sequence[Mapping[str, Any]]) -> list[Problem]:
    """pydantic (or FastAPI) validation errors as :class:`Problem` records, every one, in order.

    A location ``("body", "batch", "items", 1, "rubric", "object", "criteria")`` becomes
    ``items[1].rubric.criteria`` (the union tags ``item``/``batch``/``name``/``object`` are left out); a
    message names the rule broken and, for a wrong type, the JSON type received, never the value.
    """
    return [Problem(field=_field(error), message=_message(error)) for error in errors]


def _field(error: Mapping[str, Any]) -> str:
    if error.get("type") == "json_invalid":
        return "body"
    path, previous = "", ""
    for part in error.get("loc", ()):
        if part == "body" and not path and not previous:
            previous = "body"
            continue
        if part in _TAGS.get(str(previous), ()):
            previous = ""
            continue
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
        previous = part
    return path or "body"


def _message(error: Mapping[str, Any]) -> str:
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    loc = tuple(error.get("loc", ()))
    if kind in _OBJECT_TYPES and len(loc) >= 2 and loc[-2:] == ("rubric", "object"):
        return f"must be a library rubric name or a rubric object, got {_json_type(error.get('input'))}"
    if kind == "missing" and loc == ("body",):
        return "the request has no body (send a JSON object)"
    if kind == "string_too_short":
        minimum = ctx.get("min_length", 1)
        return "must not be empty" if minimum == 1 else f"must be at least {minimum} characters"
    template = "must be a JSON object" if kind in _OBJECT_TYPES else _PLAIN.get(kind)
    if template is None:
        text = str(error.get("msg", "invalid"))
        return text.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    try:
        text = template.format(**{key: str(value) for key, value in ctx.items()})
    except KeyError:
        text = str(error.get("msg", "invalid"))
    if kind in _TYPE_ERRORS:
        text += f", got {_json_type(error.get('input'))}"
    return text


def _json_type(value: object) -> str:
    """The JSON type of a value, in words (never the value itself)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "a list"
    return "an object"


def rubric_problems(body: object, known: Collection[str]) -> list[Problem]:
    """Every item of ``body`` left without a rubric and every rubric name not in ``known``.

    ``body``: a validated request or the raw JSON of one (then only what has the right shape is checked:
    the rest is a validation problem already). Names that break the length rule are left to validation.
    """
    if isinstance(body, GradeBatch | CompareBatch) or (isinstance(body, Mapping) and "items" in body):
        default, items = _get(body, "rubric"), _get(body, "items")
        problems = _unknown_rubric("rubric", default, known)
        for index, item in enumerate(items if isinstance(items, list) else []):
            if isinstance(item, Mapping | Body):
                problems += _item_rubric(f"items[{index}].rubric", _get(item, "rubric"), default, known)
        return problems
    if isinstance(body, Mapping | Body):
        return _item_rubric("rubric", _get(body, "rubric"), None, known)
    return []


def _get(value: object, name: str) -> Any:
    return value.get(name) if isinstance(value, Mapping) else getattr(value, name, None)


def _item_rubric(field: str, value: object, default: object, known: Collection[str]) -> list[Problem]:
    if value is None and default is None:
        where = "give it per item or once for the batch" if "[" in field else "a library name or an object"
        return [Problem(field=field, message=f"required field is missing ({where})")]
    return _unknown_rubric(field, value, known)


def _unknown_rubric(field: str, value: object, known: Collection[str]) -> list[Problem]:
    if isinstance(value, str) and 0 < len(value) <= 200 and value not in known:
        return [Problem(field=field, message=f"unknown rubric {value!r} (see GET /v1/rubrics)")]
    return []
