"""The statistics on their own: Bradley-Terry against closed forms, batched bootstrap fits against one fit at
a time, win rates, length control, intervals, diagnostics and the pair schedule."""

from __future__ import annotations

import math

import numpy as np
import pytest

from judgeforge.leaderboard.bootstrap import resample_counts
from judgeforge.leaderboard.bradley_terry import (
    Comparisons,
    bootstrap_bradley_terry,
    fit_bradley_terry,
    length_covariate,
)
from judgeforge.leaderboard.diagnostics import coverage, pair_diagnostics, ranking_agreement
from judgeforge.leaderboard.direct import direct_board
from judgeforge.leaderboard.grading import Compared, Graded
from judgeforge.leaderboard.inputs import Instruction, ResponseSet
from judgeforge.leaderboard.logistic import fit_logistic, sigmoid
from judgeforge.leaderboard.pairs import NO_ESTIMATE, pairs_board
from judgeforge.leaderboard.schedule import pairs_plan
from judgeforge.leaderboard.winrate import baseline_board, length_controlled, win_matrix
from judgeforge.prompts.rubrics import load_rubric


def _comparisons(outcomes: list[float], models: int = 2) -> Comparisons:
    count = len(outcomes)
    return Comparisons(
        a=np.zeros(count, dtype=np.int64),
        b=np.ones(count, dtype=np.int64),
        outcome=np.array(outcomes),
        cluster=np.arange(count, dtype=np.int64),
        models=models,
    )


@pytest.mark.parametrize("solver", ["sklearn", "scipy"])
def test_two_models_bradley_terry_probability_is_the_empirical_win_rate(solver: str) -> None:
    outcomes = [1.0] * 7 + [0.5] * 2 + [0.0] * 3  # 7 wins, 2 ties (half each), 3 losses: 8 of 12
    fit = fit_bradley_terry(_comparisons(outcomes), solver=solver)  # type: ignore[arg-type]
    assert fit is not None
    assert sigmoid(fit.theta[0] - fit.theta[1]) == pytest.approx(8 / 12, abs=1e-6)
    assert fit.theta.sum() == pytest.approx(0.0, abs=1e-12)


def test_three_models_match_the_fixed_point_of_the_likelihood() -> None:
    """At the maximum, each model's expected wins equal its observed wins (Zermelo's equations)."""
    rng = np.random.default_rng(3)
    a, b = rng.integers(0, 3, 300), rng.integers(0, 3, 300)
    keep = a != b
    a, b = a[keep], b[keep]
    strength = np.array([0.8, 0.0, -0.8])
    outcome = (rng.random(len(a)) < 1 / (1 + np.exp(strength[b] - strength[a]))).astype(float)
    data = Comparisons(a, b, outcome, np.arange(len(a)), 3)
    for solver in ("sklearn", "scipy"):
        fit = fit_bradley_terry(data, solver=solver)  # type: ignore[arg-type]
        assert fit is not None
        expected = 1 / (1 + np.exp(fit.theta[b] - fit.theta[a]))
        for model in range(3):
            observed = outcome[a == model].sum() + (1 - outcome[b == model]).sum()
            predicted = expected[a == model].sum() + (1 - expected[b == model]).sum()
            assert predicted == pytest.approx(observed, abs=1e-4)


def test_no_estimate_when_a_model_never_loses() -> None:
    assert fit_bradley_terry(_comparisons([1.0, 1.0, 1.0])) is None
    compared = [Compared("q1", "a", "b", 1.0, 10, 10), Compared("q2", "b", "a", 0.0, 10, 10)]
    board = pairs_board(compared, ["a", "b"], resamples=20, seed=0, confidence=0.95)
    assert board["fit"] == NO_ESTIMATE and all(row["rating"] is None for row in board["ranking"])


