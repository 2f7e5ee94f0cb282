"""A typed client for the judge service (httpx, sync and async).

Batches are split to ``batch_size`` items per request (by default the server's ``max_items``, read once
from ``GET /v1/info``); 429 and 503 answers are retried after their
``Retry-After`` (capped at ``max_retry_wait``; exponential backoff when absent), as are connection errors.
Errors are translated into the judgeforge tree: 401 -> ConfigError, 413/422 -> InputError, 429 after the
last retry -> BackendRateLimited, anything else -> BackendError.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from judgeforge.errors import BackendError, BackendRateLimited, ConfigError, InputError
from judgeforge.records import DirectItem, PairItem, Rubric
from judgeforge.serve.models import (
    CompareItem,
    GradeItem,
    InfoResponse,
    JudgeResponse,
    JudgmentOut,
    RubricsResponse,
)

ItemT = TypeVar("ItemT", GradeItem, CompareItem)
_RETRY_STATUS = frozenset({429, 503})


class _Core:
    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        *,
        batch_size: int | None = None,
        max_retries: int = 5,
        max_retry_wait: float = 30.0,
        backoff: float = 0.25,
    ) -> None:
        if (batch_size is not None and batch_size < 1) or max_retries < 0:
            raise ConfigError("batch_size must be >= 1 and max_retries >= 0")
        self.base_url = base_url.rstrip("/")
        self.headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.batch_size = batch_size
        self.max_retries = max_retries
        self.max_retry_wait = max_retry_wait
        self.backoff = backoff

    def _batches(
        self, items: Sequence[Any], model: type[ItemT], rubric: str | Rubric | None, size: int
    ) -> Iterator[dict[str, Any]]:
        checked = [_as_item(index, item, model) for index, item in enumerate(items)]
        for start in range(0, len(checked), size):
            chunk = checked[start : start + size]
            payload: dict[str, Any] = {"items": [item.model_dump(exclude_none=True) for item in chunk]}
            if rubric is not None:
                payload["rubric"] = rubric.model_dump() if isinstance(rubric, Rubric) else rubric
            yield payload

    def _delay(self, response: httpx.Response | None, attempt: int) -> float | None:
        """Seconds to wait before retrying, or None when the answer is final."""
        if attempt >= self.max_retries:
            return None
        if response is not None and response.status_code not in _RETRY_STATUS:
            return None
        header = response.headers.get("retry-after") if response is not None else None
        if isinstance(header, str) and _is_number(header):
            return min(float(header), self.max_retry_wait)
        return min(self.backoff * 2.0**attempt, self.max_retry_wait)


class JudgeClient(_Core):
    """Synchronous client: ``JudgeClient("http://127.0.0.1:8000", api_key).grade([...])``."""

    def __init__(self, base_url: str, api_key: str | None = None, *, timeout: float = 120.0, **options: Any):
        transport = options.pop("transport", None)
        super().__init__(base_url, api_key, **options)
        self._http = httpx.Client(
            base_url=self.base_url, headers=self.headers, timeout=timeout, transport=transport
        )

    def grade(self, items: Sequence[Any], rubric: str | Rubric | None = None) -> list[JudgmentOut]:
        """Score items (GradeItem, DirectItem or mappings); one result per item, in order."""
        bodies = self._batches(items, GradeItem, rubric, self._size())
        return [r for body in bodies for r in self._post("/v1/grade", body)]

    def compare(self, items: Sequence[Any], rubric: str | Rubric | None = None) -> list[JudgmentOut]:
        """Compare pairs (CompareItem, PairItem or mappings); one result per pair, in order."""
        bodies = self._batches(items, CompareItem, rubric, self._size())
        return [r for body in bodies for r in self._post("/v1/compare", body)]

    def _size(self) -> int:
        if self.batch_size is None:
            self.batch_size = InfoResponse.model_validate(self._request("GET", "/v1/info").json()).limits[
                "max_items"
            ]
        return self.batch_size

    def rubrics(self) -> dict[str, Rubric]:
        return RubricsResponse.model_validate(self._request("GET", "/v1/rubrics").json()).rubrics

    def health(self) -> bool:
        try:
            return self._http.get("/healthz").status_code == 200
        except httpx.HTTPError:
            return False

    def _post(self, path: str, body: dict[str, Any]) -> list[JudgmentOut]:
        return _results(self._request("POST", path, body))

    def _request(self, method: str, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        attempt = 0
        while True:
            error: httpx.TransportError | None = None
            try:
                response: httpx.Response | None = self._http.request(method, path, json=body)
            except httpx.TransportError as exc:
                response, error = None, exc
            delay = self._delay(response, attempt)
            if delay is None:
                return _checked(response, error)
            time.sleep(delay)
            attempt += 1

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> JudgeClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncJudgeClient(_Core):
    """Asynchronous client with the same methods as :class:`JudgeClient`, as coroutines."""

    def __init__(self, base_url: str, api_key: str | None = None, *, timeout: float = 120.0, **options: Any):
        transport = options.pop("transport", None)
        super().__init__(base_url, api_key, **options)
        self._http = httpx.AsyncClient(
            base_url=self.base_url, headers=self.headers, timeout=timeout, transport=transport
        )

    async def grade(self, items: Sequence[Any], rubric: str | Rubric | None = None) -> list[JudgmentOut]:
        bodies = self._batches(items, GradeItem, rubric, await self._size())
        return [r for body in bodies for r in await self._post("/v1/grade", body)]

    async def compare(self, items: Sequence[Any], rubric: str | Rubric | None = None) -> list[JudgmentOut]:
        bodies = self._batches(items, CompareItem, rubric, await self._size())
        return [r for body in bodies for r in await self._post("/v1/compare", body)]

    async def _size(self) -> int:
        if self.batch_size is None:
            info = (await self._request("GET", "/v1/info")).json()
            self.batch_size = InfoResponse.model_validate(info).limits["max_items"]
        return self.batch_size

    async def rubrics(self) -> dict[str, Rubric]:
        return RubricsResponse.model_validate((await self._request("GET", "/v1/rubrics")).json()).rubrics

    async def health(self) -> bool:
        try:
            return (await self._http.get("/healthz")).status_code == 200
        except httpx.HTTPError:
            return False

    async def _post(self, path: str, body: dict[str, Any]) -> list[JudgmentOut]:
        return _results(await self._request("POST", path, body))

    async def _request(self, method: str, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        attempt = 0
        while True:
            error: httpx.TransportError | None = None
            try:
                response: httpx.Response | None = await self._http.request(method, path, json=body)
            except httpx.TransportError as exc:
                response, error = None, exc
            delay = self._delay(response, attempt)
            if delay is None:
                return _checked(response, error)
            await asyncio.sleep(delay)
            attempt += 1

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncJudgeClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


def _as_item(index: int, item: Any, model: type[ItemT]) -> ItemT:
    if isinstance(item, model):
        return item
    data = item.model_dump() if isinstance(item, (DirectItem, PairItem, BaseModel)) else item
    if not isinstance(data, Mapping):
        raise InputError(f"expected an item or a mapping, got {type(item).__name__}", record=index)
    try:
        return model.model_validate(dict(data))
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(part) for part in error["loc"]) or None
        raise InputError(error["msg"], record=index, field=field) from exc


def _checked(response: httpx.Response | None, error: Exception | None) -> httpx.Response:
    if response is None:
        raise BackendError(f"judge service unreachable: {error}") from error
    if response.is_success:
        return response
    message = _error_message(response)
    status = response.status_code
    if status == 401 or status == 403:
        raise ConfigError(f"judge service refused the API key: {message}")
    if status in (413, 422):
        raise InputError(message)
    if status == 429:
        retry_after = response.headers.get("retry-after")
        wait = float(retry_after) if retry_after and _is_number(retry_after) else None
        raise BackendRateLimited(f"judge service busy: {message}", retry_after=wait)
    raise BackendError(f"judge service answered {status}: {message}", retryable=status >= 500)


def _error_message(response: httpx.Response) -> str:
    try:
        error = response.json().get("error", {})
        request_id = response.json().get("request_id")
        return f"{error.get('message', response.text)} (request_id={request_id})"
    except (ValueError, AttributeError):
        return response.text[:200]


def _results(response: httpx.Response) -> list[JudgmentOut]:
    return JudgeResponse.model_validate(response.json()).results


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
