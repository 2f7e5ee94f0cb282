"""Aggregating several verdicts of one item (self-consistency): mean, median or majority.

Every kind of verdict aggregates: scores (any scale, decimals included) by the chosen method; labels
(``Yes``/``No``) and winners (``A``, ``B``, ``tie``: a tie is a vote of its own) by majority, None when the
leading values are level. Five-level preferences also give the mean signed margin (positive: A preferred;
Arena-Hard's ``A>>B`` is +2, ``B>A`` is -1, a tie 0) and two-score verdicts the mean score of each response.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Callable, Hashable, Sequence
from typing import Any, NamedTuple, TypeVar

from judgeforge.records import Mode, Verdict, Winner
from judgeforge.registry import Registry

ScoreAggregator = Callable[[Sequence[float]], float]
score_aggregators: Registry[ScoreAggregator] = Registry("aggregation")
score_aggregators.add("mean", lambda scores: float(statistics.fmean(scores)))
score_aggregators.add("median", lambda scores: float(statistics.median(scores)))
H = TypeVar("H", bound=Hashable)


@score_aggregators.register("majority")
def majority_score(scores: Sequence[float]) -> float:
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


def _majority(values: Sequence[H]) -> tuple[H | None, float | None]:
    """(the most frequent value, or None when several lead; its share)."""
    if not values:
        return None, None
    counts = Counter(values)
    best = max(counts.values())
    leaders = [value for value, count in counts.items() if count == best]
    return (leaders[0] if len(leaders) == 1 else None), best / len(values)


def aggregate_winners(verdicts: Sequence[Verdict]) -> tuple[Winner | None, float | None]:
    """(majority winner, A, B or tie; None on an even split; agreement) over the successful verdicts."""
    return _majority([v.winner for v in verdicts if v.winner is not None])


def aggregate_labels(verdicts: Sequence[Verdict]) -> tuple[str | None, float | None]:
    """(majority label or None on an even split, agreement) over the successful verdicts."""
    return _majority([v.label for v in verdicts if v.label is not None])


def preference_extras(verdicts: Sequence[Verdict]) -> dict[str, Any]:
    """``margin`` (mean signed margin, A positive) and ``scores`` (mean of each response's score), where the
    verdicts carry them."""
    extras: dict[str, Any] = {}
    signed = [_signed(v) for v in verdicts if v.margin is not None and v.winner is not None]
    if signed:
        extras["margin"] = statistics.fmean(signed)
    pairs = [v.scores for v in verdicts if v.scores is not None]
    if pairs:
        extras["scores"] = [statistics.fmean(p[0] for p in pairs), statistics.fmean(p[1] for p in pairs)]
    return extras


def _signed(verdict: Verdict) -> int:
    margin = verdict.margin or 0
    return margin if verdict.winner == "A" else -margin if verdict.winner == "B" else 0


class Aggregate(NamedTuple):
    """What a Judgment holds of its verdicts (a named tuple: built once per graded item). ``extra``: None for
    nothing beyond the aggregate, else a fresh dict (``margin``, ``scores`` of pairwise families)."""

    score: float | None = None
    winner: Winner | None = None
    label: str | None = None
    agreement: float | None = None
    extra: dict[str, Any] | None = None


def aggregate(verdicts: Sequence[Verdict], mode: Mode, method: str) -> Aggregate:
    """The aggregate of one item's verdicts: a score or a label (direct assessment), a winner (pairwise)."""
    if mode == "absolute":
        if len(verdicts) == 1 and verdicts[0].score is not None:  # the common case
            return Aggregate(float(verdicts[0].score), None, None, 1.0)
        score, agreement = aggregate_scores(verdicts, method)
        if score is None and any(v.label is not None for v in verdicts):
            label, agreement = aggregate_labels(verdicts)
            return Aggregate(label=label, agreement=agreement)
        return Aggregate(score=score, agreement=agreement)
    winner, agreement = aggregate_winners(verdicts)
    return Aggregate(winner=winner, agreement=agreement, extra=preference_extras(verdicts) or None)
