"""The ``baseline`` protocol's table: each model's win rate against one baseline model.

Win rate: the mean over instructions of the outcome from the model's side (1 win, 0.5 tie, 0 loss), each
pair judged in both orders with an order-dependent verdict counted as a tie. ``standard_error`` is
s / sqrt(n) with s the sample standard deviation of the outcomes (what alpaca_eval reports); the interval
is the percentile bootstrap over instructions (:mod:`judgeforge.leaderboard.bootstrap`).

Length-controlled win rate (``length_control``), our definition: per model, a logistic regression of the
outcome on x = tanh(delta / s_delta), delta = len(model) - len(baseline) in characters and s_delta its
sample standard deviation over that model's comparisons: logit P(win) = alpha + beta x, ties entering as
half a win and half a loss, unpenalized maximum likelihood (:mod:`judgeforge.leaderboard.logistic`). The
length-controlled win rate is the prediction at zero length difference, sigmoid(alpha); its interval is
sigmoid(alpha +- z se(alpha)) from the observed information (Wald, on the log-odds scale).

AlpacaEval 2's length-controlled win rate (Dubois, Galambosi, Liang and Hashimoto, 2024, "Length-Controlled
AlpacaEval: A Simple Way to Debias Automatic Evaluators", arXiv:2404.04475) uses the same feature,
tanh of the standardized length difference, and the same counterfactual (predict at zero difference), but
differs in that it: adds an instruction-difficulty term (fitted across many models and shipped with the
package) and averages the prediction over instructions; fits the judge's continuous preference (from
token probabilities) rather than verdicts; fits with L1 regularization chosen by 5-fold cross-validation;
and regularizes towards fits on deliberately verbose and terse versions of the baseline. Its numbers are
therefore not comparable with ours, only the idea is the same.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np

from judgeforge.leaderboard.bootstrap import (
    FloatArray,
    finite_or_none,
    percentile_interval,
    resample_counts,
    weighted_column_means,
)
from judgeforge.leaderboard.direct import ranked
from judgeforge.leaderboard.grading import Compared
from judgeforge.leaderboard.logistic import Solver, fit_logistic, information, sigmoid


def from_side(compared: Compared, model: str, other: str) -> tuple[float, float] | None:
    """(outcome, length difference) of ``compared`` from ``model``'s side against ``other``, if it is their
    comparison and it has a verdict."""
    if compared.outcome is None:
        return None
    if (compared.model_a, compared.model_b) == (model, other):
        return compared.outcome, float(compared.length_a - compared.length_b)
    if (compared.model_a, compared.model_b) == (other, model):
        return 1.0 - compared.outcome, float(compared.length_b - compared.length_a)
    return None


def win_matrix(compared: Sequence[Compared], rows: Sequence[str], columns: Sequence[str]) -> dict[str, Any]:
    """The win-rate matrix: ``{"rows", "columns", "win_rate", "n"}``, ``win_rate[i][j]`` the share of the
    verdicts between ``rows[i]`` and ``columns[j]`` won by ``rows[i]`` (ties half; both orders of a pair are
    one verdict, as in the rankings), ``n[i][j]`` how many verdicts that is; None where the two have no
    verdict (a model against itself, or a pair a ``--budget`` left out)."""
    won: defaultdict[tuple[str, str], float] = defaultdict(float)
    seen: defaultdict[tuple[str, str], int] = defaultdict(int)
    for c in compared:
        if c.outcome is not None and c.model_a != c.model_b:
            won[c.model_a, c.model_b] += c.outcome
            won[c.model_b, c.model_a] += 1.0 - c.outcome
            seen[c.model_a, c.model_b] += 1
            seen[c.model_b, c.model_a] += 1
    return {
        "rows": list(rows),
        "columns": list(columns),
        "win_rate": [[won[r, c] / seen[r, c] if seen[r, c] else None for c in columns] for r in rows],
        "n": [[seen[r, c] for c in columns] for r in rows],
    }


def outcome_matrix(
    compared: Sequence[Compared], models: Sequence[str], baseline: str
) -> tuple[FloatArray, FloatArray]:
    """(outcomes, length differences), both (instructions, models), NaN where a model has no verdict."""
    keys = sorted({c.instruction_id for c in compared})
    rows = {key: index for index, key in enumerate(keys)}
    outcomes = np.full((len(keys), len(models)), np.nan)
    deltas = np.full((len(keys), len(models)), np.nan)
    for c in compared:
        for column, model in enumerate(models):
            seen = from_side(c, model, baseline)
            if seen is not None:
                outcomes[rows[c.instruction_id], column], deltas[rows[c.instruction_id], column] = seen
    return outcomes, deltas


def baseline_board(
    compared: Sequence[Compared],
    models: Sequence[str],
    baseline: str,
    *,
    resamples: int,
    seed: int,
    confidence: float,
    length_control: bool = False,
    solver: Solver = "auto",
) -> dict[str, Any]:
    """The ranking against ``baseline`` (which itself stands at 0.5, without an interval)."""
    others = [model for model in models if model != baseline]
    outcomes, deltas = outcome_matrix(compared, others, baseline)
    draws = weighted_column_means(outcomes, resample_counts(outcomes.shape[0], resamples, seed))
    low, high = percentile_interval(draws, confidence)
    rows = [{"model": baseline, "win_rate": 0.5, "baseline": True}]
    for column, model in enumerate(others):
        values = outcomes[:, column][~np.isnan(outcomes[:, column])]
        row = win_rate_row(model, values, low[column], high[column])
        if length_control:
            row["length_controlled"] = length_controlled(
                values, deltas[:, column][~np.isnan(deltas[:, column])], confidence, solver
            )
        rows.append(row)
    return {"baseline": baseline, "ranking": ranked(rows, "win_rate")}


def win_rate_row(model: str, values: FloatArray, low: float, high: float) -> dict[str, Any]:
    n = int(values.size)
    row: dict[str, Any] = {"model": model, "win_rate": float(values.mean()) if n else None}
    row["standard_error"] = float(values.std(ddof=1) / math.sqrt(n)) if n > 1 else None
    row["low"], row["high"] = finite_or_none(low), finite_or_none(high)
    row.update(
        n=n,
        wins=int(np.sum(values == 1.0)),
        ties=int(np.sum(values == 0.5)),
        losses=int(np.sum(values == 0.0)),
    )
    return row


def length_controlled(
    outcomes: FloatArray, deltas: FloatArray, confidence: float, solver: Solver = "auto"
) -> dict[str, Any] | None:
    """{"win_rate", "low", "high", "length_coefficient"} by the module's definition; None when the
    regression has no finite maximum (e.g. the model won or lost every comparison)."""
    spread = float(deltas.std(ddof=1)) if deltas.size > 1 else 0.0
    x = np.tanh(deltas / spread) if spread > 0 else np.zeros_like(deltas)
    features = x[:, None] if spread > 0 else np.zeros((len(x), 0))
    labels = np.concatenate([np.ones(len(x)), np.zeros(len(x))])
    weights = np.concatenate([outcomes, 1.0 - outcomes])
    coefficients = fit_logistic(
        np.vstack([features, features]), labels, weights, intercept=True, solver=solver
    )
    if coefficients is None:
        return None
    design = np.column_stack([np.ones(2 * len(x)), np.vstack([features, features])])
    covariance = np.linalg.pinv(information(design, coefficients, weights))
    z = _normal_quantile(confidence)
    spread_alpha = z * math.sqrt(max(float(covariance[0, 0]), 0.0))
    alpha = float(coefficients[0])
    return {
        "win_rate": sigmoid(alpha),
        "low": sigmoid(alpha - spread_alpha),
        "high": sigmoid(alpha + spread_alpha),
        "length_coefficient": float(coefficients[1]) if len(coefficients) > 1 else None,
    }


def _normal_quantile(confidence: float) -> float:
    """The two-sided standard normal quantile (1.959964 for 0.95), from the standard library."""
    from statistics import NormalDist

    return NormalDist().inv_cdf(0.5 + confidence / 2.0)
