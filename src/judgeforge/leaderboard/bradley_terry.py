"""Bradley-Terry ratings by maximum likelihood, optionally with a length covariate, and their bootstrap.

Model (Bradley and Terry, 1952, in the logistic form Chatbot Arena uses, Chiang et al., 2024):
P(i beats j) = sigmoid(theta_i - theta_j). A verdict with outcome o from i's side (1 win, 0.5 tie, 0 loss)
enters the likelihood as o of a win and 1 - o of a loss, so a tie is half a win for each side, as Chatbot
Arena counts ties. The fit is a logistic regression without intercept on x = e_i - e_j
(:func:`judgeforge.leaderboard.logistic.fit_logistic`); theta is defined up to a constant, so the first
model's column is dropped (theta fixed at 0 there) and the ratings are then centred to mean 0.

The length covariate is Arena-Hard's style control reduced to length (Li et al., 2024, "Does style matter?
Disentangling style and substance in Chatbot Arena"): d = (len_A - len_B) / (len_A + len_B + 1) in
characters, z = d / sqrt(mean(d^2)), and logit P(A beats B) = theta_A - theta_B + beta z. The ratings are
those at equal length (z = 0). Arena also subtracts the mean of d; here A is a coin flip per comparison, so
that mean is ~0 and leaving it in keeps z = 0 at exactly equal lengths.

The maximum likelihood estimate exists only when the comparison graph ("i beat j at least partly") is
strongly connected (Zermelo, 1929; Ford, 1957): otherwise some model never lost (or never won) against a
group of others and its rating would be infinite. The fit then returns None instead of a number.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from judgeforge.leaderboard.logistic import FloatArray, Solver, fit_logistic, fit_logistic_batch

IntArray = NDArray[np.int64]
ELO_SCALE = 400.0 / math.log(10.0)  # Elo points per unit of theta (a 400-point gap is 10:1 odds)
ELO_BASE = 1000.0


@dataclass(frozen=True)
class Comparisons:
    """Pairwise verdicts as arrays: model indices ``a``/``b``, ``outcome`` from a's side, the cluster
    (instruction) index of each, and an optional covariate column per comparison (rows, k)."""

    a: IntArray
    b: IntArray
    outcome: FloatArray
    cluster: IntArray
    models: int
    covariates: FloatArray | None = None


@dataclass(frozen=True)
class BradleyTerryFit:
    theta: FloatArray  # (models,), mean 0, natural log-odds units
    beta: FloatArray  # (k,) covariate coefficients (empty without covariates)


def length_covariate(length_a: FloatArray, length_b: FloatArray) -> FloatArray:
    """z of the module docstring: the normalized length difference, scaled to unit root mean square."""
    d = (length_a - length_b) / (length_a + length_b + 1.0)
    scale = math.sqrt(float(np.mean(d * d))) if d.size else 0.0
    return d / scale if scale > 0 else d


def fit_bradley_terry(
    data: Comparisons, weights: FloatArray | None = None, solver: Solver = "auto"
) -> BradleyTerryFit | None:
    """The maximum likelihood ratings of ``data`` (each comparison weighted, default 1); None when the
    estimate does not exist (see the module docstring)."""
    w = np.ones(len(data.a)) if weights is None else weights
    wins = _win_matrix(data, w)
    if not strongly_connected(wins):
        return None
    if data.covariates is None:
        features, labels, row_weights = _aggregated(wins)
    else:
        features, labels, row_weights = _per_comparison(data, w)
    coefficients = fit_logistic(features, labels, row_weights, solver=solver)
    if coefficients is None:
        return None
    theta = np.concatenate([[0.0], coefficients[: data.models - 1]])
    return BradleyTerryFit(theta - theta.mean(), coefficients[data.models - 1 :])


def _win_matrix(data: Comparisons, weights: FloatArray) -> FloatArray:
    """wins[i, j]: the weighted number of times i beat j (ties count half)."""
    wins = np.zeros((data.models, data.models))
    np.add.at(wins, (data.a, data.b), weights * data.outcome)
    np.add.at(wins, (data.b, data.a), weights * (1.0 - data.outcome))
    return wins


def strongly_connected(wins: FloatArray) -> bool:
    """Whether every model reaches every other along "beat at least partly" edges (and back)."""
    edges = wins > 0
    return bool(_reaches_all(edges) and _reaches_all(edges.T))


def _reaches_all(edges: NDArray[np.bool_]) -> bool:
    reached = np.zeros(edges.shape[0], dtype=bool)
    reached[0] = True
    frontier = reached.copy()
    while frontier.any():
        new = edges[frontier].any(axis=0) & ~reached
        reached |= new
        frontier = new
    return bool(reached.all())


def _difference_rows(first: IntArray, second: IntArray, models: int) -> FloatArray:
    rows = np.zeros((len(first), models))
    rows[np.arange(len(first)), first] = 1.0
    rows[np.arange(len(first)), second] = -1.0
    return rows[:, 1:]  # the first model is the reference (theta 0)


def _aggregated(wins: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """One row per (pair, result) with the summed weight: the same likelihood as one row per verdict, far
    fewer rows to fit (which is what makes a thousand bootstrap fits cheap)."""
    first, second = np.triu_indices(wins.shape[0], k=1)
    rows = _difference_rows(first.astype(np.int64), second.astype(np.int64), wins.shape[0])
    features = np.vstack([rows, rows])
    labels = np.concatenate([np.ones(len(first)), np.zeros(len(first))])
    return features, labels, np.concatenate([wins[first, second], wins[second, first]])


def _per_comparison(data: Comparisons, weights: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    assert data.covariates is not None
    rows = np.column_stack([_difference_rows(data.a, data.b, data.models), data.covariates])
    features = np.vstack([rows, rows])
    labels = np.concatenate([np.ones(len(rows)), np.zeros(len(rows))])
    return features, labels, np.concatenate([weights * data.outcome, weights * (1.0 - data.outcome)])


# Resamples x rows fitted in one batch: bounds the memory of a fit (a few arrays of ~2 MB) and keeps the
# optimizer's iterations few (measured on 5 models x 200 instructions with the length covariate: batches of
# 100 resamples took 36 L-BFGS iterations, of 10 resamples 30 each, of one resample ~120 each).
BATCH_CELLS = 200_000


def bootstrap_bradley_terry(
    data: Comparisons, counts: NDArray[np.int64], start: BradleyTerryFit | None = None
) -> tuple[FloatArray, FloatArray]:
    """(theta draws (resamples, models), beta draws (resamples, k)) for the rows of ``counts`` (how often
    each cluster is drawn); NaN where a resample's estimate does not exist.

    Resamples are fitted together in batched maximizations
    (:func:`judgeforge.leaderboard.logistic.fit_logistic_batch`) starting from ``start`` (the full data's
    fit); a resample whose comparison graph is not strongly connected is left out (NaN).
    """
    k = 0 if data.covariates is None else data.covariates.shape[1]
    thetas = np.full((counts.shape[0], data.models), np.nan)
    betas = np.full((counts.shape[0], k), np.nan)
    pair_won, pair_lost = _pair_sums(data, counts)
    connected = np.flatnonzero(
        [_connected_pairs(won, lost, data.models) for won, lost in zip(pair_won, pair_lost)]
    )
    initial = None if start is None else np.concatenate([start.theta[1:] - start.theta[0], start.beta])
    rows = len(data.a) if data.covariates is not None else pair_won.shape[1]
    step = max(1, BATCH_CELLS // max(rows, 1))
    for begin in range(0, len(connected), step):
        chosen = connected[begin : begin + step]
        if data.covariates is None:
            features, positive, negative = _pair_features(data.models), pair_won[chosen], pair_lost[chosen]
        else:
            weights = counts[chosen][:, data.cluster].astype(np.float64)
            features = np.column_stack([_difference_rows(data.a, data.b, data.models), data.covariates])
            positive, negative = weights * data.outcome, weights * (1.0 - data.outcome)
        coefficients = fit_logistic_batch(features, positive, negative, initial)
        theta = np.column_stack([np.zeros(len(chosen)), coefficients[:, : data.models - 1]])
        thetas[chosen] = theta - theta.mean(axis=1, keepdims=True)
        betas[chosen] = coefficients[:, data.models - 1 :]
    return thetas, betas


def _pair_features(models: int) -> FloatArray:
    first, second = np.triu_indices(models, k=1)
    return _difference_rows(first.astype(np.int64), second.astype(np.int64), models)


def _pair_sums(data: Comparisons, counts: NDArray[np.int64]) -> tuple[FloatArray, FloatArray]:
    """Per resample and model pair (i < j, in ``np.triu_indices`` order): the weighted wins and losses of i
    against j, from per-cluster sums (so no resamples x comparisons array is built)."""
    first, second = np.triu_indices(data.models, k=1)
    index = np.full((data.models, data.models), -1, dtype=np.int64)
    index[first, second] = np.arange(len(first))
    pair = index[np.minimum(data.a, data.b), np.maximum(data.a, data.b)]
    won = np.where(data.a < data.b, data.outcome, 1.0 - data.outcome)  # from the lower index's side
    clusters = counts.shape[1]
    won_by, lost_by = np.zeros((clusters, len(first))), np.zeros((clusters, len(first)))
    np.add.at(won_by, (data.cluster, pair), won)
    np.add.at(lost_by, (data.cluster, pair), 1.0 - won)
    scaled = counts.astype(np.float64)
    return scaled @ won_by, scaled @ lost_by


def _connected_pairs(won: FloatArray, lost: FloatArray, models: int) -> bool:
    first, second = np.triu_indices(models, k=1)
    wins = np.zeros((models, models))
    wins[first, second], wins[second, first] = won, lost
    return strongly_connected(wins)
