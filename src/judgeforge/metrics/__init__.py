"""Every metric in one room: correlations with bootstrap CIs, agreement and accuracy, consistency, and
Krippendorff's alpha (streaming). Used by the runner's summary, the benchmarks and the leaderboards."""

from __future__ import annotations

from typing import TYPE_CHECKING

from judgeforge.lazy import lazy_exports
from judgeforge.metrics.agreement import by_category, exact_match, pairwise_accuracy
from judgeforge.metrics.consistency import (
    direct_pairwise_agreement,
    flip,
    swap_consistency,
    transitivity,
)
from judgeforge.metrics.krippendorff import CoincidenceAccumulator, Level, krippendorff_alpha

if TYPE_CHECKING:
    from judgeforge.metrics.correlation import (
        CORRELATIONS,
        bootstrap_ci,
        kendall_tau,
        pearson,
        rankdata,
        spearman,
    )

# The correlations need numpy: exported lazily, so the runner's summary (Krippendorff's alpha) does not load
# numpy (and start its BLAS threads) in every grading process.
__getattr__ = lazy_exports(
    __name__,
    dict.fromkeys(
        ("CORRELATIONS", "bootstrap_ci", "kendall_tau", "pearson", "rankdata", "spearman"),
        "judgeforge.metrics.correlation",
    ),
)

__all__ = [
    "CORRELATIONS",
    "CoincidenceAccumulator",
    "Level",
    "bootstrap_ci",
    "by_category",
    "direct_pairwise_agreement",
    "exact_match",
    "flip",
    "kendall_tau",
    "krippendorff_alpha",
    "pairwise_accuracy",
    "pearson",
    "rankdata",
    "spearman",
    "swap_consistency",
    "transitivity",
]
