"""Known strengths are recovered: simulated verdicts (no judge) from known mean scores and Bradley-Terry
strengths; the point estimates rank the models in the true order and the 95% intervals cover the truth.
The same study as benchmarks/leaderboard_coverage.py (100 repetitions, figures in docs/leaderboard.md),
with 20 repetitions and 200 resamples to stay fast."""

from __future__ import annotations

from judgeforge.leaderboard.simulate import coverage_study, default_truth

REPETITIONS = 20


def test_intervals_cover_the_truth_and_the_ranking_is_right() -> None:
    result = coverage_study(default_truth(), repetitions=REPETITIONS, instructions=200, resamples=200, seed=0)
    assert result.repetitions == REPETITIONS
    assert set(result.covered) == {
        "mean score",
        "win rate",
        "length-controlled win rate",
        "Bradley-Terry rating",
    }
    assert result.ranked["mean score"] == REPETITIONS
    assert result.ranked["Bradley-Terry rating"] == REPETITIONS
    assert result.ranked["win rate"] >= REPETITIONS - 1
    # Exact 95% intervals: each count is binomial(20, 0.95); 16 or fewer happens with probability 1.6%.
    assert result.worst() >= 16, result.covered
    assert result.pooled() >= 0.9, result.covered
