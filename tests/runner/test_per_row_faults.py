"""One bad row fails alone, retries are counted, configuration errors stop the run: a real HTTP server on
127.0.0.1 answers each row as scripted (scripted_server.py) and the run goes through the real CLI path."""

from __future__ import annotations

import random
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from runner_helpers import read_lines, write_jsonl
from scripted_server import Answer, ok, scripted_server

from judgeforge.backends.retry import RetryPolicy
from judgeforge.errors import BackendConfigError
from judgeforge.judge import Judge
from judgeforge.runner import RunOptions, run_grading

FAST = RetryPolicy(initial_delay=0.001, max_delay=0.01)


def rows(count: int) -> list[dict[str, Any]]:
    return [
        {"id": f"r{i}", "instruction": f"Question {i}?", "response": f"row-{i}", "rubric": "helpfulness"}
        for i in range(count)
    ]


def grade(tmp_path: Path, url: str, count: int, **backend: Any) -> tuple[Any, list[dict[str, Any]]]:
    source = write_jsonl(tmp_path / "in.jsonl", rows(count))
    judge = Judge(
        "openai_compat", backend_options={"base_url": url, "model": "m", **backend}, check_preset=False
    )
    options = RunOptions(retry=FAST, use_cache=False, batch_size=32)
    report = run_grading(source, tmp_path / "out" / "results.jsonl", judge, options)
    return report, read_lines(report.output)


BAD_ANSWERS: dict[str, Answer] = {
    "context-length": (400, {"error": {"message": "This model's maximum context length is 4096 tokens"}}, {}),
    "content-null": (200, {"choices": [{"message": {"role": "assistant", "content": None}}]}, {}),
    "no-choices": (200, {"choices": []}, {}),
    "malformed-json": (200, b'{"choices": [{"message": ', {}),
}


@pytest.mark.parametrize("kind", list(BAD_ANSWERS))
def test_one_bad_row_fails_alone_and_healthy_rows_are_requested_once(tmp_path: Path, kind: str) -> None:
    bad = BAD_ANSWERS[kind]
    with scripted_server(lambda row, attempt, body: bad if row == "row-3" else ok()) as server:
        report, lines = grade(tmp_path, server.url, 6)
    by_id = {line["id"]: line for line in lines}
    assert report.summary["graded"] == 5 and report.summary["failed"] == 1
    assert by_id["r3"]["failure"] is not None
    if kind == "context-length":
        assert "maximum context length" in by_id["r3"]["failure"]
    assert all(by_id[f"r{i}"]["score"] == 4.0 for i in (0, 1, 2, 4, 5))
    assert all(server.requests[f"row-{i}"] == 1 for i in (0, 1, 2, 4, 5)), server.requests
    if kind != "malformed-json":  # a body that is not JSON may be a proxy's page: retried, then failed
        assert server.requests["row-3"] == 1


def test_retryable_answers_are_retried_and_every_retry_counted(tmp_path: Path) -> None:
    rng = random.Random(7)
    lock = threading.Lock()

    def flaky(row: str, attempt: int, body: dict[str, Any]) -> Answer:
        with lock:
            draw = rng.random()
        if draw < 0.15:
            return 429, {"error": {"message": "rate limited"}}, {"Retry-After": "0"}
        if draw < 0.30:
            return 503, {"error": {"message": "overloaded"}}, {}
        return ok()

    with scripted_server(flaky) as server:
        report, _lines = grade(tmp_path, server.url, 40)
    assert report.summary["graded"] == 40 and report.summary["failed"] == 0
    assert server.non_200 > 0
    retried_requests = sum(server.requests.values()) - 40  # requests for a row already requested
    assert report.summary["this_run"]["backend_retries"] == retried_requests == server.non_200


def test_a_configuration_error_stops_the_run_in_seconds_and_names_the_fix(tmp_path: Path) -> None:
    def no_system_role(row: str, attempt: int, body: dict[str, Any]) -> Answer:
        if any(message["role"] == "system" for message in body["messages"]):
            return 500, {"error": {"code": 500, "message": "System role not supported"}}, {}
        return ok()

    with scripted_server(no_system_role) as server:
        started = time.monotonic()
        with pytest.raises(BackendConfigError, match="system_role=merge"):
            grade(tmp_path, server.url, 6)
        assert time.monotonic() - started < 10
        results = tmp_path / "out" / "results.jsonl"
        assert not results.exists() or not read_lines(results)  # no row marked as done
        report, lines = grade(tmp_path, server.url, 6, system_role="merge")
    assert report.summary["graded"] == 6 and len(lines) == 6
