"""What to check before trusting a ranking: position consistency, ties, length bias, parse coverage, and
whether the protocols agree.

- **Position consistency**: the share of pairs judged in both orders whose two verdicts agree (the runner's
  ``swap_consistent``); an inconsistent pair is scored as a tie, so a low share flattens the ranking.
- **Ties**: the share of pairwise outcomes that are ties (disagreeing orders included).
- **Length correlation**: Spearman's rho (``scipy.stats.spearmanr``) of the direct score against the
  response's length in characters, and of the pairwise outcome (A's side) against len(A) - len(B); plus,
  for pairs, the share of decisive verdicts (no tie, different lengths) won by the longer response.
  Quality and length may go together, so a correlation is a warning sign, not proof of bias.
- **Parse coverage**: per model, the share of its verdicts (samples; both orders for pairs, a pair counting
  for both its models) that could be read. A model whose failure rate exceeds the pooled rate of the other
  models by more than ``COVERAGE_GAP`` (10 points) is flagged: its ranking stands on fewer verdicts, and its
  responses may be what breaks the judge.
- **Agreement**: Kendall's tau-b (``scipy.stats.kendalltau``) between the rankings of each two protocols that
  were run, over the models both rated (the baseline counts at win rate 0.5).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
from itertools import combinations
from typing import Any

from judgeforge.lazy import require
from judgeforge.leaderboard.grading import Compared, Graded

COVERAGE_GAP = 0.10


def _correlation(kind: str, x: Sequence[float], y: Sequence[float]) -> dict[str, Any] | None:
    """{"rho" or "tau", "p_value", "n"}; None with too few points (3 for rho, 2 for tau) or a constant side."""
    if len(x) < (3 if kind == "rho" else 2) or len(set(x)) < 2 or len(set(y)) < 2:
        return None
    stats = require("scipy.stats", "bench")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = stats.spearmanr(x, y) if kind == "rho" else stats.kendalltau(x, y)
    value, p_value = float(result.statistic), float(result.pvalue)
    if math.isnan(value):
        return None
    return {kind: value, "p_value": None if math.isnan(p_value) else p_value, "n": len(x)}


def direct_diagnostics(graded: Sequence[Graded], models: Sequence[str]) -> dict[str, Any]:
    scored = [g for g in graded if g.score is not None]
    return {
        "length_spearman": _correlation(
            "rho", [float(g.length) for g in scored], [float(g.score or 0) for g in scored]
        ),
        "coverage": coverage(((g.model,), g.verdicts, g.failed_verdicts) for g in graded),
    }


def pair_diagnostics(compared: Sequence[Compared], models: Sequence[str]) -> dict[str, Any]:
    judged = [c for c in compared if c.outcome is not None]
    return {
        "position_consistency": _share_by_model(
            ((c.model_a, c.model_b), c.swap_consistent) for c in compared if c.swap_consistent is not None
        ),
        "ties": _share_by_model(((c.model_a, c.model_b), c.outcome == 0.5) for c in judged),
        "length_spearman": _correlation(
            "rho", [float(c.length_a - c.length_b) for c in judged], [float(c.outcome or 0) for c in judged]
        ),
        "longer_wins": _longer_wins(judged),
        "coverage": coverage(((c.model_a, c.model_b), c.verdicts, c.failed_verdicts) for c in compared),
    }


def _share_by_model(entries: Iterable[tuple[tuple[str, ...], bool]]) -> dict[str, Any]:
    """{"share", "n", "by_model": {model: {"share", "n"}}} of the True entries, overall and per model."""
    total = hits = 0
    per_model: dict[str, list[int]] = {}
    for models, flag in entries:
        total, hits = total + 1, hits + int(flag)
        for model in models:
            counts = per_model.setdefault(model, [0, 0])
            counts[0], counts[1] = counts[0] + 1, counts[1] + int(flag)
    return {
        "share": hits / total if total else None,
        "n": total,
        "by_model": {model: {"share": h / n, "n": n} for model, (n, h) in sorted(per_model.items())},
    }


def _longer_wins(judged: Sequence[Compared]) -> dict[str, Any]:
    decisive = [c for c in judged if c.outcome in (0.0, 1.0) and c.length_a != c.length_b]
    longer = sum(1 for c in decisive if (c.outcome == 1.0) == (c.length_a > c.length_b))
    return {"share": longer / len(decisive) if decisive else None, "n": len(decisive)}


def coverage(entries: Iterable[tuple[tuple[str, ...], int, int]]) -> dict[str, Any]:
    """Per model {"verdicts", "failed", "coverage", "flagged"} from (models, verdicts, failed) entries."""
    counts: dict[str, list[int]] = {}
    for models, verdicts, failed in entries:
        for model in models:
            pair = counts.setdefault(model, [0, 0])
            pair[0], pair[1] = pair[0] + verdicts, pair[1] + failed
    table = {}
    for model, (verdicts, failed) in sorted(counts.items()):
        others_verdicts = sum(v for m, (v, _f) in counts.items() if m != model)
        others_failed = sum(f for m, (_v, f) in counts.items() if m != model)
        rate = failed / verdicts if verdicts else 0.0
        others = others_failed / others_verdicts if others_verdicts else rate
        table[model] = {
            "verdicts": verdicts,
            "failed": failed,
            "coverage": 1.0 - rate,
            "flagged": rate - others > COVERAGE_GAP,
        }
    return table


def ranking_agreement(rankings: Mapping[str, Mapping[str, float]]) -> list[dict[str, Any]]:
    """Kendall's tau-b between each two protocols' values over their common models."""
    agreement = []
    for first, second in combinations(sorted(rankings), 2):
        common = sorted(set(rankings[first]) & set(rankings[second]))
        x = [rankings[first][model] for model in common]
        y = [rankings[second][model] for model in common]
        agreement.append(
            {"protocols": [first, second], "kendall": _correlation("tau", x, y), "models": len(common)}
        )
    return agreement
