"""Verdicts simulated from known truths, to check that leaderboards recover them (no judge involved).

A :class:`Truth` gives each model a distribution of direct scores over 1..5 (its true mean score is that
distribution's mean) and a Bradley-Terry strength theta (mean 0). :func:`simulate` draws, per instruction:
one score per model; one verdict per model against the baseline, A winning with probability
sigmoid(theta_A - theta_B); and one verdict per model pair, the same way. Who is shown first is a coin;
lengths are drawn independently of everything (uniform 200..800 characters), so the true length-controlled
win rate equals the true win rate. There are no ties.

:func:`coverage_study` repeats this with seeded generators and counts, per model and statistic, how often
the interval covered the true value and whether the point estimates ranked the models in the true order.
``benchmarks/leaderboard_coverage.py`` runs it at 100 repetitions; docs/leaderboard.md has its figures.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from judgeforge.leaderboard.bootstrap import FloatArray
from judgeforge.leaderboard.direct import direct_board
from judgeforge.leaderboard.grading import Compared, Graded
from judgeforge.leaderboard.pairs import pairs_board
from judgeforge.leaderboard.winrate import baseline_board

LEVELS = np.arange(1, 6, dtype=np.float64)


@dataclass(frozen=True)
class Truth:
    """Known strengths: ``score_probabilities`` (models, 5) over scores 1..5, ``theta`` (models,), mean 0."""

    models: tuple[str, ...]
    score_probabilities: FloatArray
    theta: FloatArray
    baseline: str

    @property
    def mean_scores(self) -> FloatArray:
        result: FloatArray = self.score_probabilities @ LEVELS
        return result

    def win_rate(self, model: str) -> float:
        """The probability that ``model`` beats the baseline: sigmoid(theta_model - theta_baseline)."""
        gap = self.theta[self.models.index(model)] - self.theta[self.models.index(self.baseline)]
        return 1.0 / (1.0 + math.exp(-gap))


def default_truth(count: int = 5) -> Truth:
    """``count`` models m1..mN: scores from a normal of sd 1 centred on 1.8..4.2, rounded and clipped to
    1..5 (a discretized normal), and theta evenly spaced on [-1.5, 1.5]; the middle model is the baseline.

    With five models, neighbours differ by 0.6 in centre and 0.75 in theta (win rates against the baseline
    0.18, 0.32, 0.68, 0.82): far enough apart that 200 instructions rank them right almost always, so a
    wrong ranking points at the code rather than at chance."""
    centres = np.linspace(1.8, 4.2, count)
    cuts = np.array([-np.inf, 1.5, 2.5, 3.5, 4.5, np.inf])
    normal_cdf = np.vectorize(lambda x: 0.5 * (1.0 + math.erf(x / math.sqrt(2.0))))
    probabilities = np.array([np.diff(normal_cdf(cuts - centre)) for centre in centres])
    models = tuple(f"m{index + 1}" for index in range(count))
    return Truth(models, probabilities, np.linspace(-1.5, 1.5, count), models[count // 2])


def simulate(
    truth: Truth, instructions: int, rng: np.random.Generator
) -> tuple[list[Graded], list[Compared], list[Compared]]:
    """(direct verdicts, verdicts against the baseline, verdicts between all pairs) for ``instructions``."""
    graded: list[Graded] = []
    baseline: list[Compared] = []
    pairs: list[Compared] = []
    base = truth.models.index(truth.baseline)
    for index in range(instructions):
        key = f"i{index:05d}"
        lengths = rng.integers(200, 801, len(truth.models))
        for model, probabilities, length in zip(truth.models, truth.score_probabilities, lengths):
            graded.append(Graded(key, model, float(rng.choice(LEVELS, p=probabilities)), int(length)))
        for first in range(len(truth.models)):
            if first != base:
                baseline.append(_verdict(truth, key, first, base, lengths, rng))
            pairs.extend(
                _verdict(truth, key, first, second, lengths, rng)
                for second in range(first + 1, len(truth.models))
            )
    return graded, baseline, pairs


def _verdict(
    truth: Truth, key: str, first: int, second: int, lengths: Any, rng: np.random.Generator
) -> Compared:
    a, b = (second, first) if rng.random() < 0.5 else (first, second)
    won = rng.random() < 1.0 / (1.0 + math.exp(truth.theta[b] - truth.theta[a]))
    return Compared(
        key, truth.models[a], truth.models[b], 1.0 if won else 0.0, int(lengths[a]), int(lengths[b])
    )


@dataclass
class Coverage:
    """Per statistic: how many repetitions covered each model's true value, and ranked all models right."""

    repetitions: int = 0
    covered: dict[str, dict[str, int]] = field(default_factory=dict)
    ranked: dict[str, int] = field(default_factory=dict)

    def add(self, statistic: str, model: str, hit: bool) -> None:
        counts = self.covered.setdefault(statistic, {})
        counts[model] = counts.get(model, 0) + int(hit)

    def rank(self, statistic: str, correct: bool) -> None:
        self.ranked[statistic] = self.ranked.get(statistic, 0) + int(correct)

    def pooled(self, statistic: str | None = None) -> float:
        """The share of all intervals (of one statistic, or of every one) that covered their true value."""
        chosen = [self.covered[statistic]] if statistic is not None else list(self.covered.values())
        hits = sum(sum(counts.values()) for counts in chosen)
        return hits / max(1, self.repetitions * sum(len(counts) for counts in chosen))

    def worst(self) -> int:
        """The smallest coverage count over every statistic and model."""
        return min(count for counts in self.covered.values() for count in counts.values())


