"""``openai_pool``: one logical judge served by several OpenAI-compatible servers (replicas of one model).

Each endpoint takes up to ``max_concurrency`` requests at a time. A prompt goes, as soon as a slot frees, to
the healthy endpoint with the fewest outstanding requests (ties rotate), so a slow or busy replica receives
less work. Endpoints are health-checked (``GET {base_url}/{health_path}``) before
first use and, once marked down, probed again every ``probe_interval`` seconds until they answer.

Failover: a request whose connection fails (refused, reset, or dropped mid-flight because its server died)
marks that endpoint down at once and is re-sent to another endpoint without delay; an endpoint is also
marked down after ``down_after`` consecutive timeouts or 5xx answers. Rate limits and server errors are
retried with the usual backoff and jitter (``max_retries``), on whichever endpoint is then least busy.
Input errors (other 4xx) fail at once, as with ``openai_compat``. When every endpoint is down, requests
wait up to ``wait_for_endpoint`` seconds for one to come back.

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
from judgeforge.backends.retry import RetryPolicy
from judgeforge.errors import BackendError, BackendRateLimited, BackendTimeout, ConfigError
from judgeforge.records import Completion, Prompt
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


class EndpointLost(BackendError):
    """A member's connection failed (refused, reset, or dropped mid-request): its server is likely gone."""


class _Member(OpenAICompatBackend):
    """One endpoint's client. It tells a lost connection apart from other retryable faults by type,
    because the error's ``__cause__`` does not survive ``generate``'s task group."""

    async def _request_once(self, client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> Completion:
        try:
            return await super()._request_once(client, path, body)
        except BackendError as exc:
            cause = exc.__cause__
            lost = isinstance(cause, httpx.TransportError) and not isinstance(cause, _SLOW)
            if lost:
                raise EndpointLost(str(exc)) from exc
            raise


# A read/write/pool timeout is a slow server, not a dead one; a connect timeout means it is unreachable.
_SLOW = (httpx.ReadTimeout, httpx.WriteTimeout, httpx.PoolTimeout)


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
        self.retry = RetryPolicy(
            max_retries=options.max_retries,
            initial_delay=options.initial_backoff,
            max_delay=options.max_backoff,
            max_retry_after=options.max_retry_after,
        )
        # Members send one attempt each; retrying is the pool's job, so that a retry may change server.
        member_fields = set(OpenAICompatOptions.model_fields)
        common = {k: v for k, v in options.model_dump().items() if k in member_fields}
        self.endpoints = [
            Endpoint(
                url,
                _Member(
                    OpenAICompatOptions(**{**common, "base_url": url, "max_retries": 0}), transport=transport
                ),
            )
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

    async def generate(self, prompts: Sequence[Prompt], params: SamplingParams) -> list[Completion]:
        await self._enter_loop()
        return await request_all(prompts, lambda prompt: self._request(prompt, params))

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
    async def _request(self, prompt: Prompt, params: SamplingParams) -> Completion:
        retries = failovers = 0
        while True:
            endpoint = await self._acquire()
            try:
                completion = (await endpoint.backend.generate([prompt], params))[0]
            except BackendError as exc:
                error: BackendError | None = exc
            else:
                error = None
            finally:
                await self._release(endpoint)
            if error is None:
                endpoint.served += 1
                endpoint.consecutive_failures = 0
                return completion
            if not error.retryable:
                raise error
            if self._failed(endpoint, error):
                failovers += 1
                self.failovers += 1
                if failovers > self.options.max_failovers:
                    raise error
                continue  # its server is gone: resend at once elsewhere
            if retries >= self.retry.max_retries:
                raise error
            retry_after = error.retry_after if isinstance(error, BackendRateLimited) else None
            await asyncio.sleep(self.retry.delay(retries, retry_after))
            retries += 1

    def _failed(self, endpoint: Endpoint, exc: BackendError) -> bool:
        """Record a failed attempt; True when the endpoint is now down (the request should move)."""
        endpoint.failures += 1
        endpoint.consecutive_failures += 1
        connection_lost = isinstance(exc, EndpointLost)
        if connection_lost or endpoint.consecutive_failures >= self.options.down_after:
            self._mark_down(endpoint)
            return connection_lost or isinstance(exc, BackendTimeout)
        return False

    def _mark_down(self, endpoint: Endpoint) -> None:
        if endpoint.healthy:
            endpoint.marked_down += 1
        endpoint.healthy = False
        endpoint.next_probe = time.monotonic() + self.options.probe_interval

    # -- choosing an endpoint -------------------------------------------------------------------------
    async def _acquire(self) -> Endpoint:
        """A slot on the healthy endpoint with the fewest outstanding requests, waiting for one to free.

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
                    urls = ", ".join(e.url for e in self.endpoints)
                    raise BackendError(f"openai_pool: no healthy endpoint among {urls}", retryable=True)
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
