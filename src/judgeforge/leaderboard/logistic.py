"""Unpenalized weighted logistic regression (maximum likelihood) with a maintained library.

``solver="sklearn"`` fits with scikit-learn's ``LogisticRegression`` without penalty (``C=inf`` from 1.8 on,
``penalty=None`` before; Newton-Cholesky, tolerance 1e-10); ``"scipy"`` minimizes the weighted negative
log-likelihood sum_j w_j (log(1 + e^{z_j}) - y_j z_j), z = X b, with ``scipy.optimize.minimize`` (L-BFGS-B,
analytic gradient X^T (w (sigmoid(z) - y))). ``"auto"`` takes scikit-learn when it is installed, else scipy
(the ``bench`` extra). Both give the same maximum to the tolerance.

Where the maximum likelihood estimate does not exist (one class only, separated data), the fit returns None
rather than a number that only says where the optimizer stopped: no convergence, or a fitted log-odds
beyond ``MAX_LOG_ODDS`` on a row of the data (a probability within 1e-13 of 0 or 1: under separation the
fitted probabilities run to 0 and 1; a finite estimate keeps them inside). Coefficients themselves may be
large where a prediction is extrapolated far outside the data, which is no reason to refuse them.
"""

from __future__ import annotations

import importlib
import inspect
import warnings
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from judgeforge.lazy import require

FloatArray = NDArray[np.float64]
Solver = Literal["auto", "sklearn", "scipy"]
MAX_LOG_ODDS = 30.0


def resolve_solver(solver: Solver) -> Literal["sklearn", "scipy"]:
    """The solver ``auto`` stands for here: scikit-learn if importable, else scipy (or an error naming the
    extra)."""
    if solver != "auto":
        return solver
    try:
        importlib.import_module("sklearn.linear_model")
    except ImportError:
        require("scipy.optimize", "bench")
        return "scipy"
    return "sklearn"


def fit_logistic(
    features: FloatArray,
    labels: FloatArray,
    weights: FloatArray,
    *,
    intercept: bool = False,
    solver: Solver = "auto",
) -> FloatArray | None:
    """Coefficients (the intercept first when ``intercept``) maximizing the weighted likelihood of
    ``labels`` (0/1) given ``features`` (rows, k); None when no finite maximum exists (see the module)."""
    keep = weights > 0
    features, labels, weights = features[keep], labels[keep], weights[keep]
    if not (np.any(labels == 1) and np.any(labels == 0)):
        return None  # one class only: the likelihood grows without bound
    if intercept:
        features = np.column_stack([np.ones(len(labels)), features])
    chosen = resolve_solver(solver)
    coefficients = (
        _sklearn(features, labels, weights) if chosen == "sklearn" else _scipy(features, labels, weights)
    )
    if coefficients is None or not np.all(np.abs(features @ coefficients) < MAX_LOG_ODDS):
        return None
    return coefficients


def _sklearn(features: FloatArray, labels: FloatArray, weights: FloatArray) -> FloatArray | None:
    linear_model = importlib.import_module("sklearn.linear_model")
    exceptions = importlib.import_module("sklearn.exceptions")
    model = linear_model.LogisticRegression(**_unpenalized(linear_model), fit_intercept=False, **_SKLEARN)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(features, labels.astype(np.int64), sample_weight=weights)
    if any(issubclass(w.category, exceptions.ConvergenceWarning) for w in caught):
        return None
    coefficients: FloatArray = np.asarray(model.coef_[0], dtype=np.float64)
    return coefficients


_SKLEARN: dict[str, Any] = {"solver": "newton-cholesky", "tol": 1e-10, "max_iter": 200}


def _unpenalized(linear_model: Any) -> dict[str, Any]:
    penalty = inspect.signature(linear_model.LogisticRegression).parameters.get("penalty")
    if penalty is not None and penalty.default == "deprecated":  # scikit-learn >= 1.8
        return {"C": np.inf}
    return {"penalty": None}


