"""The toy teacher's reading of checklists, and the per-family metrics read from bench result rows."""

from __future__ import annotations

import asyncio
import random

import pytest

from judgeforge.errors import BackendError
from judgeforge.records import Message, Prompt
from judgeforge.sampling import SamplingParams
from judgeforge.toy.families import direct_feedback, families
from judgeforge.toy.results import direct_metrics, pair_metrics
from judgeforge.toy.teacher import ToyTeacherBackend, parse_checklist
from judgeforge.toy.world import make_group


@pytest.mark.parametrize("name", families.names())
def test_checklists_round_trip(name: str) -> None:
    family = families.get(name)
    group = make_group(family, random.Random(3))
    for response in group.responses:
        checks = family.check(group.task, response)
        assert parse_checklist(direct_feedback(checks)) == checks


def test_teacher_refuses_what_is_not_a_toy_prompt() -> None:
    with pytest.raises(BackendError):
        parse_checklist("The response is good. Total 4 of 4, so score 5.")
    prompt = Prompt(
        mode="relative", template="teacher", messages=(Message(role="user", content="hello"),), text="hello"
    )
    with pytest.raises(BackendError):
        asyncio.run(ToyTeacherBackend().generate([prompt], SamplingParams()))


def _direct(score: int | None, gold: int, family: str = "format") -> dict[str, object]:
    return {"category": family, "score": score, "gold": {"gpt4": [float(gold)]}}


def test_direct_metrics_count_failures_in_the_parse_rate_only() -> None:
    rows = [_direct(s, s) for s in (1, 2, 3, 4, 5)] + [_direct(None, 3)]
    metrics = direct_metrics(rows)
    assert metrics["items"] == 6
    assert metrics["parse_rate"] == pytest.approx(5 / 6)
    assert metrics["pearson"] == pytest.approx(1.0)
    assert metrics["kendall"] == pytest.approx(1.0)
    reversed_rows = [_direct(6 - s, s) for s in (1, 2, 3, 4, 5)]
    assert direct_metrics(reversed_rows)["spearman"] == pytest.approx(-1.0)


def test_pair_metrics_count_a_missing_verdict_as_wrong() -> None:
    rows = [
        {"winner": "A", "gold": "A"},
        {"winner": "B", "gold": "A"},
        {"winner": None, "gold": "B"},
        {"winner": "B", "gold": "B"},
    ]
    assert pair_metrics(rows) == {"items": 4, "parse_rate": 0.75, "accuracy": 0.5}


def test_intervals_bracket_the_estimate_and_shrink_with_more_items() -> None:
    rows = [_direct(s if i % 7 else 6 - s, s) for i in range(40) for s in (1, 2, 3, 4, 5)] + [
        _direct(None, 2)
    ]
    metrics = direct_metrics(rows, resamples=300)
    for name in ("pearson", "spearman", "kendall", "parse_rate"):
        low, high = metrics[f"{name}_ci"]
        assert low <= metrics[name] <= high, name
    assert metrics["parse_rate_ci"][1] <= 1.0 and metrics["parse_rate_ci"][0] < 1.0
    perfect = direct_metrics([_direct(s, s) for s in (1, 2, 3, 4, 5) * 4], resamples=100)
    assert perfect["pearson_ci"] == [pytest.approx(1.0), pytest.approx(1.0)]
    pairs = [{"winner": "A", "gold": "A" if i % 4 else "B"} for i in range(200)]
    few = pair_metrics(pairs[:20], resamples=300)
    many = pair_metrics(pairs, resamples=300)
    assert many["accuracy"] == pytest.approx(0.75)
    assert many["accuracy_ci"][0] <= 0.75 <= many["accuracy_ci"][1]
    width = lambda m: m["accuracy_ci"][1] - m["accuracy_ci"][0]  # noqa: E731
    assert width(many) < width(few)
