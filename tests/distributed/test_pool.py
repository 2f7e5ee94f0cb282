"""The endpoint pool against real local OpenAI-compatible servers, one of them killed mid-run."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from judgeforge import Judge
from judgeforge.backends import create_backend
from judgeforge.backends.pool import EndpointPoolBackend, PoolOptions
from judgeforge.errors import ConfigError
from judgeforge.prompts.rubrics import load_rubric
from judgeforge.records import DirectItem, GenerationFailure, Message, Prompt
from judgeforge.sampling import SamplingParams

RUBRIC = load_rubric("helpfulness")
PARAMS = SamplingParams(max_tokens=16, temperature=0.0, seed=1)


def items(count: int) -> list[DirectItem]:
    return [
        DirectItem(id=f"row-{i}", instruction=f"Question {i}?", response=f"Answer number {i}.", rubric=RUBRIC)
        for i in range(count)
    ]


def prompt(text: str) -> Prompt:
    return Prompt(mode="absolute", template="t", messages=(Message(role="user", content=text),), text=text)


def kill_after(server: Any, received: int) -> threading.Thread:
    """SIGKILL ``server`` as soon as it has received ``received`` requests (each takes its delay to answer,
    so the last ones are still in flight)."""

    def watch() -> None:
        deadline = time.monotonic() + 60
        while len(server.events("start")) < received and time.monotonic() < deadline:
            time.sleep(0.005)
        server.kill()

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize("endpoint", ["completions", "chat"])
def test_killing_a_server_mid_run_still_grades_every_row_once(
    stub_servers: Callable[..., Any], expected_score: Callable[[str], int], endpoint: str
) -> None:
    first, second = stub_servers("first", "second", delay_s=0.03)
    pool = create_backend(
        "openai_pool",
        {"base_urls": f"{first.url},{second.url}", "endpoint": endpoint, "max_concurrency": "4"},
    )
    assert isinstance(pool, EndpointPoolBackend)
    judge = Judge(pool, sampling={"temperature": 0.0, "seed": 3}, max_attempts=1)
    rows = items(80)
    watcher = kill_after(first, received=14)

    judgments = judge.grade_many(rows)
    watcher.join()

    assert first.process.poll() is not None  # it really died during the run
    in_flight_when_killed = set(first.events("start")) - set(first.events("done"))
    assert in_flight_when_killed, "the kill should catch requests in flight"
    assert pool.failovers >= len(in_flight_when_killed)
    assert [j.item_id for j in judgments] == [row.id for row in rows]
    assert all(j.failure is None for j in judgments)
    for row, judgment in zip(rows, judgments):
        rendered = judge.renderer.direct(row)
        shown = rendered.text if endpoint == "completions" else rendered.messages[-1].content
        assert judgment.score == expected_score(shown)
    # every row answered, the killed server's unanswered requests by the other. The stub logs "done" just
    # before it sends, so a kill between the two loses an answer the log counts: that row is answered again by
    # the second server (at most one such row per request in flight, and never a row the first had delivered).
    answered = Counter(first.events("done") + second.events("done"))
    assert len(answered) == len(rows)
    twice = {digest for digest, times in answered.items() if times > 1}
    assert set(answered.values()) <= {1, 2} and len(twice) <= 4  # max_concurrency
    assert twice <= set(first.events("done")) & set(second.events("done"))
    stats = {s["url"]: s for s in pool.stats()}
    assert stats[first.url]["marked_down"] == 1 and not stats[first.url]["healthy"]
    assert stats[first.url]["served"] + stats[second.url]["served"] == len(rows)


def test_load_follows_outstanding_requests(
    stub_servers: Callable[..., Any], expected_score: Callable[[str], int]
) -> None:
    (slow,) = stub_servers("slow", delay_s=0.2)
    (fast,) = stub_servers("fast", delay_s=0.01)
    pool = EndpointPoolBackend(
        PoolOptions(base_urls=(slow.url, fast.url), endpoint="completions", max_concurrency=2)
    )
    prompts = [prompt(f"p{i}") for i in range(60)]

    completions = asyncio.run(pool.generate(prompts, PARAMS))

    assert [c.text[-1] for c in completions] == [str(expected_score(p.text)) for p in prompts]
    served = {s["url"]: s["served"] for s in pool.stats()}
    # both start idle; the fast server drains its queue and keeps receiving the new requests
    assert served[slow.url] >= 1 and served[fast.url] > 3 * served[slow.url]


def test_down_server_is_skipped_then_used_again_once_it_answers_health_checks(
    stub_servers: Callable[..., Any],
) -> None:
    first, second = stub_servers("first", "second")
    port = first.port
    first.kill()
    pool = EndpointPoolBackend(
        PoolOptions(base_urls=(first.url, second.url), endpoint="completions", probe_interval=0.1)
    )

    async def scenario() -> tuple[int, int]:
        await pool.generate([prompt(f"a{i}") for i in range(6)], PARAMS)
        before = pool.stats()[0]["served"]
        stub_servers("first-again", port=port)
        await asyncio.sleep(0.4)  # a probe is due every 0.1 s
        await pool.generate([prompt(f"b{i}") for i in range(10)], PARAMS)
        return before, pool.stats()[0]["served"]

    before, after = asyncio.run(scenario())
    assert before == 0  # the initial health check marked it down: no request was wasted on it
    assert after > 0 and pool.stats()[0]["healthy"]


def test_input_errors_fail_at_once_without_failover() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        if request.url.path.endswith("/models"):
            return httpx.Response(200, json={"data": []})
        return httpx.Response(400, json={"error": {"message": "prompt too long"}})

    pool = EndpointPoolBackend(
        PoolOptions(base_urls="http://a.test/v1,http://b.test/v1", endpoint="completions"),
        transport=httpx.MockTransport(handler),
    )
    [outcome] = asyncio.run(pool.generate([prompt("x")], PARAMS))
    assert isinstance(outcome, GenerationFailure) and "prompt too long" in outcome.message
    assert outcome.kind == "permanent"
    assert len([url for url in seen if "completions" in url]) == 1


def test_all_endpoints_down_is_a_retryable_failure_after_the_wait() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    pool = EndpointPoolBackend(
        PoolOptions(base_urls="http://a.test/v1,http://b.test/v1", wait_for_endpoint=0.3, probe_interval=0.1),
        transport=httpx.MockTransport(handler),
    )
    started = time.monotonic()
    [outcome] = asyncio.run(pool.generate([prompt("x")], PARAMS))
    assert isinstance(outcome, GenerationFailure) and "no healthy endpoint" in outcome.message
    assert outcome.retryable
    assert 0.3 <= time.monotonic() - started < 5


def test_options_need_distinct_urls() -> None:
    with pytest.raises(ConfigError, match="base_urls"):
        create_backend("openai_pool", {})
    with pytest.raises(ConfigError, match="duplicates"):
        create_backend("openai_pool", {"base_urls": "http://a/v1,http://a/v1"})
    assert "base_url" not in create_backend("openai_pool", {"base_urls": "http://a/v1"}).identity()
