"""``openai_compat``: any OpenAI-compatible HTTP server (vLLM, SGLang, TGI, llama.cpp server, Ollama, OpenAI).

Two endpoints:

- ``endpoint="chat"`` (default) sends ``prompt.messages`` to ``/chat/completions``; the server applies the
  model's chat template. ``system_role="merge"`` joins the system prompt to the user turn (the released
  Prometheus training format) for templates that reject a system role.
- ``endpoint="completions"`` sends ``prompt.text`` (already chat-formatted by the template set's chat format)
  to ``/completions``: the model sees exactly the bytes judgeforge rendered. Needed for score-only scoring.

Requests run concurrently up to ``max_concurrency``. Rate limits (429), server errors (5xx), timeouts,
dropped connections and malformed bodies are retried with exponential backoff and jitter, honouring
``Retry-After``; any other 4xx is the request's own fault and fails at once. The API key is read from the
environment variable named by ``api_key_env`` (never from options, which end up in manifests).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, ClassVar, Literal

import httpx
from pydantic import Field

from judgeforge.backends.base import Backend, BackendOptions, Capabilities
from judgeforge.backends.openai_format import MalformedResponse, completion_from_body
from judgeforge.backends.retry import RetryPolicy, is_retryable_status, parse_retry_after
from judgeforge.errors import BackendError, BackendRateLimited, BackendTimeout
from judgeforge.records import Completion, Prompt
from judgeforge.sampling import SamplingParams


class OpenAICompatOptions(BackendOptions):
    base_url: str = "http://127.0.0.1:8000/v1"
    model: str = "default"
    endpoint: Literal["chat", "completions"] = "chat"
    system_role: Literal["system", "merge"] = "system"
    api_key_env: str | None = "OPENAI_API_KEY"
    max_concurrency: int = Field(16, ge=1)
    max_retries: int = Field(5, ge=0)
    initial_backoff: float = Field(0.5, ge=0)
    max_backoff: float = Field(30.0, ge=0)
    max_retry_after: float = Field(120.0, ge=0)
    timeout: float = Field(120.0, gt=0, description="seconds per request (each attempt)")
    connect_timeout: float = Field(10.0, gt=0)
    # OpenAI itself rejects unknown fields; vLLM/SGLang read `repetition_penalty`, llama.cpp `repeat_penalty`.
    repetition_penalty_field: str | None = "repetition_penalty"
    extra_body: dict[str, Any] = Field(default_factory=dict)


class OpenAICompatBackend(Backend):
    """Async HTTP client for OpenAI-compatible chat and completions endpoints."""

    name: ClassVar[str] = "openai_compat"
    capabilities: ClassVar[Capabilities] = Capabilities(
        logprobs=True, batching=True, applies_chat_template=True
    )
    Options = OpenAICompatOptions

    def __init__(
        self,
        options: OpenAICompatOptions | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        """``transport`` is the test seam (e.g. ``httpx.MockTransport``); by default a real connection pool."""
        self.options = options or OpenAICompatOptions()
        self.retry = RetryPolicy(
            max_retries=self.options.max_retries,
            initial_delay=self.options.initial_backoff,
            max_delay=self.options.max_backoff,
            max_retry_after=self.options.max_retry_after,
        )
        self._transport = transport
        self._client: httpx.AsyncClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._semaphore: asyncio.Semaphore | None = None
        self.requests_sent = 0  # every HTTP attempt, retries included: what a run really cost

    def identity(self) -> dict[str, str]:
        return {
            "backend": self.name,
            "base_url": self.options.base_url,
            "model": self.options.model,
            "endpoint": self.options.endpoint,
        }

    async def generate(self, prompts: Sequence[Prompt], params: SamplingParams) -> list[Completion]:
        client, semaphore = self._session()

        async def one(prompt: Prompt) -> Completion:
            async with semaphore:
                return await self._request_with_retries(client, prompt, params)

        return await request_all(prompts, one)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
        self._client = self._loop = self._semaphore = None

    # -- one request --------------------------------------------------------------------------------
    async def _request_with_retries(
        self, client: httpx.AsyncClient, prompt: Prompt, params: SamplingParams
    ) -> Completion:
        path, body = self._request(prompt, params)
        attempt = 0
        while True:
            try:
                return await self._request_once(client, path, body)
            except BackendError as exc:
                if not exc.retryable or attempt >= self.retry.max_retries:
                    raise
                retry_after = exc.retry_after if isinstance(exc, BackendRateLimited) else None
                await asyncio.sleep(self.retry.delay(attempt, retry_after))
                attempt += 1

    async def _request_once(self, client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> Completion:
        self.requests_sent += 1
        try:
            response = await client.post(path, json=body)
        except httpx.TimeoutException as exc:
            raise BackendTimeout(f"{self._where(path)}: timed out ({type(exc).__name__})") from exc
        except httpx.TransportError as exc:
            raise BackendError(f"{self._where(path)}: connection failed: {exc!r}") from exc
        if response.status_code != 200:
            raise self._status_error(path, response)
        try:
            payload = response.json()
        except ValueError as exc:
            raise MalformedResponse(
                f"{self._where(path)}: body is not JSON: {response.text[:200]!r}"
            ) from exc
        if isinstance(payload, dict) and "error" in payload and "choices" not in payload:
            raise BackendError(f"{self._where(path)}: server error in body: {payload['error']!r}")
        return completion_from_body(payload, chat=path.endswith("chat/completions"))

    def _status_error(self, path: str, response: httpx.Response) -> BackendError:
        status = response.status_code
        message = f"{self._where(path)}: HTTP {status}: {_error_text(response)}"
        if status == 429:
            return BackendRateLimited(
                message, retry_after=parse_retry_after(response.headers.get("retry-after"))
            )
        if is_retryable_status(status):
            error = BackendError(message, retryable=True)
            hint = parse_retry_after(response.headers.get("retry-after"))
            return BackendRateLimited(message, retry_after=hint) if hint is not None else error
        return BackendError(message, retryable=False)

    def _request(self, prompt: Prompt, params: SamplingParams) -> tuple[str, dict[str, Any]]:
        body: dict[str, Any] = {
            "model": self.options.model,
            "max_tokens": params.max_tokens,
            "temperature": params.temperature,
            "top_p": params.top_p,
        }
        if params.seed is not None:
            body["seed"] = params.seed
        if params.stop:
            body["stop"] = list(params.stop)
        if self.options.repetition_penalty_field and params.repetition_penalty != 1.0:
            body[self.options.repetition_penalty_field] = params.repetition_penalty
        if self.options.endpoint == "chat":
            body["messages"] = self._messages(prompt)
            if params.logprobs:
                body["logprobs"] = True
                body["top_logprobs"] = params.top_logprobs
            path = "chat/completions"
        else:
            body["prompt"] = prompt.text
            if params.logprobs:
                body["logprobs"] = max(params.top_logprobs, 1)
            path = "completions"
        body.update(self.options.extra_body)
        return path, body

    def _messages(self, prompt: Prompt) -> list[dict[str, str]]:
        if self.options.system_role == "merge" and prompt.system:
            return [{"role": "user", "content": f"{prompt.system}\n\n{prompt.user}"}]
        return [
            {"role": m.role, "content": m.content} for m in prompt.messages if m.content or m.role != "system"
        ]

    # -- session ------------------------------------------------------------------------------------
    def _session(self) -> tuple[httpx.AsyncClient, asyncio.Semaphore]:
        # Judge's synchronous API runs each batch in a fresh event loop; a client's pooled connections
        # belong to the loop that opened them, so a new loop gets a new client.
        loop = asyncio.get_running_loop()
        if self._client is None or self._semaphore is None or self._loop is not loop:
            self._client = self._new_client()
            self._semaphore = asyncio.Semaphore(self.options.max_concurrency)
            self._loop = loop
        return self._client, self._semaphore

    def _new_client(self) -> httpx.AsyncClient:
        headers = {}
        key = os.environ.get(self.options.api_key_env) if self.options.api_key_env else None
        if key:
            headers["Authorization"] = f"Bearer {key}"
        limits = httpx.Limits(max_connections=self.options.max_concurrency)
        timeout = httpx.Timeout(self.options.timeout, connect=self.options.connect_timeout)
        return httpx.AsyncClient(
            base_url=self.options.base_url.rstrip("/") + "/",
            headers=headers,
            timeout=timeout,
            limits=limits,
            transport=self._transport,
        )

    def _where(self, path: str) -> str:
        return f"{self.options.base_url.rstrip('/')}/{path}"


def _error_text(response: httpx.Response) -> str:
    try:
        payload = response.json()
    except ValueError:
        return response.text[:300]
    if isinstance(payload, dict):
        error = payload.get("error", payload)
        if isinstance(error, dict):
            return str(error.get("message", error))[:300]
        return str(error)[:300]
    return str(payload)[:300]


async def request_all(
    prompts: Sequence[Prompt], request: Callable[[Prompt], Awaitable[Completion]]
) -> list[Completion]:
    """``request`` for every prompt concurrently, results in prompt order.

    A TaskGroup cancels the sibling requests as soon as one fails for good; callers get that error.
    """
    results: list[Completion | None] = [None] * len(prompts)

    async def one(index: int, prompt: Prompt) -> None:
        results[index] = await request(prompt)

    try:
        async with asyncio.TaskGroup() as group:
            for index, prompt in enumerate(prompts):
                group.create_task(one(index, prompt))
    except* BackendError as group_error:
        raise group_error.exceptions[0] from None
    return [result for result in results if result is not None]
