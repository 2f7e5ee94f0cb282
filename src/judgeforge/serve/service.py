"""What the routes do: turn request bodies into items (errors name the item and field), hold a slot of the
concurrency limit, run the judge, and shape its judgments into responses."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from judgeforge.errors import InputError, RubricError
from judgeforge.judge import Judge
from judgeforge.prompts.rubrics import library_rubrics
from judgeforge.records import DirectItem, PairItem, Prompt, Rubric
from judgeforge.serve.config import ServeConfig
from judgeforge.serve.models import (
    CompareBatch,
    CompareItem,
    GradeBatch,
    GradeItem,
    JudgeResponse,
    JudgmentOut,
    RubricSpec,
)

ItemT = TypeVar("ItemT", DirectItem, PairItem)


class ServiceError(Exception):
    """An error with its HTTP status, shown to the client as an ErrorResponse."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        problems: list[str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.problems = problems or []
        self.headers = headers or {}


class Slots:
    """A non-blocking limit on grading requests in flight: a full service answers 429 at once."""

    def __init__(self, size: int, retry_after_s: int) -> None:
        self.size = size
        self.retry_after_s = retry_after_s
        self._semaphore = threading.BoundedSemaphore(size)

    def __enter__(self) -> Slots:
        if not self._semaphore.acquire(blocking=False):
            raise ServiceError(
                429,
                "too_many_requests",
                f"the service is grading {self.size} requests already; retry after {self.retry_after_s}s",
                headers={"Retry-After": str(self.retry_after_s)},
            )
        return self

    def __exit__(self, *exc: object) -> None:
        self._semaphore.release()


class JudgeService:
    """One judge behind the HTTP routes."""

    def __init__(self, judge: Judge, config: ServeConfig) -> None:
        self.judge = judge
        self.config = config
        self.slots = Slots(config.max_concurrency, config.retry_after_s)

    async def grade(self, body: GradeItem | GradeBatch, request_id: str) -> JudgeResponse:
        items, default = _items(body)
        self._check_count(len(items))
        direct = [_direct_item(index, item, default) for index, item in enumerate(items)]
        prompts = [_render(index, self._render_one, item) for index, item in enumerate(direct)]
        return await self._judge(prompts, [item.id for item in direct], request_id)

    async def compare(self, body: CompareItem | CompareBatch, request_id: str) -> JudgeResponse:
        items, default = _items(body)
        self._check_count(len(items))
        pairs = [_pair_item(index, item, default) for index, item in enumerate(items)]
        prompts = [_render(index, self._render_one, item) for index, item in enumerate(pairs)]
        return await self._judge(prompts, [item.id for item in pairs], request_id)

    async def _judge(self, prompts: list[Prompt], ids: list[str | None], request_id: str) -> JudgeResponse:
        with self.slots:
            judgments = await self.judge.judge_prompts(prompts, ids)
        return JudgeResponse(request_id=request_id, results=[JudgmentOut.from_judgment(j) for j in judgments])

    def _render_one(self, item: DirectItem | PairItem) -> Prompt:
        return self.judge.render(item)[0]  # the pipeline's rendering, with its checks

    def _check_count(self, count: int) -> None:
        if count > self.config.max_items:
            raise ServiceError(
                413,
                "too_many_items",
                f"{count} items in one request; the limit is {self.config.max_items} (split the batch)",
            )


def _items(body: Any) -> tuple[Sequence[Any], RubricSpec | None]:
    if isinstance(body, (GradeBatch, CompareBatch)):
        return body.items, body.rubric
    return [body], None


def _direct_item(index: int, item: GradeItem, default: RubricSpec | None) -> DirectItem:
    return DirectItem(
        id=item.id,
        instruction=item.instruction,
        response=item.response,
        rubric=_rubric(index, item.rubric if item.rubric is not None else default),
        reference_answer=item.reference_answer,
    )


def _pair_item(index: int, item: CompareItem, default: RubricSpec | None) -> PairItem:
    return PairItem(
        id=item.id,
        instruction=item.instruction,
        response_a=item.response_a,
        response_b=item.response_b,
        rubric=_rubric(index, item.rubric if item.rubric is not None else default),
        reference_answer=item.reference_answer,
    )


def _rubric(index: int, spec: RubricSpec | None) -> Rubric:
    # Only library names and inline objects: a string is never read as a path on the server's disk.
    if spec is None:
        raise _invalid(index, "rubric", "missing (give it per item or once for the batch)")
    if isinstance(spec, Rubric):
        return spec
    rubrics = library_rubrics()
    if spec not in rubrics:
        raise _invalid(index, "rubric", f"unknown rubric {spec!r} (see GET /v1/rubrics)")
    return rubrics[spec]


def _render(index: int, render: Callable[[ItemT], Prompt], item: ItemT) -> Prompt:
    """Render one item; what the template set cannot show is a 422 for that item, not a 500."""
    try:
        prompt = render(item)
    except (InputError, RubricError) as exc:
        raise _invalid(index, exc.field or "item", exc.reason) from exc
    return prompt


def _invalid(index: int, field: str, message: str) -> ServiceError:
    problem = f"items[{index}].{field}: {message}"
    return ServiceError(422, "invalid_request", problem, problems=[problem])
