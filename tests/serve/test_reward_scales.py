"""The reward normalises by the scale each item was graded on, through the real service (fake backend).

1-10 (MT-Bench's fixed scale), 0-1 (Flow-Judge), a Yes/No label scale (Selene) and the default 1-5, each read
against the verdicts the service itself returned for the same items.
"""

from __future__ import annotations

from typing import Any

import pytest

from judgeforge.judge import Judge
from judgeforge.prompts.rubrics import load_rubric
from judgeforge.serve.client import JudgeClient
from judgeforge.serve.reward import JudgeReward
from judgeforge.serve.reward_scale import graded_scale, item_scale
from serve.support import API_KEY, ServerFactory, fake_judge

ONE_TO_TEN = {"criteria": "Overall quality of the answer.", "scale": [str(n) for n in range(1, 11)]}
BINARY = {"criteria": "Does the answer solve the task?", "scale": {"0": "It does not.", "1": "It does."}}
PASS_FAIL = {
    "criteria": "Does the answer solve the task?",
    "scale": {"Yes": "It does.", "No": "It does not."},
}
PROMPTS = [f"Add {n} and 2." for n in range(16)]
COMPLETIONS = [str(n + 2 + n % 3) for n in range(16)]


def served(
    start_server: ServerFactory, judge: Judge, rubric: Any, normalization: str = "linear"
) -> tuple[list[float | None], list[Any]]:
    """The rewards through the service, and the service's own results for the same items."""
    items = [{"instruction": p, "response": c} for p, c in zip(PROMPTS, COMPLETIONS)]
    with start_server(judge) as srv, JudgeClient(srv.url, API_KEY) as client:
        rewards = JudgeReward(client, rubric, normalization=normalization)(  # type: ignore[arg-type]
            prompts=PROMPTS, completions=COMPLETIONS
        )
        results = client.grade(items, rubric=rubric)
    return rewards, results


def test_a_one_to_ten_scale_is_normalised_by_its_own_bounds(start_server: ServerFactory) -> None:
    judge = Judge("fake", "mt-bench", "none", sampling={"seed": 11})
    rewards, results = served(start_server, judge, ONE_TO_TEN)
    scores = [r.score for r in results]
    assert all(s is not None and 1 <= s <= 10 for s in scores) and max(s or 0 for s in scores) > 5
    assert rewards == [pytest.approx(((s or 0) - 1) / 9) for s in scores]
    assert all(r is not None and 0.0 <= r <= 1.0 for r in rewards)


def test_a_zero_to_one_scale_rewards_zero_and_one(start_server: ServerFactory) -> None:
    judge = Judge("fake", "flow-judge", "none", sampling={"seed": 3})
    rewards, results = served(start_server, judge, BINARY)
    assert {r.score for r in results} == {0.0, 1.0}  # both levels drawn
    assert rewards == [r.score for r in results]  # (s - 0) / (1 - 0): a 0 is a reward of 0, not a failure


def test_a_yes_no_label_scale_rewards_yes(start_server: ServerFactory) -> None:
    judge = Judge("fake", "selene-mini-classification", "none", sampling={"seed": 7})
    rewards, results = served(start_server, judge, PASS_FAIL)
    labels = [r.label for r in results]
    assert set(labels) == {"Yes", "No"} and all(r.score is None for r in results)
    assert rewards == [1.0 if label == "Yes" else 0.0 for label in labels]
    raw, _ = served(start_server, judge, PASS_FAIL, "raw")
    assert raw == rewards  # positions 0 (No) and 1 (Yes)


def test_the_default_one_to_five_scale_is_unchanged(start_server: ServerFactory) -> None:
    rewards, results = served(start_server, fake_judge(), "helpfulness")
    scores = [r.score for r in results]
    assert len(set(scores)) > 1
    assert rewards == [((s or 0) - 1) / 4 for s in scores]


def test_label_order_is_the_rubrics_worst_first_unless_its_words_say_otherwise() -> None:
    assert graded_scale(("No", "Yes")).points == {"No": 0.0, "Yes": 1.0}
    assert graded_scale(("Pass", "Fail")).points == {"Fail": 0.0, "Pass": 1.0}
    assert graded_scale(("Poor", "Fair", "Good")).points == {"Poor": 0.0, "Fair": 1.0, "Good": 2.0}
    scale = graded_scale(("10", "0", "5"))  # numeric: bounds by value, whatever the listed order
    assert (scale.low, scale.high, scale.unit(5.0)) == (0.0, 10.0, 0.5)


def test_a_rubric_without_its_own_scale_takes_the_judges_set_scale() -> None:
    plain = load_rubric("helpfulness")
    standard = fake_judge().renderer.template_set.scale
    assert (item_scale(plain).low, item_scale(plain).high) == (1.0, 5.0)
    assert (item_scale(plain, standard).low, item_scale(plain, standard).high) == (1.0, 5.0)
    ten = Judge("fake", "mt-bench", "none").renderer.template_set.scale
    assert (item_scale(plain, ten).low, item_scale(plain, ten).high) == (1.0, 10.0)
    assert item_scale(load_rubric(BINARY), ten).high == 1.0  # the rubric's own scale wins