def _scipy(features: FloatArray, labels: FloatArray, weights: FloatArray) -> FloatArray | None:
    optimize = require("scipy.optimize", "bench")

    def objective(coefficients: FloatArray) -> tuple[float, FloatArray]:
        z = features @ coefficients
        loss = float(np.sum(weights * (np.logaddexp(0.0, z) - labels * z)))
        gradient: FloatArray = features.T @ (weights * (_sigmoid(z) - labels))
        return loss, gradient

    start = np.zeros(features.shape[1])
    result = optimize.minimize(
        objective, start, jac=True, method="L-BFGS-B", options={"gtol": 1e-10, "ftol": 1e-15, "maxiter": 1000}
    )
    coefficients: FloatArray = np.asarray(result.x, dtype=np.float64)
    # L-BFGS-B may end "abnormally" in its line search when it already sits on the optimum: judge by the
    # gradient, relative to the total weight, rather than by its flag.
    if not result.success and np.max(np.abs(objective(coefficients)[1])) > 1e-6 * float(np.sum(weights)):
        return None
    return coefficients


def _sigmoid(z: FloatArray) -> FloatArray:
    result: FloatArray = np.exp(-np.logaddexp(0.0, -z))
    return result


def _softplus_and_sigmoid(z: FloatArray) -> tuple[FloatArray, FloatArray]:
    """(log(1 + e^z), 1 / (1 + e^-z)) from one exponential: e = e^-|z|, softplus = max(z, 0) + log1p(e),
    sigmoid = 1 / (1 + e) for z >= 0 and e / (1 + e) below (stable at both ends)."""
    e = np.exp(-np.abs(z))
    softplus: FloatArray = np.maximum(z, 0.0) + np.log1p(e)
    probability: FloatArray = np.where(z >= 0.0, 1.0, e) / (1.0 + e)
    return softplus, probability


def sigmoid(value: float) -> float:
    """1 / (1 + e^-value), computed without overflow."""
    return float(np.exp(-np.logaddexp(0.0, -value)))


def information(features: FloatArray, coefficients: FloatArray, weights: FloatArray) -> FloatArray:
    """The observed Fisher information X^T diag(w p (1 - p)) X of a fit (features as fitted, intercept
    column included): its inverse is the usual (Wald) covariance of the coefficients."""
    p = _sigmoid(features @ coefficients)
    result: FloatArray = features.T @ (features * (weights * p * (1.0 - p))[:, None])
    return result


def fit_logistic_batch(
    features: FloatArray, positive: FloatArray, negative: FloatArray, start: FloatArray | None = None
) -> FloatArray:
    """Many fits over the same rows at once: row j of fit r has weight ``positive[r, j]`` as label 1 and
    ``negative[r, j]`` as label 0. Returns (fits, k) coefficients, a row of NaN where a fit has no finite
    maximum (see the module). ``start`` (k,) is every fit's starting point (e.g. the full data's estimate).

    The summed log-likelihood of independent fits is maximized where each term is, so one
    ``scipy.optimize.minimize`` (L-BFGS-B, analytic gradient, stopping when no gradient component exceeds
    1e-4 in log-likelihood units: coefficients within ~1e-5 of their maximum for a fit of a few hundred
    verdicts) over all fits' coefficients gives every fit: a bootstrap's thousand small fits cost one
    optimizer run instead of a thousand (tests check it against one fit at a time).
    """
    optimize = require("scipy.optimize", "bench")
    fits, k = positive.shape[0], features.shape[1]
    total = positive + negative

    def objective(flat: FloatArray) -> tuple[float, FloatArray]:
        z = flat.reshape(fits, k) @ features.T  # (fits, rows)
        softplus, probability = _softplus_and_sigmoid(z)
        loss = float(np.sum(total * softplus - positive * z))
        gradient: FloatArray = ((total * probability - positive) @ features).ravel()
        return loss, gradient

    initial = np.tile(np.zeros(k) if start is None else start, fits)
    result = optimize.minimize(
        objective,
        initial,
        jac=True,
        method="L-BFGS-B",
        options={"gtol": 1e-4, "ftol": 0.0, "maxiter": 20_000},
    )
    coefficients: FloatArray = np.asarray(result.x, dtype=np.float64).reshape(fits, k)
    used = total > 0
    log_odds = np.abs(coefficients @ features.T)
    coefficients[np.any(used & (log_odds >= MAX_LOG_ODDS), axis=1)] = np.nan
    return coefficients
