"""The cluster bootstrap over instructions: every statistic of a leaderboard is recomputed on resampled
instruction sets, and its interval is the percentile interval of those recomputations.

Instructions are the unit of resampling (Efron and Tibshirani, *An Introduction to the Bootstrap*, 1993,
ch. 13, percentile intervals): all verdicts on one instruction (every model's score, every pair judged on
it) go in or out together, so the intervals account for models being compared on the same, correlated,
instructions. A resample is drawn as multinomial counts (how often each instruction is taken), which lets
means and fits use the counts as weights instead of copying data.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Iterator

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


def resample_counts(clusters: int, resamples: int, seed: int) -> IntArray:
    """(resamples, clusters) counts: row r says how often each cluster is drawn in resample r (sums to
    ``clusters``); drawn with ``numpy.random.default_rng(seed)``."""
    if clusters == 0:
        return np.zeros((resamples, 0), dtype=np.int64)
    rng = np.random.default_rng(seed)
    counts: IntArray = rng.multinomial(clusters, np.full(clusters, 1.0 / clusters), size=resamples)
    return counts


def weighted_column_means(values: FloatArray, counts: IntArray) -> FloatArray:
    """Per resample and column, the mean of the column's non-missing values weighted by the counts.

    ``values`` is (clusters, columns) with NaN for a missing value; ``counts`` is (resamples, clusters).
    Returns (resamples, columns); NaN where a resample holds no value of the column.
    """
    present = ~np.isnan(values)
    totals = counts @ np.where(present, values, 0.0)
    sizes = counts @ present.astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        means: FloatArray = totals / sizes
    return means


def finite_or_none(value: float) -> float | None:
    """``value`` as a float, or None for NaN (JSON has no NaN; a missing interval end is null)."""
    return None if value != value else float(value)


def percentile_interval(draws: FloatArray, confidence: float) -> tuple[FloatArray, FloatArray]:
    """(low, high) per column of ``draws`` (resamples, columns): the (1-c)/2 and (1+c)/2 percentiles over the
    resamples where the statistic was defined; NaN for a column defined in fewer than half of them."""
    tail = (1.0 - confidence) / 2.0 * 100.0
    low = np.full(draws.shape[1], np.nan)
    high = np.full(draws.shape[1], np.nan)
    for column in range(draws.shape[1]):
        finite = draws[:, column][np.isfinite(draws[:, column])]
        if finite.size and finite.size >= draws.shape[0] / 2:
            low[column], high[column] = np.percentile(finite, [tail, 100.0 - tail])
    return low, high


@contextlib.contextmanager
def single_threaded_blas() -> Iterator[None]:
    """Run the block with one BLAS thread (threadpoolctl, where installed: scikit-learn brings it).

    A bootstrap multiplies many small matrices; OpenBLAS threads them, and on a busy machine waiting for its
    threads costs more than the work (a batch of 100 length-covariate fits, 5 models x 2,000 comparisons,
    took 2.8 s with threads and 0.5 s without, on 2 shared cores).
    """
    try:
        threadpoolctl = importlib.import_module("threadpoolctl")
    except ImportError:
        yield
        return
    with threadpoolctl.threadpool_limits(limits=1, user_api="blas"):
        yield