@pytest.mark.parametrize("with_length", [False, True])
def test_batched_bootstrap_fits_equal_one_fit_per_resample(with_length: bool) -> None:
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, 4, 400), rng.integers(0, 4, 400)
    keep = a != b
    a, b = a[keep], b[keep]
    outcome = rng.choice([0.0, 0.5, 1.0], size=len(a), p=[0.35, 0.1, 0.55])
    covariates = length_covariate(rng.integers(50, 500, len(a)) * 1.0, rng.integers(50, 500, len(a)) * 1.0)
    cluster = np.arange(len(a)) // 4
    data = Comparisons(a, b, outcome, cluster, 4, covariates[:, None] if with_length else None)
    counts = resample_counts(int(cluster.max()) + 1, 12, seed=1)
    thetas, betas = bootstrap_bradley_terry(data, counts, fit_bradley_terry(data))
    for row, theta, beta in zip(counts, thetas, betas):
        alone = fit_bradley_terry(data, row[cluster].astype(float), solver="sklearn")
        assert alone is not None
        np.testing.assert_allclose(theta, alone.theta, atol=1e-4)
        np.testing.assert_allclose(beta, alone.beta, atol=1e-4)


def test_win_rate_standard_error_and_interval() -> None:
    outcomes = [1.0, 1.0, 0.5, 0.0, 1.0, 0.0, 1.0, 0.5]
    compared = [
        Compared(f"q{i}", "m", "base", o, 10, 10) if i % 2 else Compared(f"q{i}", "base", "m", 1 - o, 10, 10)
        for i, o in enumerate(outcomes)
    ]
    board = baseline_board(compared, ["base", "m"], "base", resamples=500, seed=0, confidence=0.95)
    row = next(r for r in board["ranking"] if r["model"] == "m")
    assert row["win_rate"] == pytest.approx(np.mean(outcomes))
    assert row["standard_error"] == pytest.approx(np.std(outcomes, ddof=1) / math.sqrt(len(outcomes)))
    assert row["low"] <= row["win_rate"] <= row["high"]
    assert (row["wins"], row["ties"], row["losses"]) == (4, 2, 2)
    assert board["ranking"][0]["model"] == "m" and board["ranking"][1]["baseline"]


def test_length_controlled_win_rate() -> None:
    outcomes = np.array([1.0, 1.0, 0.0, 0.5, 1.0, 0.0, 1.0, 1.0])
    same = length_controlled(outcomes, np.zeros(len(outcomes)), 0.95)  # no length difference: the raw rate
    assert same is not None and same["win_rate"] == pytest.approx(outcomes.mean(), abs=1e-6)
    assert same["low"] < same["win_rate"] < same["high"] and same["length_coefficient"] is None
    # The longer response wins every decisive verdict: separated data, no finite estimate.
    assert (
        length_controlled(outcomes, np.array([50.0, 40.0, -30.0, 0.0, 60.0, -50.0, 30.0, 45.0]), 0.95) is None
    )
    # Mostly the longer wins: the length term takes part of the wins, at equal length the model is worse.
    outcomes = np.array([1.0, 1.0, 0.0, 0.5, 1.0, 0.0, 1.0, 1.0, 0.0])
    deltas = np.array([50.0, 40.0, -30.0, 0.0, 60.0, -50.0, 30.0, -45.0, 20.0])
    controlled = length_controlled(outcomes, deltas, 0.95)
    assert controlled is not None and controlled["length_coefficient"] > 0
    assert controlled["win_rate"] < outcomes.mean()
    for solver in ("sklearn", "scipy"):
        again = length_controlled(outcomes, deltas, 0.95, solver)  # type: ignore[arg-type]
        assert again is not None and again["win_rate"] == pytest.approx(controlled["win_rate"], abs=1e-5)


def test_logistic_refuses_separated_data() -> None:
    x = np.array([[-2.0], [-1.0], [1.0], [2.0]])
    assert fit_logistic(x, np.array([0.0, 0.0, 1.0, 1.0]), np.ones(4), intercept=True) is None
    assert fit_logistic(x, np.ones(4), np.ones(4)) is None


