"""The service client (sync, async, retries) and the `judgeforge serve` command, against real servers."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from judgeforge.errors import BackendRateLimited, ConfigError, InputError
from judgeforge.prompts.rubrics import load_rubric
from judgeforge.records import DirectItem
from judgeforge.serve.client import AsyncJudgeClient, JudgeClient
from judgeforge.serve.run import RunningServer
from serve.support import API_KEY, ITEM, PAIR, ServerFactory, fake_judge


def variants(count: int) -> list[dict[str, Any]]:
    return [
        {**ITEM, "id": f"i{n}", "response": f"{ITEM['response']} Note {n}: {'blue ' * (n % 5)}"}
        for n in range(count)
    ]


def expected_scores(rows: list[dict[str, Any]]) -> list[float | None]:
    items = [DirectItem(**{**row, "rubric": load_rubric(row["rubric"])}) for row in rows]
    return [j.score for j in fake_judge().grade_many(items)]


def test_sync_client_grades_compares_and_splits_batches(server: RunningServer) -> None:
    rows = variants(10)  # the server takes 4 items per request; the client splits
    with JudgeClient(server.url, API_KEY, batch_size=4) as client:
        results = client.grade(rows)
        pairs = client.compare(
            [PAIR, {**PAIR, "response_a": PAIR["response_b"], "response_b": PAIR["response_a"]}]
        )
        rubrics = client.rubrics()
        assert client.health()
    assert [r.id for r in results] == [row["id"] for row in rows]
    assert [r.score for r in results] == expected_scores(rows)
    assert all(r.ok and 1 <= (r.score or 0) <= 5 for r in results)
    assert [p.mode for p in pairs] == ["relative"] * 2 and all(p.winner in ("A", "B") for p in pairs)
    assert "helpfulness" in rubrics


def test_client_translates_refusals_into_judgeforge_errors(server: RunningServer) -> None:
    with (
        JudgeClient(server.url, "wrong-key-0123456789") as client,
        pytest.raises(ConfigError, match="API key"),
    ):
        client.grade([ITEM])
    with JudgeClient(server.url, API_KEY, batch_size=10) as client:
        with pytest.raises(InputError, match="limit is 4"):
            client.grade(variants(5))
        with pytest.raises(InputError, match="unknown rubric"):
            client.grade([{**ITEM, "rubric": "nope"}])
        with pytest.raises(InputError, match="response"):  # checked before sending
            client.grade([{"instruction": "x", "rubric": "helpfulness"}])


def test_concurrent_clients_each_get_their_own_correct_answers(start_server: ServerFactory) -> None:
    rows = variants(24)
    expected = dict(zip((r["id"] for r in rows), expected_scores(rows)))
    with start_server(fake_judge(latency_ms=20), max_concurrency=8) as srv:

        def work(worker: int) -> list[tuple[str | None, float | None]]:
            mine = rows[worker::6]
            with JudgeClient(srv.url, API_KEY, batch_size=2) as client:
                return [(r.id, r.score) for r in client.grade(mine)]

        with ThreadPoolExecutor(6) as pool:
            answers = [pair for chunk in pool.map(work, range(6)) for pair in chunk]
    assert sorted(answers, key=lambda p: str(p[0])) == sorted(expected.items())


def test_async_client_honours_retry_after_under_a_burst(start_server: ServerFactory) -> None:
    async def burst(url: str) -> list[float | None]:
        async with AsyncJudgeClient(url, API_KEY, max_retries=20) as client:
            groups = await asyncio.gather(*(client.grade([row]) for row in variants(6)))
            return [r.score for group in groups for r in group]

    with start_server(fake_judge(latency_ms=150), max_concurrency=2, retry_after_s=0) as srv:
        scores = asyncio.run(burst(srv.url))
    assert scores == expected_scores(variants(6))


def test_retry_after_is_waited_for_then_gives_up_with_rate_limited() -> None:
    calls: list[float] = []

    def busy(request: httpx.Request) -> httpx.Response:
        calls.append(time.monotonic())
        if len(calls) < 3:
            return httpx.Response(429, headers={"Retry-After": "0.2"}, json={"error": {"message": "busy"}})
        return httpx.Response(200, json={"request_id": "r", "results": []})

    with JudgeClient(
        "http://judge.test", API_KEY, transport=httpx.MockTransport(busy), batch_size=8
    ) as client:
        assert client.grade([ITEM]) == []
    assert len(calls) == 3 and calls[1] - calls[0] >= 0.19 and calls[2] - calls[1] >= 0.19

    always = httpx.MockTransport(lambda r: httpx.Response(429, headers={"Retry-After": "7"}, json={}))
    with (
        JudgeClient(
            "http://judge.test", API_KEY, transport=always, max_retries=2, max_retry_wait=0.01, batch_size=8
        ) as client,
        pytest.raises(BackendRateLimited) as caught,
    ):
        client.grade([ITEM])
    assert caught.value.retry_after == 7.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_cli_serve_runs_the_real_command(tmp_path: Path) -> None:
    keys = tmp_path / "keys.txt"
    keys.write_text(f"# service keys\n{API_KEY}\n", encoding="utf-8")
    port = _free_port()
    env = {**os.environ, "JUDGEFORGE_API_KEYS": ""}
    command = [
        sys.executable,
        "-m",
        "judgeforge",
        "serve",
        "--port",
        str(port),
        "--api-keys-file",
        str(keys),
        "--backend",
        "fake",
        "--backend-option",
        "latency_ms=1",
        "--max-items",
        "3",
    ]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        with JudgeClient(url, API_KEY) as client:
            while not client.health():
                assert process.poll() is None, process.communicate()[1]
                assert time.monotonic() < deadline
                time.sleep(0.1)
            assert client.grade([ITEM])[0].ok
            info = httpx.get(f"{url}/v1/info", headers={"X-API-Key": API_KEY}).json()
        assert info["limits"]["max_items"] == 3 and info["backend"]["backend"] == "fake"
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=15)
    assert '"path": "/v1/grade"' in stderr and API_KEY not in stderr


def test_cli_serve_refuses_to_start_without_keys() -> None:
    env = {**os.environ, "JUDGEFORGE_API_KEYS": ""}
    done = subprocess.run(
        [sys.executable, "-m", "judgeforge", "serve", "--port", "1", "--backend", "fake"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "no API keys" in done.stderr
    short = subprocess.run(
        [sys.executable, "-m", "judgeforge", "serve", "--port", "1", "--backend", "fake"],
        env={**env, "JUDGEFORGE_API_KEYS": "short"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert short.returncode == 2 and "shorter than 16" in short.stderr
