"""Aggregating several verdicts of one item (self-consistency): mean, median or majority."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Callable, Sequence

from judgeforge.records import Verdict, Winner
from judgeforge.registry import Registry

ScoreAggregator = Callable[[Sequence[int]], float]
score_aggregators: Registry[ScoreAggregator] = Registry("aggregation")
score_aggregators.add("mean", lambda scores: float(statistics.fmean(scores)))
score_aggregators.add("median", lambda scores: float(statistics.median(scores)))


@score_aggregators.register("majority")
def majority_score(scores: Sequence[int]) -> float:
    """The most frequent score; ties go to the lower score (the conservative reading)."""
    counts = Counter(scores)
    best = max(counts.values())
    return float(min(score for score, count in counts.items() if count == best))


def aggregate_scores(verdicts: Sequence[Verdict], method: str) -> tuple[float | None, float | None]:
    """(aggregate score, agreement) over the successful verdicts; agreement = share equal to the mode."""
    if len(verdicts) == 1:  # the common case: one sample needs no counting
        score = verdicts[0].score
        return (None, None) if score is None else (float(score), 1.0)
    scores = [v.score for v in verdicts if v.score is not None]
    if not scores:
        return None, None
    agreement = Counter(scores).most_common(1)[0][1] / len(scores)
    return score_aggregators.get(method)(scores), agreement


def aggregate_winners(verdicts: Sequence[Verdict]) -> tuple[Winner | None, float | None]:
    """(majority winner or None on a tie, agreement) over the successful verdicts."""
    winners = [v.winner for v in verdicts if v.winner is not None]
    if not winners:
        return None, None
    counts = Counter(winners)
    agreement = max(counts.values()) / len(winners)
    if counts["A"] == counts["B"]:
        return None, agreement
    return ("A" if counts["A"] > counts["B"] else "B"), agreement