def coverage_study(
    truth: Truth,
    *,
    repetitions: int,
    instructions: int,
    resamples: int,
    seed: int = 0,
    confidence: float = 0.95,
) -> Coverage:
    """Simulate ``repetitions`` leaderboards (generator seeded with (seed, repetition)) and count coverage of
    the mean score, the win rate, the length-controlled win rate and the Bradley-Terry rating."""
    result = Coverage()
    order = [truth.models[i] for i in np.argsort(-truth.theta)]
    rates = {model: truth.win_rate(model) for model in truth.models}
    for repetition in range(repetitions):
        verdicts = simulate(truth, instructions, np.random.default_rng([seed, repetition]))
        direct, against, rated = _boards(truth, verdicts, resamples, repetition, confidence)
        _score(result, "mean score", direct, dict(zip(truth.models, truth.mean_scores)), order)
        _score(result, "win rate", against, rates, order)
        lc = [
            {"model": r["model"], **(r.get("length_controlled") or {})}
            for r in against
            if not r.get("baseline")
        ]
        _score(result, "length-controlled win rate", lc, rates, None)
        _score(result, "Bradley-Terry rating", rated, dict(zip(truth.models, truth.theta)), order)
        result.repetitions += 1
    return result


def _boards(
    truth: Truth,
    verdicts: tuple[list[Graded], list[Compared], list[Compared]],
    resamples: int,
    seed: int,
    confidence: float,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """The rankings of the three protocols, built as ``judgeforge leaderboard`` builds them."""
    graded, baseline, pairs = verdicts
    direct = direct_board(graded, truth.models, {}, resamples=resamples, seed=seed, confidence=confidence)
    against = baseline_board(
        baseline,
        truth.models,
        truth.baseline,
        resamples=resamples,
        seed=seed,
        confidence=confidence,
        length_control=True,
    )
    rated = pairs_board(pairs, truth.models, resamples=resamples, seed=seed, confidence=confidence)
    return direct["ranking"], against["ranking"], rated["ranking"]


def _score(
    result: Coverage,
    statistic: str,
    rows: list[dict[str, Any]],
    true: dict[str, float],
    order: list[str] | None,
) -> None:
    for row in rows:
        if row.get("baseline"):
            continue
        low, high = row.get("low"), row.get("high")
        result.add(
            statistic,
            row["model"],
            low is not None and high is not None and low <= true[row["model"]] <= high,
        )
    if order is not None:
        result.rank(statistic, [row["model"] for row in rows] == order)
