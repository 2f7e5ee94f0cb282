"""The ``direct`` protocol's table: each model's mean score 1..5 over the instructions it was graded on.

The interval is the percentile bootstrap over instructions (:mod:`judgeforge.leaderboard.bootstrap`):
each resample draws instructions with replacement and recomputes every model's mean on the same draw.
Responses without a verdict are left out of their model's mean (and counted in the diagnostics).
``distribution`` counts scores rounded half up (a mean of several samples, 3.5, counts as 4). Per-category
and per-rubric tables give the mean and count of each model within each group (no intervals: groups are
often too small for them to mean much).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from judgeforge.leaderboard.bootstrap import (
    finite_or_none,
    percentile_interval,
    resample_counts,
    weighted_column_means,
)
from judgeforge.leaderboard.grading import Graded
from judgeforge.leaderboard.inputs import Instruction


def score_matrix(graded: Sequence[Graded], models: Sequence[str]) -> tuple[list[str], np.ndarray[Any, Any]]:
    """(instruction ids sorted, scores (instructions, models) with NaN where there is no score)."""
    keys = sorted({g.instruction_id for g in graded})
    rows = {key: index for index, key in enumerate(keys)}
    columns = {model: index for index, model in enumerate(models)}
    matrix = np.full((len(keys), len(models)), np.nan)
    for g in graded:
        if g.score is not None and g.model in columns:
            matrix[rows[g.instruction_id], columns[g.model]] = g.score
    return keys, matrix


def direct_board(
    graded: Sequence[Graded],
    models: Sequence[str],
    instructions: Mapping[str, Instruction],
    *,
    resamples: int,
    seed: int,
    confidence: float,
) -> dict[str, Any]:
    """The ranking (mean, interval, count, distribution per model) and the per-group tables."""
    _keys, matrix = score_matrix(graded, models)
    draws = weighted_column_means(matrix, resample_counts(matrix.shape[0], resamples, seed))
    low, high = percentile_interval(draws, confidence)
    counts = np.sum(~np.isnan(matrix), axis=0)
    rows = []
    for index, model in enumerate(models):
        mean = float(np.nanmean(matrix[:, index])) if counts[index] else None
        rows.append(
            {
                "model": model,
                "mean": mean,
                "low": finite_or_none(low[index]),
                "high": finite_or_none(high[index]),
                "n": int(counts[index]),
                "distribution": _distribution(graded, model),
            }
        )
    board: dict[str, Any] = {"ranking": ranked(rows, "mean")}
    board["by_rubric"] = group_means(graded, models, {k: i.rubric_label for k, i in instructions.items()})
    categories = {k: i.category for k, i in instructions.items() if i.category is not None}
    if categories:
        board["by_category"] = group_means(graded, models, categories)
    return board


def ranked(rows: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """``rows`` by ``key`` descending (rows without a value last, then by model name), numbered from 1."""
    ordered = sorted(rows, key=lambda row: (row[key] is None, -(row[key] or 0.0), row["model"]))
    return [{"rank": position, **row} for position, row in enumerate(ordered, start=1)]


def group_means(
    graded: Sequence[Graded], models: Sequence[str], groups: Mapping[str, str]
) -> dict[str, dict[str, dict[str, Any]]]:
    """{group: {model: {"mean", "n"}}} over the instructions of each group."""
    sums: defaultdict[tuple[str, str], list[float]] = defaultdict(list)
    for g in graded:
        group = groups.get(g.instruction_id)
        if group is not None and g.score is not None:
            sums[group, g.model].append(g.score)
    table: dict[str, dict[str, dict[str, Any]]] = {}
    for group in sorted(set(groups.values())):
        table[group] = {
            model: {"mean": sum(values) / len(values), "n": len(values)}
            for model in models
            if (values := sums.get((group, model)))
        }
    return table


def _distribution(graded: Sequence[Graded], model: str) -> dict[str, int]:
    counted = Counter(math.floor(g.score + 0.5) for g in graded if g.model == model and g.score is not None)
    return {str(level): counted.get(level, 0) for level in range(1, 6)}