def test_direct_board_means_intervals_and_groups() -> None:
    graded = [
        Graded(f"q{i}", model, float(score), 100)
        for i in range(6)
        for model, score in (("a", 4 + i % 2), ("b", 2))
    ]
    graded.append(Graded("q6", "b", None, 100, failed_verdicts=1))
    rubric = load_rubric("helpfulness")
    instructions = {
        f"q{i}": Instruction(f"q{i}", "x", rubric, "helpfulness", category="c" + str(i % 2)) for i in range(7)
    }
    board = direct_board(graded, ["a", "b"], instructions, resamples=200, seed=0, confidence=0.95)
    first, second = board["ranking"]
    assert (first["model"], first["mean"], first["n"]) == ("a", 4.5, 6)
    assert first["low"] >= 4.0 and first["high"] <= 5.0
    assert (second["mean"], second["low"], second["high"], second["n"]) == (2.0, 2.0, 2.0, 6)
    assert first["distribution"] == {"1": 0, "2": 0, "3": 0, "4": 3, "5": 3}
    assert board["by_category"]["c1"]["a"] == {"mean": 5.0, "n": 3}
    assert board["by_rubric"]["helpfulness"]["b"] == {"mean": 2.0, "n": 6}


def test_diagnostics() -> None:
    flagged = coverage([(("a",), 10, 4), (("b",), 10, 0), (("c",), 10, 1)])
    assert flagged["a"]["flagged"] and not flagged["c"]["flagged"] and flagged["a"]["coverage"] == 0.6
    compared = [
        Compared("q1", "a", "b", 1.0, 300, 100, swap_consistent=True),
        Compared("q2", "a", "b", 0.5, 100, 300, swap_consistent=False),
        Compared("q3", "b", "a", 1.0, 300, 100, swap_consistent=True),
        Compared("q4", "b", "a", None, 300, 100, verdicts=2, failed_verdicts=2),
    ]
    result = pair_diagnostics(compared, ["a", "b"])
    assert result["position_consistency"]["share"] == pytest.approx(2 / 3)
    assert result["ties"]["share"] == pytest.approx(1 / 3)
    assert result["longer_wins"] == {"share": 1.0, "n": 2}
    assert result["coverage"]["a"]["failed"] == 2
    [agreement] = ranking_agreement(
        {"x": {"a": 1, "b": 2, "c": 3}, "y": {"a": 0.1, "b": 0.3, "c": 0.2, "d": 1}}
    )
    assert agreement["models"] == 3 and agreement["kendall"]["tau"] == pytest.approx(1 / 3)


def test_win_matrix_counts_each_verdict_from_both_sides() -> None:
    compared = [
        Compared("q1", "a", "b", 1.0, 10, 10),
        Compared("q2", "b", "a", 0.5, 10, 10),  # a tie, shown with b first
        Compared("q3", "b", "a", 1.0, 10, 10),
        Compared("q4", "a", "b", None, 10, 10),  # no verdict: not counted
        Compared("q1", "a", "c", 0.0, 10, 10),
    ]
    matrix = win_matrix(compared, ["a", "b", "c"], ["a", "b", "c"])
    assert matrix["rows"] == matrix["columns"] == ["a", "b", "c"]
    assert matrix["n"] == [[0, 3, 1], [3, 0, 0], [1, 0, 0]]
    assert matrix["win_rate"] == [
        [None, pytest.approx(1.5 / 3), 0.0],
        [pytest.approx(1.5 / 3), None, None],  # b and c never met
        [1.0, None, None],
    ]
    against = win_matrix(compared, ["b", "c"], ["a"])
    assert against["win_rate"] == [[pytest.approx(0.5)], [1.0]] and against["n"] == [[3], [1]]


def test_pair_budget_is_balanced_and_grows_by_extension() -> None:
    rubric = load_rubric("helpfulness")
    instructions = {
        f"q{i:02d}": Instruction(f"q{i:02d}", f"task {i}", rubric, "helpfulness") for i in range(20)
    }
    models = ("a", "b", "c", "d")
    data = ResponseSet(instructions, models, {(k, m): f"{m} on {k}" for k in instructions for m in models})
    small, large = pairs_plan(data, 13, seed=5), pairs_plan(data, 30, seed=5)
    assert len(small) == 13 and len(pairs_plan(data, None, seed=5)) == 20 * 6
    per_pair: dict[frozenset[str], int] = {}
    for item in large:
        per_pair[frozenset(item.models)] = per_pair.get(frozenset(item.models), 0) + 1
    assert set(per_pair.values()) == {5}
    assert {item.id for item in small} <= {item.id for item in large}
    shown_first = {item.models[0] for item in pairs_plan(data, None, seed=5)}
    assert shown_first == set(models)
