"""The judge as a TRL reward function: called the way GRPOTrainer (trl 1.x) calls reward functions."""

from __future__ import annotations

import asyncio
import inspect
import itertools
import math
import statistics
from typing import Any

import pytest

from judgeforge.errors import ConfigError
from judgeforge.prompts.rubrics import load_rubric
from judgeforge.records import DirectItem
from judgeforge.serve.client import AsyncJudgeClient, JudgeClient
from judgeforge.serve.reward import AsyncJudgeReward, JudgeReward, normalize
from judgeforge.serve.run import RunningServer
from serve.support import API_KEY, ITEM, fake_judge

PROMPTS = [ITEM["instruction"]] * 4 + ["Name a primary colour."] * 2
COMPLETIONS = [
    ITEM["response"],
    "Blue light is scattered more by the air (Rayleigh scattering), so the sky looks blue.",
    "I like turtles.",
    "The sky is blue because of scattering.",
    "Red is a primary colour.",
    "Bananas.",
]


def trl_kwargs(log: list[tuple[str, float]]) -> dict[str, Any]:
    """What GRPOTrainer._calculate_rewards passes besides prompts and completions."""
    return {
        "completion_ids": [[1, 2, 3]] * len(PROMPTS),
        "trainer_state": None,
        "log_extra": lambda column, values: None,
        "log_metric": lambda name, value: log.append((name, value)),
    }


def judge_scores(
    prompts: list[str], completions: list[str], rubric: str = "helpfulness"
) -> list[float | None]:
    items = [
        DirectItem(instruction=p, response=c, rubric=load_rubric(rubric))
        for p, c in zip(prompts, completions)
    ]
    return [j.score for j in fake_judge().grade_many(items)]


def floats(values: list[float | None]) -> list[float]:
    """The values, checked to hold no None (every sample graded)."""
    assert all(value is not None for value in values)
    return [value for value in values if value is not None]


def test_linear_raw_and_zscore_rewards_follow_the_judge_scores() -> None:
    scores = floats(judge_scores(PROMPTS, COMPLETIONS))
    assert len(set(scores)) > 1  # the batch has spread, so z-scores are informative
    log: list[tuple[str, float]] = []
    linear = floats(
        JudgeReward(fake_judge(), "helpfulness")(prompts=PROMPTS, completions=COMPLETIONS, **trl_kwargs(log))
    )
    raw = JudgeReward(fake_judge(), "helpfulness", normalization="raw")(
        prompts=PROMPTS, completions=COMPLETIONS
    )
    z = floats(
        JudgeReward(fake_judge(), "helpfulness", normalization="zscore")(
            prompts=PROMPTS, completions=COMPLETIONS
        )
    )
    assert raw == scores
    assert linear == [(s - 1) / 4 for s in scores] and all(0.0 <= r <= 1.0 for r in linear)
    assert all(isinstance(r, float) for r in linear + z)
    assert statistics.fmean(z) == pytest.approx(0.0, abs=1e-9) and statistics.pstdev(z) == pytest.approx(1.0)
    assert [a < b for a, b in itertools.pairwise(z)] == [a < b for a, b in itertools.pairwise(scores)]
    assert log == [("judge_reward/failure_rate", 0.0)]


def test_failures_and_empty_completions_get_the_failure_value() -> None:
    garbage = fake_judge(garbage_rate=1.0)
    assert JudgeReward(garbage, "helpfulness", failure_value=-1.0)(
        prompts=PROMPTS[:2], completions=COMPLETIONS[:2]
    ) == [-1.0, -1.0]
    skip = JudgeReward(fake_judge(), "helpfulness", failure_value=None)
    rewards = skip(prompts=PROMPTS[:3], completions=[COMPLETIONS[0], "  ", COMPLETIONS[1]])
    assert rewards[1] is None and rewards[0] is not None and rewards[2] is not None
    assert normalize([None, 3.0, 5.0], "zscore", 0.0) == [0.0, -1.0, 1.0]


def test_conversational_prompts_and_dataset_columns_are_used() -> None:
    prompts = [
        [{"role": "system", "content": "Be brief."}, {"role": "user", "content": p}] for p in PROMPTS[:2]
    ]
    completions = [[{"role": "assistant", "content": c}] for c in COMPLETIONS[:2]]
    reward = JudgeReward(fake_judge(), normalization="raw")
    rubrics = ["factual_validity", "factual_validity"]
    references = ["Rayleigh scattering of sunlight by air molecules.", None]
    got = reward(prompts=prompts, completions=completions, rubric=rubrics, reference_answer=references)
    items = [
        DirectItem(instruction=p, response=c, rubric=load_rubric("factual_validity"), reference_answer=r)
        for p, c, r in zip(PROMPTS[:2], COMPLETIONS[:2], references)
    ]
    assert got == [j.score for j in fake_judge().grade_many(items)]
    with pytest.raises(ConfigError, match="no rubric"):
        reward(prompts=PROMPTS[:1], completions=COMPLETIONS[:1])


def test_reward_through_the_service_matches_the_local_judge(server: RunningServer) -> None:
    local = JudgeReward(fake_judge(), "helpfulness")(prompts=PROMPTS, completions=COMPLETIONS)
    with JudgeClient(server.url, API_KEY) as client:  # 6 completions, the server takes 4: the client splits
        remote = JudgeReward(client, "helpfulness")(prompts=PROMPTS, completions=COMPLETIONS)
    assert remote == local

    async def run_async() -> list[float | None]:
        async with AsyncJudgeClient(server.url, API_KEY) as client:
            reward = AsyncJudgeReward(client, "helpfulness", name="prometheus")
            assert reward.__name__ == "prometheus"
            return await reward(prompts=PROMPTS, completions=COMPLETIONS, **trl_kwargs([]))

    assert asyncio.run(run_async()) == local


def test_sync_and_async_forms_are_recognised_the_way_trl_checks_them() -> None:
    # trl.trainer.utils.is_async_callable: iscoroutinefunction(func) or iscoroutinefunction(func.__call__)
    sync_reward, async_reward = (
        JudgeReward(fake_judge(), "helpfulness"),
        AsyncJudgeReward(fake_judge(), "helpfulness"),
    )
    assert not inspect.iscoroutinefunction(sync_reward.__call__)
    assert inspect.iscoroutinefunction(async_reward.__call__)
    rewards = floats(asyncio.run(async_reward(prompts=PROMPTS, completions=COMPLETIONS)))
    assert rewards == sync_reward(prompts=PROMPTS, completions=COMPLETIONS) and not any(
        math.isnan(r) for r in rewards
    )
    with pytest.raises(ConfigError, match="reward normalisation"):
        JudgeReward(fake_judge(), "helpfulness", normalization="sigmoid")  # type: ignore[arg-type]
