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
