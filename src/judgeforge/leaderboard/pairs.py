"""The ``pairs`` protocol's table: Bradley-Terry ratings from comparisons between every pair of models.

``rating`` is theta of :mod:`judgeforge.leaderboard.bradley_terry` (natural log-odds, mean 0 over the rated
models: sigmoid(rating_i - rating_j) is the predicted probability that i's response is preferred to j's);
``elo`` is the same on Chatbot Arena's display scale, 1000 + 400 theta / ln 10. Intervals: the percentile
bootstrap over instructions (all comparisons on a drawn instruction are taken together), one fit per
resample. The point estimate is fitted with ``solver`` (scikit-learn by default); the resamples are fitted
in batches with scipy (:func:`judgeforge.leaderboard.logistic.fit_logistic_batch`), which tests check
against one scikit-learn fit per resample. ``win_rate`` is the plain share of comparisons won (ties half), against whoever the model met.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from judgeforge.leaderboard.bootstrap import (
    finite_or_none,
    percentile_interval,
    resample_counts,
    single_threaded_blas,
)
from judgeforge.leaderboard.bradley_terry import (
    ELO_BASE,
    ELO_SCALE,
    Comparisons,
    bootstrap_bradley_terry,
    fit_bradley_terry,
    length_covariate,
)
from judgeforge.leaderboard.direct import ranked
from judgeforge.leaderboard.grading import Compared
from judgeforge.leaderboard.logistic import Solver

NO_ESTIMATE = (
    "no maximum likelihood ratings: some models never lost (or never won) against the rest, so their "
    "ratings would be infinite; add comparisons (a larger --budget) or instructions"
)


def comparisons(compared: Sequence[Compared], models: Sequence[str], length_control: bool) -> Comparisons:
    """The verdicts (those with an outcome) as arrays over ``models``."""
    index = {model: position for position, model in enumerate(models)}
    judged = [c for c in compared if c.outcome is not None and c.model_a in index and c.model_b in index]
    keys = {key: position for position, key in enumerate(sorted({c.instruction_id for c in judged}))}
    covariates = None
    if length_control:
        lengths = np.array([(c.length_a, c.length_b) for c in judged], dtype=np.float64).reshape(-1, 2)
        covariates = length_covariate(lengths[:, 0], lengths[:, 1])[:, None]
    return Comparisons(
        a=np.array([index[c.model_a] for c in judged], dtype=np.int64),
        b=np.array([index[c.model_b] for c in judged], dtype=np.int64),
        outcome=np.array([c.outcome for c in judged], dtype=np.float64),
        cluster=np.array([keys[c.instruction_id] for c in judged], dtype=np.int64),
        models=len(models),
        covariates=covariates,
    )


def pairs_board(
    compared: Sequence[Compared],
    models: Sequence[str],
    *,
    resamples: int,
    seed: int,
    confidence: float,
    length_control: bool = False,
    solver: Solver = "auto",
) -> dict[str, Any]:
    """Ratings with intervals for the models that took part in a comparison with a verdict."""
    rated = [
        m for m in models if any(c.outcome is not None and m in (c.model_a, c.model_b) for c in compared)
    ]
    data = comparisons(compared, rated, length_control)
    fit = fit_bradley_terry(data, solver=solver) if len(rated) > 1 else None
    board: dict[str, Any] = {"fit": "maximum likelihood" if fit is not None else NO_ESTIMATE}
    if len(rated) < 2:
        board["fit"] = "no ratings: fewer than two models have a pairwise verdict"
    low = high = np.full(len(rated), np.nan)
    if fit is not None:
        counts = resample_counts(int(data.cluster.max()) + 1, resamples, seed)
        with single_threaded_blas():
            thetas, betas = bootstrap_bradley_terry(data, counts, fit)
        low, high = percentile_interval(thetas, confidence)
        if length_control:
            beta_low, beta_high = percentile_interval(betas, confidence)
            board["length_coefficient"] = {
                "value": float(fit.beta[0]),
                "low": finite_or_none(beta_low[0]),
                "high": finite_or_none(beta_high[0]),
            }
    rows = [
        _row(model, compared, None if fit is None else fit.theta[i], low[i], high[i])
        for i, model in enumerate(rated)
    ]
    rows += [_row(model, compared, None, math.nan, math.nan) for model in models if model not in rated]
    board["ranking"] = ranked(rows, "rating")
    return board


def _row(
    model: str, compared: Sequence[Compared], theta: float | None, low: float, high: float
) -> dict[str, Any]:
    outcomes = [
        c.outcome if c.model_a == model else 1.0 - c.outcome
        for c in compared
        if c.outcome is not None and model in (c.model_a, c.model_b)
    ]
    row: dict[str, Any] = {"model": model, "rating": None if theta is None else float(theta)}
    row["low"], row["high"] = finite_or_none(low), finite_or_none(high)
    row["elo"] = None if theta is None else elo(float(theta))
    row["elo_low"] = None if row["low"] is None else elo(row["low"])
    row["elo_high"] = None if row["high"] is None else elo(row["high"])
    row["n"] = len(outcomes)
    row["win_rate"] = sum(outcomes) / len(outcomes) if outcomes else None
    row.update(wins=outcomes.count(1.0), ties=outcomes.count(0.5), losses=outcomes.count(0.0))
    return row


def elo(theta: float) -> float:
    """theta on the Elo display scale: 1000 + 400 theta / ln 10."""
    return ELO_BASE + ELO_SCALE * theta
