"""Nothing silent: missing logprobs and failed samples are reported per row, in the summary and once on
stderr; the legacy logprobs shape inside a chat response is read. A real HTTP server answers as scripted."""

from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import Any

import pytest
from runner_helpers import read_lines, write_jsonl
from scripted_server import Answer, ok, scripted_server

from judgeforge.backends.retry import RetryPolicy
from judgeforge.judge import Judge
from judgeforge.runner import RunOptions, run_grading


def rows(count: int) -> list[dict[str, Any]]:
    return [
        {"id": f"r{i}", "instruction": f"Question {i}?", "response": f"row-{i}", "rubric": "helpfulness"}
        for i in range(count)
    ]


def grade(tmp_path: Path, url: str, count: int, **judge: Any) -> tuple[Any, list[dict[str, Any]]]:
    source = write_jsonl(tmp_path / "in.jsonl", rows(count))
    options = {"base_url": url, "model": "m"}
    built = Judge("openai_compat", backend_options=options, check_preset=False, **judge)
    retry = RetryPolicy(max_retries=0)
    report = run_grading(source, tmp_path / "out.jsonl", built, RunOptions(use_cache=False, retry=retry))
    return report, read_lines(report.output)


def legacy_logprobs(score: int) -> dict[str, Any]:
    """The completions-endpoint shape (parallel lists), as some servers send it inside a chat response."""
    tokens = ["Feedback", ": fine.", " [RESULT]", f" {score}"]
    return {
        "tokens": tokens,
        "token_logprobs": [-0.1, -0.1, -0.01, math.log(0.8)],
        "top_logprobs": [{}, {}, {}, {f" {score}": math.log(0.8), " 3": math.log(0.2)}],
    }


def test_logprobs_asked_for_but_absent_are_reported_per_row_in_the_summary_and_once(tmp_path: Path) -> None:
    def answer(row: str, attempt: int, body: dict[str, Any]) -> Answer:
        return ok(4, logprobs=legacy_logprobs(4)) if row in ("row-0", "row-1") else ok(4)  # others: null

    with scripted_server(answer) as server, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report, lines = grade(tmp_path, server.url, 5, logprobs=True)
    by_id = {line["id"]: line for line in lines}
    for row in ("r0", "r1"):  # the legacy shape is read
        verdict = by_id[row]["verdicts"][0]
        assert verdict["probabilities"]["4"] == pytest.approx(0.8) and "logprobs_missing" not in verdict
    for row in ("r2", "r3", "r4"):
        verdict = by_id[row]["verdicts"][0]
        assert verdict["score"] == 4 and verdict["logprobs_missing"] == "the backend returned no logprobs"
    assert report.summary["logprobs_missing"] == 3
    assert report.summary["logprobs_missing_by_reason"] == {"the backend returned no logprobs": 3}
    messages = [str(w.message) for w in caught if "logprob" in str(w.message)]
    assert len(messages) == 1 and messages[0].startswith("3 verdicts have no logprob distribution")


def test_a_failed_sample_of_a_multi_sample_row_is_visible(tmp_path: Path) -> None:
    first_seed: dict[str, int] = {}

    def answer(row: str, attempt: int, body: dict[str, Any]) -> Answer:
        first_seed.setdefault(row, body["seed"])
        if row == "row-1" and body["seed"] != first_seed[row]:  # every sample after the first fails
            return 400, {"error": {"message": "content filter"}}, {}
        return ok(3)

    with scripted_server(answer) as server:
        report, lines = grade(tmp_path, server.url, 3, samples=3)
    by_id = {line["id"]: line for line in lines}
    assert by_id["r1"]["failure"] is None and by_id["r1"]["score"] == 3.0
    assert by_id["r1"]["failed_samples"] == 2
    assert sum("content filter" in v.get("failure", "") for v in by_id["r1"]["verdicts"]) == 2
    assert "failed_samples" not in by_id["r0"]
    assert report.summary["rows_with_failed_samples"] == 1
    assert report.summary["failed_samples_by_reason"] == {"backend error": 2}
