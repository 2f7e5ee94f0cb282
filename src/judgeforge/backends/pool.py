"""``openai_pool``: one logical judge served by several OpenAI-compatible servers (replicas of one model).

Each endpoint takes up to ``max_concurrency`` requests at a time. A prompt goes, as soon as a slot frees, to
the healthy endpoint with the fewest outstanding requests (ties rotate), so a slow or busy replica receives
less work. Endpoints are health-checked (``GET {base_url}/{health_path}``) before
first use and, once marked down, probed again every ``probe_interval`` seconds until they answer.

Failover: a request whose connection fails (refused, reset, or dropped mid-flight because its server died)
marks that endpoint down at once and is re-sent to another endpoint without delay; an endpoint is also
marked down after ``down_after`` consecutive timeouts or 5xx answers. Other retryable failures (rate limits,
server errors) are that prompt's outcome, which the run's one retry policy
(:class:`~judgeforge.backends.middleware.ReliableBackend`) retries with backoff and jitter, on whichever
endpoint is then least busy. Input errors (other 4xx) fail that prompt alone, as with ``openai_compat``.
When every endpoint is down, requests wait up to ``wait_for_endpoint`` seconds for one to come back.

Every other option (model, endpoint, sampling fields, timeouts, API key) is ``openai_compat``'s and applies
to every member. ``base_urls`` is a list or one comma-separated string (as given on the command line)::

    judgeforge grade rows.jsonl -o out.jsonl --backend openai_pool \\
        --backend-option base_urls=http://gpu1:8000/v1,http://gpu2:8000/v1 --backend-option model=judge
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import httpx
from pydantic import Field, field_validator, model_validator

from judgeforge.backends.base import Backend, Capabilities
from judgeforge.backends.openai_compat import OpenAICompatBackend, OpenAICompatOptions, request_all
from judgeforge.errors import ConfigError
from judgeforge.records import Completion, GenerationFailure, Outcome, Prompt
from judgeforge.sampling import SamplingParams


class PoolOptions(OpenAICompatOptions):
    """``openai_compat`` options plus the pool's endpoints and health-check settings."""

    base_urls: tuple[str, ...] = ()
    health_path: str = "models"
    health_timeout: float = Field(2.0, gt=0)
    probe_interval: float = Field(2.0, gt=0, description="seconds between probes of a down endpoint")
    down_after: int = Field(3, ge=1, description="consecutive timeouts/5xx that mark an endpoint down")
    max_failovers: int = Field(16, ge=0, description="moves of one request to another endpoint")
    wait_for_endpoint: float = Field(60.0, ge=0, description="seconds to wait when all are down")

    # The member servers are deployment detail (replacing one between a crash and a resume changes no
    # output), and so are the health-check settings.
    output_neutral: ClassVar[frozenset[str]] = OpenAICompatOptions.output_neutral | frozenset(
        {
            "base_url", "base_urls", "health_path", "health_timeout", "probe_interval", "down_after",
            "max_failovers", "wait_for_endpoint",
        }
    )  # fmt: skip

    @field_validator("base_urls", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @model_validator(mode="after")
    def _need_urls(self) -> PoolOptions:
        if not self.base_urls:
            raise ValueError("base_urls must name at least one server")
        if len(set(self.base_urls)) != len(self.base_urls):
            raise ValueError("base_urls has duplicates")
        return self


class _Member(OpenAICompatBackend):
    """One endpoint's client: sends one request for one prompt."""

    async def send(self, prompt: Prompt, params: SamplingParams) -> Outcome:
        client, _ = self._session()
        path, body = self._request(prompt, params)
        return await self._request_once(client, path, body)


@dataclass
class Endpoint:
    """One member server and what the pool knows about it."""

    url: str
    backend: _Member
    outstanding: int = 0
    healthy: bool = True
    consecutive_failures: int = 0
    next_probe: float = 0.0
    served: int = 0
    failures: int = 0
    marked_down: int = 0
    probe: asyncio.Task[None] | None = field(default=None, repr=False)


class EndpointPoolBackend(Backend):
    """Spreads requests over several OpenAI-compatible servers with health checks and failover."""

    name: ClassVar[str] = "openai_pool"
    capabilities: ClassVar[Capabilities] = OpenAICompatBackend.capabilities
    Options = PoolOptions

    def __init__(
        self,
        options: PoolOptions | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        """``transport`` is the test seam shared by the members and the health checks."""
        if options is None:
            raise ConfigError("openai_pool needs options with base_urls")
        self.options = options
        member_fields = set(OpenAICompatOptions.model_fields)
        common = {k: v for k, v in options.model_dump().items() if k in member_fields}
        self.endpoints = [
            Endpoint(url, _Member(OpenAICompatOptions(**{**common, "base_url": url}), transport=transport))
            for url in options.base_urls
        ]
        self._transport = transport
        self._rotation = itertools.count()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._probe_client: httpx.AsyncClient | None = None
        self._changed: asyncio.Condition | None = None  # a slot freed or an endpoint came back
        self._checked = False
        self.failovers = 0  # requests moved to another endpoint after a connection failure

    def identity(self) -> dict[str, str]:
        # The members serve one model; their addresses are deployment detail, so replacing a server
        # between a crash and a resume does not change the run's settings or its cache keys.
        return {
            "backend": self.name,
            "model": self.options.model,
            "endpoint": self.options.endpoint,
        }

    @property
    def requests_sent(self) -> int:
        """Every HTTP attempt over all members, retries and failovers included."""
        return sum(endpoint.backend.requests_sent for endpoint in self.endpoints)

    def stats(self) -> list[dict[str, Any]]:
        """Per-endpoint counters: completions served, failed attempts, times marked down, health."""
        return [
            {
                "url": e.url,
                "served": e.served,
                "failures": e.failures,
                "marked_down": e.marked_down,
                "healthy": e.healthy,
            }
            for e in self.endpoints
        ]

    async def generate(self, prompts: Sequence[Prompt], params: SamplingParams) -> list[Outcome]:
        await self._enter_loop()
        return await request_all(prompts, lambda prompt: self._request(prompt, params))

    def model_input(self, prompt: Prompt, params: SamplingParams) -> str:
        """The request body every member would send (they differ only in their address)."""
        return self.endpoints[0].backend.model_input(prompt, params)

    async def aclose(self) -> None:
        for endpoint in self.endpoints:
            if endpoint.probe is not None:
                endpoint.probe.cancel()
                endpoint.probe = None
            await endpoint.backend.aclose()
        if self._probe_client is not None:
            await self._probe_client.aclose()
        self._probe_client = self._loop = None

    # -- one request, possibly on several endpoints ---------------------------------------------------
    async def _request(self, prompt: Prompt, params: SamplingParams) -> Outcome:
        """One prompt's outcome; moved to another endpoint (at once) while its server is lost."""
        failovers = 0
        while True:
            endpoint = await self._acquire()
            if endpoint is None:
                urls = ", ".join(e.url for e in self.endpoints)
                message = f"openai_pool: no healthy endpoint among {urls}"
                return GenerationFailure(message=message, kind="retryable", cause="connection")
            try:
                outcome = await endpoint.backend.send(prompt, params)
            finally:
                await self._release(endpoint)
            if isinstance(outcome, Completion):
                endpoint.served += 1
                endpoint.consecutive_failures = 0
                return outcome
            if not outcome.retryable or not self._failed(endpoint, outcome):
                return outcome
            failovers += 1
            self.failovers += 1
            if failovers > self.options.max_failovers:
                return outcome

    def _failed(self, endpoint: Endpoint, failure: GenerationFailure) -> bool:
        """Record a failed attempt; True when the endpoint is now down (the request should move)."""
        endpoint.failures += 1
        endpoint.consecutive_failures += 1
        connection_lost = failure.cause == "connection"
        if connection_lost or endpoint.consecutive_failures >= self.options.down_after:
            self._mark_down(endpoint)
            return connection_lost or failure.cause == "timeout"
        return False

    def _mark_down(self, endpoint: Endpoint) -> None:
        if endpoint.healthy:
            endpoint.marked_down += 1
        endpoint.healthy = False
        endpoint.next_probe = time.monotonic() + self.options.probe_interval

    # -- choosing an endpoint -------------------------------------------------------------------------
    async def _acquire(self) -> Endpoint | None:
        """A slot on the healthy endpoint with the fewest outstanding requests, waiting for one to free;
        None when every endpoint stayed down for ``wait_for_endpoint`` seconds.

        Choosing only when a slot is free (rather than queueing behind each member) is what sends more
        work to the faster replicas.
        """
        assert self._changed is not None
        deadline = time.monotonic() + self.options.wait_for_endpoint
        capacity = self.options.max_concurrency
        async with self._changed:
            while True:
                self._schedule_probes()
                healthy = [e for e in self.endpoints if e.healthy]
                free = [e for e in healthy if e.outstanding < capacity]
                if free:
                    # Rotating the start makes ties (an idle pool) alternate instead of favouring the first.
                    start = next(self._rotation) % len(free)
                    chosen = min(free[start:] + free[:start], key=lambda e: e.outstanding)
                    chosen.outstanding += 1
                    return chosen
                if not healthy and time.monotonic() >= deadline:
                    return None
                # Wake on a freed slot or a recovered endpoint, and at least every 0.2 s to run due probes.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), min(self.options.probe_interval, 0.2))

    async def _release(self, endpoint: Endpoint) -> None:
        assert self._changed is not None
        async with self._changed:
            endpoint.outstanding -= 1
            self._changed.notify()

    def _schedule_probes(self) -> None:
        now = time.monotonic()
        for endpoint in self.endpoints:
            due = not endpoint.healthy and endpoint.next_probe <= now
            if due and (endpoint.probe is None or endpoint.probe.done()):
                endpoint.probe = asyncio.get_running_loop().create_task(self._probe(endpoint))

    async def _probe(self, endpoint: Endpoint) -> None:
        if await self._alive(endpoint.url):
            endpoint.healthy = True
            endpoint.consecutive_failures = 0
            assert self._changed is not None
            async with self._changed:
                self._changed.notify_all()
        else:
            endpoint.next_probe = time.monotonic() + self.options.probe_interval

    async def _alive(self, url: str) -> bool:
        """Any HTTP answer below 500 means the server is up (a 401/404 on the health path included)."""
        assert self._probe_client is not None
        try:
            response = await self._probe_client.get(f"{url.rstrip('/')}/{self.options.health_path}")
        except httpx.HTTPError:
            return False
        return response.status_code < 500

    async def _enter_loop(self) -> None:
        # Judge's synchronous API runs each batch in a fresh event loop; clients belong to their loop.
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            for endpoint in self.endpoints:
                endpoint.probe = None
            self._probe_client = self._new_probe_client()
            self._changed = asyncio.Condition()
            self._loop = loop
        if not self._checked:
            self._checked = True
            alive = await asyncio.gather(*(self._alive(e.url) for e in self.endpoints))
            for endpoint, up in zip(self.endpoints, alive):
                if not up:
                    self._mark_down(endpoint)
        # Down endpoints due for a probe are checked before a new batch is spread, so a recovered server
        # takes its share of the batch at once (probes also run in the background while requests wait).
        now = time.monotonic()
        due = [e for e in self.endpoints if not e.healthy and e.next_probe <= now]
        await asyncio.gather(*(self._probe(e) for e in due))

    def _new_probe_client(self) -> httpx.AsyncClient:
        headers = {}
        key = os.environ.get(self.options.api_key_env) if self.options.api_key_env else None
        if key:
            headers["Authorization"] = f"Bearer {key}"
        return httpx.AsyncClient(
            headers=headers, timeout=self.options.health_timeout, transport=self._transport
        )
