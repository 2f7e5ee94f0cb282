"""Each metric against an independent computation (scipy, brute force or a hand-worked example)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from judgeforge.bench.baselines import cut_points_for, score_from_signal
from judgeforge.bench.rouge import lcs_length, rouge_l
from judgeforge.metrics import (
    bootstrap_ci,
    by_category,
    direct_pairwise_agreement,
    exact_match,
    kendall_tau,
    pairwise_accuracy,
    pearson,
    rankdata,
    spearman,
    swap_consistency,
    transitivity,
)


def tied_samples(seed: int) -> tuple[list[float], list[float]]:
    rng = np.random.default_rng(seed)
    gold = rng.integers(1, 6, 60).astype(float)
    judge = np.clip(gold + rng.integers(-2, 3, 60), 1, 5)
    return list(judge), list(gold)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_correlations_match_scipy(seed: int) -> None:
    x, y = tied_samples(seed)
    assert pearson(x, y) == pytest.approx(stats.pearsonr(x, y)[0], abs=1e-12)
    assert spearman(x, y) == pytest.approx(stats.spearmanr(x, y)[0], abs=1e-12)
    assert kendall_tau(x, y) == pytest.approx(stats.kendalltau(x, y)[0], abs=1e-12)
    assert list(rankdata(x)) == list(stats.rankdata(x))


def test_correlations_undefined_on_constant_input() -> None:
    assert pearson([3, 3, 3], [1, 2, 3]) is None
    assert kendall_tau([1, 2, 3], [4, 4, 4]) is None
    assert spearman([1], [2]) is None


def test_kendall_hand_worked() -> None:
    # pairs of (1,2,3) vs (1,3,2): concordant (1,2),(1,3); discordant (2,3) -> (2 - 1) / 3
    assert kendall_tau([1, 2, 3], [1, 3, 2]) == pytest.approx(1 / 3)


def test_bootstrap_ci_is_seeded_and_matches_a_direct_resampling() -> None:
    x, y = tied_samples(3)
    first = bootstrap_ci(pearson, x, y, resamples=300, seed=7)
    assert first == bootstrap_ci(pearson, x, y, resamples=300, seed=7)
    assert first != bootstrap_ci(pearson, x, y, resamples=300, seed=8)
    rng = np.random.default_rng(7)
    xa, ya = np.asarray(x), np.asarray(y)
    values = []
    for _ in range(300):
        index = rng.integers(0, len(x), len(x))
        values.append(stats.pearsonr(xa[index], ya[index])[0])
    expected = np.percentile(values, [2.5, 97.5])
    assert first is not None
    assert first[0] == pytest.approx(expected[0], abs=1e-9)
    assert first[1] == pytest.approx(expected[1], abs=1e-9)
    assert first[0] < pearson(x, y) < first[1]  # type: ignore[operator]


def test_exact_match_and_pairwise_accuracy_hand_worked() -> None:
    assert exact_match([1, 2, None, 4], [1, 3, 3, 4]) == 0.5
    predicted = ["A", "B", "tie", None, "A"]
    gold = ["A", "A", "tie", "B", "tie"]
    assert pairwise_accuracy(predicted, gold, "count") == 2 / 5
    assert pairwise_accuracy(predicted, gold, "skip") == 1 / 3
    assert pairwise_accuracy(predicted, gold, "without") == 1 / 3  # (A, A), (B, A), (None, B)
    # a judge's tie against a gold winner: wrong when ties are counted or gold ties skipped, left out "without"
    assert pairwise_accuracy(["tie", "A", "B"], ["A", "A", "A"], "skip") == 1 / 3
    assert pairwise_accuracy(["tie", "A", "B"], ["A", "A", "A"], "without") == 1 / 2
    assert pairwise_accuracy(["tie"], ["A"], "without") is None
    categories = ["x", "x", "y", "y", None]
    assert by_category(categories, lambda p, g: pairwise_accuracy(p, g), predicted, gold) == {
        "x": 0.5,
        "y": 0.5,
    }


def test_swap_consistency_and_direct_pairwise_agreement() -> None:
    # forward A, swapped says B (= A in the forward frame): consistent; A vs A: inconsistent.
    assert swap_consistency(["A", "A", "B", None], ["B", "A", "A", "B"]) == 2 / 3
    assert direct_pairwise_agreement(["A", "tie", "B", None], ["A", "A", "A", "B"]) == 1 / 3


def test_transitivity_counts_cycles() -> None:
    ordered = [("g", "x", "y", "A"), ("g", "y", "z", "A"), ("g", "x", "z", "A")]
    cycle = [("h", "x", "y", "A"), ("h", "y", "z", "A"), ("h", "x", "z", "B")]
    incomplete = [("k", "x", "y", "A"), ("k", "y", "z", "A")]
    assert transitivity(ordered) == (1.0, 1)
    assert transitivity(cycle) == (0.0, 1)
    assert transitivity(ordered + cycle + incomplete) == (0.5, 2)
    # a full group of 5 responses ranked consistently: all C(5,3) = 10 triads transitive
    names = "abcde"
    full = [("g", names[i], names[j], "A") for i in range(5) for j in range(i + 1, 5)]
    assert transitivity(full) == (1.0, 10)


def brute_lcs(a: list[str], b: list[str]) -> int:
    table = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            table[i + 1][j + 1] = table[i][j] + 1 if x == y else max(table[i][j + 1], table[i + 1][j])
    return table[-1][-1]


def test_rouge_l_hand_worked_and_lcs_against_dynamic_programming() -> None:
    # LCS "the cat on the mat" = 5 of 6 tokens each side -> P = R = F = 5/6
    assert rouge_l("The cat sat on the mat.", "the cat is on the mat") == pytest.approx(5 / 6)
    assert rouge_l("", "x") == 0.0
    rng = np.random.default_rng(0)
    for _ in range(200):
        a = list(rng.choice(list("abcd"), rng.integers(0, 40)))
        b = list(rng.choice(list("abcde"), rng.integers(0, 40)))
        assert lcs_length(a, b) == brute_lcs(a, b)


def test_cut_points_match_the_gold_distribution() -> None:
    signals = list(range(100))
    gold = [1] * 10 + [2] * 20 + [3] * 30 + [4] * 25 + [5] * 15
    cuts = cut_points_for(signals, gold)
    scores = [score_from_signal(s, cuts) for s in signals]
    assert [scores.count(level) for level in range(1, 6)] == [10, 20, 30, 25, 15]
    assert [score_from_signal(s, cut_points_for(signals)) for s in (0, 99)] == [1, 5]
