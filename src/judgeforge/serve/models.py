"""Typed request and response bodies of the judge service (pydantic; shared by the server and the client).

A request holds either one item (its fields at the top level) or a batch (``{"items": [...]}``, with an
optional batch-level ``rubric`` for items that carry none). Responses always hold a list of ``results``, one
per item, in order.
"""

from __future__ import annotations

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
    """One response to score 1..5 against a rubric."""

    id: str | None = Field(None, max_length=200)
    instruction: Text
    response: Text
    rubric: RubricSpec | None = None
    reference_answer: Text | None = None


class CompareItem(Body):
    """Two responses to the same instruction; the judge picks A or B."""

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
    """One verdict read from one model output (several when the judge samples more than once)."""

    score: int | None = None
    winner: Winner | None = None
    feedback: str = ""
    failure: str | None = None
    probabilities: dict[str, float] | None = None
    expected_score: float | None = None
    attempts: int = 1
    logprobs_missing: str | None = None  # logprobs were asked for and none could be read (why)


class UsageOut(Body):
    prompt_tokens: int = 0
    completion_tokens: int = 0


class JudgmentOut(Body):
    """The result for one item: aggregate score (grade) or winner (compare), the verdicts, any failure."""

    id: str | None = None
    mode: Literal["absolute", "relative"]
    score: float | None = None
    winner: Winner | None = None
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
            VerdictOut.model_validate(v.model_dump(exclude={"raw"}), strict=False) for v in judgment.verdicts
        ]
        first_ok = next((v for v in verdicts if v.failure is None), None)
        return cls(
            id=judgment.item_id,
            mode=judgment.mode,
            score=judgment.score,
            winner=judgment.winner,
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


class ErrorDetail(Body):
    code: str
    message: str
    problems: list[str] = Field(default_factory=list)


class ErrorResponse(Body):
    """Every error the service returns has this shape; ``request_id`` ties it to the server logs."""

    error: ErrorDetail
    request_id: str | None = None
