"""``openai_compat``: any OpenAI-compatible HTTP server (vLLM, SGLang, TGI, llama.cpp server, Ollama, OpenAI).

Two endpoints:

- ``endpoint="chat"`` (default) sends ``prompt.messages`` to ``/chat/completions``; the server applies the
  model's chat template. ``system_role="merge"`` joins the system prompt to the user turn (the released
  Prometheus training format) for templates that reject a system role.
- ``endpoint="completions"`` sends ``prompt.text`` (already chat-formatted by the template set's chat format)
  to ``/completions``: the model sees exactly the bytes judgeforge rendered. Needed for score-only scoring.

Requests run concurrently up to ``max_concurrency``; each is sent once and its outcome is its own: a
completion, or a :class:`~judgeforge.records.GenerationFailure` that says whether a retry can help
(connection errors, timeouts, 408/409/425/429, 5xx, with the server's ``Retry-After``), whether the prompt
itself was refused (other 4xx, ``content: null``, ``choices: []``, a body that is not JSON), or whether the
setup is wrong for every prompt (401/403/404, "system role not supported": the message names the fix).
Retrying is :class:`~judgeforge.backends.middleware.ReliableBackend`'s job. The API key is read from the
environment variable named by ``api_key_env`` (never from options, which end up in manifests).
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, ClassVar, Literal

import httpx
from pydantic import Field

from judgeforge.backends.base import Backend, BackendOptions, Capabilities
from judgeforge.backends.openai_format import MalformedResponse, completion_from_body
from judgeforge.backends.retry import classify_http_error, parse_retry_after
from judgeforge.records import GenerationFailure, Outcome, Prompt
from judgeforge.sampling import SamplingParams


class OpenAICompatOptions(BackendOptions):
    base_url: str = "http://127.0.0.1:8000/v1"
    model: str = "default"
    endpoint: Literal["chat", "completions"] = "chat"
    system_role: Literal["system", "merge"] = "system"
    api_key_env: str | None = "OPENAI_API_KEY"
    max_concurrency: int = Field(16, ge=1)
    timeout: float = Field(120.0, gt=0, description="seconds per request (each attempt)")
    connect_timeout: float = Field(10.0, gt=0)
    # OpenAI itself rejects unknown fields; vLLM/SGLang read `repetition_penalty`, llama.cpp `repeat_penalty`.
    repetition_penalty_field: str | None = "repetition_penalty"
    extra_body: dict[str, Any] = Field(default_factory=dict)

    # How and how fast requests are sent, never what they say. base_url, model and endpoint are part of
    # the identity; everything else shapes the request body (see OpenAICompatBackend.model_input).
    output_neutral: ClassVar[frozenset[str]] = frozenset(
        {"api_key_env", "max_concurrency", "timeout", "connect_timeout"}
    )


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
        self._transport = transport
        self._client: httpx.AsyncClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._semaphore: asyncio.Semaphore | None = None
        self.requests_sent = 0  # every HTTP request sent: what a run really cost

    def identity(self) -> dict[str, str]:
        return {
            "backend": self.name,
            "base_url": self.options.base_url,
            "model": self.options.model,
            "endpoint": self.options.endpoint,
        }

    async def generate(self, prompts: Sequence[Prompt], params: SamplingParams) -> list[Outcome]:
        client, semaphore = self._session()

        async def one(prompt: Prompt) -> Outcome:
            path, body = self._request(prompt, params)
            async with semaphore:
                return await self._request_once(client, path, body)

        return await request_all(prompts, one)

    def model_input(self, prompt: Prompt, params: SamplingParams) -> str:
        """The exact path and JSON body sent for ``prompt``: every option that shapes it is in the key."""
        path, body = self._request(prompt, params)
        return json.dumps([path, body], sort_keys=True, ensure_ascii=False, default=str)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
        self._client = self._loop = self._semaphore = None

    # -- one request --------------------------------------------------------------------------------
    async def _request_once(self, client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> Outcome:
        """Send one request; its completion or its failure (never raises for a server's answer)."""
        self.requests_sent += 1
        where = self._where(path)
        try:
            response = await client.post(path, json=body)
        except httpx.TimeoutException as exc:
            # A connect timeout means the server is unreachable; a read/write/pool timeout, that it is slow.
            cause = "connection" if isinstance(exc, httpx.ConnectTimeout) else "timeout"
            message = f"{where}: timed out ({type(exc).__name__})"
            return GenerationFailure(message=message, kind="retryable", cause=cause)
        except httpx.TransportError as exc:
            message = f"{where}: connection failed: {exc!r}"
            return GenerationFailure(message=message, kind="retryable", cause="connection")
        if response.status_code != 200:
            retry_after = parse_retry_after(response.headers.get("retry-after"))
            failure = classify_http_error(response.status_code, _error_text(response), retry_after)
            return failure.model_copy(update={"message": f"{where}: {failure.message}", "cause": "http"})
        try:
            payload = response.json()
        except ValueError:
            # Usually a proxy's error page in place of the server's answer: worth another try.
            text = f"{where}: body is not JSON: {response.text[:200]!r}"
            return GenerationFailure(message=text, kind="retryable", cause="body")
        if isinstance(payload, dict) and "error" in payload and "choices" not in payload:
            message = _error_text(response)
            failure = classify_http_error(500, message)
            text = f"{where}: server error in body: {message}"
            return failure.model_copy(update={"message": text, "cause": "body"})
        try:
            return completion_from_body(payload, chat=path.endswith("chat/completions"))
        except MalformedResponse as exc:
            return GenerationFailure(message=f"{where}: {exc}", cause="body")

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
    prompts: Sequence[Prompt], request: Callable[[Prompt], Awaitable[Outcome]]
) -> list[Outcome]:
    """``request`` for every prompt concurrently, outcomes in prompt order.

    Each request returns its own outcome, so one prompt's failure never cancels its siblings.
    """
    return list(await asyncio.gather(*(request(prompt) for prompt in prompts)))
