"""Metrics from saved per-item result rows: the same code scores a fresh run and a saved one offline."""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from typing import Any

from judgeforge.metrics import (
    CORRELATIONS,
    bootstrap_ci,
    by_category,
    direct_pairwise_agreement,
    exact_match,
    pairwise_accuracy,
    pearson,
    swap_consistency,
    transitivity,
)
from judgeforge.metrics.krippendorff import krippendorff_alpha
from judgeforge.prompts.scales import describe_values

Row = dict[str, Any]
Metrics = dict[str, Any]


def correlations(
    predicted: Sequence[float], gold: Sequence[float], *, resamples: int = 1000, seed: int = 0
) -> Metrics:
    """Pearson, Spearman and Kendall tau with percentile bootstrap CIs (``resamples`` 0: no CIs)."""
    result: Metrics = {}
    for name, function in CORRELATIONS.items():
        value = function(predicted, gold)
        interval = (
            bootstrap_ci(function, predicted, gold, resamples=resamples, seed=seed) if resamples else None
        )
        result[name] = {"value": value, "ci95": list(interval) if interval else None}
    return result


def inter_run(rows: Sequence[Row]) -> Metrics:
    """Krippendorff's alpha across runs (ordinal and interval) and each run's Pearson r with the run mean."""
    units = [row["scores"] for row in rows]
    runs = max((len(scores) for scores in units), default=0)
    result: Metrics = {"runs": runs}
    if runs < 2:
        return result
    result["alpha_ordinal"] = krippendorff_alpha(units, "ordinal")
    result["alpha_interval"] = krippendorff_alpha(units, "interval")
    complete = [scores for scores in units if len(scores) == runs and None not in scores]
    means = [statistics.fmean(scores) for scores in complete]
    result["run_vs_mean_pearson"] = [pearson([s[k] for s in complete], means) for k in range(runs)]
    return result


def scale_difference(rows: Sequence[Row]) -> Metrics:
    """``{"scale": {"judge", "gold", "note"}}`` when the rows were graded on another scale than the gold's
    (rows with ``judge_scale``: a fixed-scale judge such as MT-Bench's 1-10 on 1-5 gold); else nothing."""
    row = next((row for row in rows if row.get("judge_scale")), None)
    if row is None:
        return {}
    judge, gold = describe_values(row["judge_scale"]), describe_values(row["gold_scale"])
    note = (
        f"the judge's scale ({judge}) differs from the gold's ({gold}): correlations and a2r's comparisons "
        "of two scores do not depend on the scale; metrics that need the gold's scale are skipped"
    )
    return {"scale": {"judge": judge, "gold": gold, "note": note}}


def score_direct(rows: Sequence[Row], *, resamples: int = 1000, seed: int = 0) -> Metrics:
    """Correlations with each gold source, exact match (one gold score per item, same scale only; otherwise
    recorded under ``skipped`` with the reason) and agreement across runs."""
    scored = [row for row in rows if row["score"] is not None]
    metrics: Metrics = {"items": len(rows), "no_verdict": len(rows) - len(scored), **scale_difference(rows)}
    skipped: dict[str, str] = {}
    sources = sorted({source for row in rows for source in row["gold"]})
    for source in sources:
        pairs = [
            (row["score"], statistics.fmean(row["gold"][source])) for row in scored if row["gold"].get(source)
        ]
        predicted, gold = [p for p, _ in pairs], [g for _, g in pairs]
        metrics[f"vs_{source}"] = correlations(predicted, gold, resamples=resamples, seed=seed)
        if not all(len(row["gold"].get(source, ())) == 1 for row in rows):
            continue
        if "scale" in metrics:
            scales = metrics["scale"]
            skipped[f"exact_match_{source}"] = (
                f"the judge grades on {scales['judge']} and the gold is on {scales['gold']}: "
                "exact match needs one scale"
            )
            continue
        # One gold score per item (Feedback Bench): exact match of the first run, as the paper reports.
        first = [row["scores"][0] if row["scores"] else None for row in rows]
        metrics[f"exact_match_{source}"] = exact_match(first, [row["gold"][source][0] for row in rows])
    if skipped:
        metrics["skipped"] = skipped
    metrics["inter_run"] = inter_run(rows)
    return metrics


def score_pairs(rows: Sequence[Row], mode: str) -> Metrics:
    """Pairwise metrics. A tie (the judge's, or an order-dependent verdict in ``both`` mode) is a verdict of
    its own, never half a win: ``accuracy_ties_counted`` (every pair; a tie is right only against a gold tie),
    ``accuracy_ties_skipped`` (gold ties left out) and ``accuracy_without_ties`` (pairs where the judge or the
    gold says tie left out, FastChat's MT-Bench agreement "without tie"); ``judge_ties`` and ``gold_ties``
    count the ties on each side (see :func:`judgeforge.metrics.pairwise_accuracy`)."""
    predicted = [row["winner"] for row in rows]
    gold = [row["gold"] for row in rows]
    categories = [row.get("category") for row in rows]
    metrics: Metrics = {
        "items": len(rows),
        "gold_ties": sum(g == "tie" for g in gold),
        "judge_ties": sum(p == "tie" for p in predicted),
        "no_verdict": sum(p is None for p in predicted),
        "accuracy_ties_counted": pairwise_accuracy(predicted, gold, "count"),
        "accuracy_ties_skipped": pairwise_accuracy(predicted, gold, "skip"),
        "accuracy_without_ties": pairwise_accuracy(predicted, gold, "without"),
        **scale_difference(rows),  # a2r: the judge's scores compared with each other, on its own scale
    }
    if any(category is not None for category in categories):
        metrics["by_category_ties_counted"] = by_category(
            categories, lambda p, g: pairwise_accuracy(p, g, "count"), predicted, gold
        )
        metrics["by_category_ties_skipped"] = by_category(
            categories, lambda p, g: pairwise_accuracy(p, g, "skip"), predicted, gold
        )
    if mode == "both":
        metrics["swap_consistency"] = swap_consistency(
            [row["forward"] for row in rows], [row["backward"] for row in rows]
        )
    if mode in ("relative", "both"):
        key = "winner" if mode == "relative" else "forward"
        edges = [(row["group"], row["key_a"], row["key_b"], row[key]) for row in rows if row.get("group")]
        share, triads = transitivity(edges)
        if triads:
            metrics["transitivity"] = {"share": share, "triads": triads}
    return metrics


def score_mode(rows: Sequence[Row], mode: str, *, resamples: int = 1000, seed: int = 0) -> Metrics:
    """Metrics of one (judge, benchmark, mode) result file."""
    if mode == "direct":
        return score_direct(rows, resamples=resamples, seed=seed)
    return score_pairs(rows, mode)


def cross_mode(by_mode: Mapping[str, Sequence[Row]]) -> Metrics:
    """Agreement between the judge's direct (a2r) and pairwise (relative) verdicts on the same pairs."""
    if "a2r" not in by_mode or "relative" not in by_mode:
        return {}
    direct = {row["id"]: row["winner"] for row in by_mode["a2r"]}
    common = [row for row in by_mode["relative"] if row["id"] in direct]
    agreement = direct_pairwise_agreement(
        [direct[row["id"]] for row in common], [row["winner"] for row in common]
    )
    return {"direct_vs_pairwise_agreement": agreement, "pairs": len(common)}
