"""Meta-evaluation metrics (numpy only): correlations with bootstrap CIs, accuracies, consistency.

Krippendorff's alpha lives in :mod:`judgeforge.stats.krippendorff` (shared with the runner).
"""

from __future__ import annotations

from judgeforge.bench.metrics.agreement import by_category, exact_match, pairwise_accuracy
from judgeforge.bench.metrics.consistency import (
    direct_pairwise_agreement,
    flip,
    swap_consistency,
    transitivity,
)
from judgeforge.bench.metrics.correlation import (
    CORRELATIONS,
    bootstrap_ci,
    kendall_tau,
    pearson,
    rankdata,
    spearman,
)

__all__ = [
    "CORRELATIONS",
    "bootstrap_ci",
    "by_category",
    "direct_pairwise_agreement",
    "exact_match",
    "flip",
    "kendall_tau",
    "pairwise_accuracy",
    "pearson",
    "rankdata",
    "spearman",
    "swap_consistency",
    "transitivity",
]
