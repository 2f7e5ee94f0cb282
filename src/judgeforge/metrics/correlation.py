"""Correlations between a judge's scores and gold scores, with seeded bootstrap confidence intervals.

Pearson r, Spearman rho (Pearson on average ranks) and Kendall tau-b (tie-corrected), as ``scipy.stats``
defines them; implemented on numpy so that the core needs no scipy. Undefined values (constant input,
fewer than two points) are ``None``, never a number that looks like a result.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]
Numbers = Sequence[float] | Array
Correlation = Callable[[Array, Array], float | None]


def _arrays(x: Numbers, y: Numbers) -> tuple[Array, Array]:
    a, b = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError("x and y must be 1-d sequences of the same length")
    return a, b


def pearson(x: Numbers, y: Numbers) -> float | None:
    """Pearson's r; None if either side is constant or there are fewer than two points."""
    a, b = _arrays(x, y)
    if a.size < 2:
        return None
    da, db = a - a.mean(), b - b.mean()
    denominator = float(np.sqrt((da @ da) * (db @ db)))
    if denominator == 0.0:
        return None
    return float(np.clip((da @ db) / denominator, -1.0, 1.0))


def rankdata(values: Numbers) -> Array:
    """1-based ranks, ties given their average rank (scipy's ``method='average'``)."""
    a = np.asarray(values, dtype=np.float64)
    order = np.argsort(a, kind="mergesort")
    sorted_values = a[order]
    starts = np.r_[True, sorted_values[1:] != sorted_values[:-1]]
    group = np.cumsum(starts) - 1
    first = np.flatnonzero(starts)
    last = np.r_[first[1:], a.size] - 1
    average = (first + last) / 2.0 + 1.0
    ranks = np.empty(a.size, dtype=np.float64)
    ranks[order] = average[group]
    return ranks


def spearman(x: Numbers, y: Numbers) -> float | None:
    """Spearman's rho: Pearson's r of the average ranks."""
    a, b = _arrays(x, y)
    return pearson(rankdata(a), rankdata(b))


def kendall_tau(x: Numbers, y: Numbers) -> float | None:
    """Kendall's tau-b: (concordant - discordant) / sqrt((n0 - n1) (n0 - n2)) over all pairs."""
    a, b = _arrays(x, y)
    if a.size < 2:
        return None
    upper = np.triu_indices(a.size, k=1)
    sa = np.sign(a[:, None] - a[None, :])[upper]
    sb = np.sign(b[:, None] - b[None, :])[upper]
    untied_a, untied_b = float(np.count_nonzero(sa)), float(np.count_nonzero(sb))
    if untied_a == 0 or untied_b == 0:
        return None
    return float(np.clip((sa @ sb) / np.sqrt(untied_a * untied_b), -1.0, 1.0))


CORRELATIONS: dict[str, Callable[[Numbers, Numbers], float | None]] = {
    "pearson": pearson,
    "spearman": spearman,
    "kendall": kendall_tau,
}


def bootstrap_ci(
    statistic: Callable[..., float | None],
    *samples: Sequence[float] | Sequence[object],
    resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> tuple[float, float] | None:
    """Percentile bootstrap interval of ``statistic(*samples)``, resampling items jointly with a seeded rng.

    Resamples where the statistic is undefined are dropped; None if fewer than half remain.
    """
    size = len(samples[0])
    if size < 2 or any(len(sample) != size for sample in samples):
        return None
    rng = np.random.default_rng(seed)
    columns = [np.asarray(sample, dtype=object) for sample in samples]
    values = []
    for _ in range(resamples):
        index = rng.integers(0, size, size)
        value = statistic(*(list(column[index]) for column in columns))
        if value is not None:
            values.append(value)
    if len(values) < resamples / 2:
        return None
    tail = (1.0 - confidence) / 2.0 * 100.0
    low, high = np.percentile(np.asarray(values, dtype=np.float64), [tail, 100.0 - tail])
    return float(low), float(high)
