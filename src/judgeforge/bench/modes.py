"""Meta-evaluation modes (as in the Prometheus 2 paper), each turning items into per-item result rows.

- ``direct``: direct assessment on direct sets; ``runs`` verdicts per item, the item's score is their mean.
- ``a2r`` (absolute-to-relative): score both responses of a pair; when the two scores tie, score both again
  with a new seed, up to ``tie_retries`` times. Unlike the original harness, ties are re-run whatever the
  gold label says, so the gold never steers the judge.
- ``relative``: pairwise ranking, the majority of ``runs`` verdicts, where a judge's tie (MT-Bench ``[[C]]``,
  Arena-Hard ``[[A=B]]``, Auto-J, PandaLM, JudgeLM's equal scores) is a vote of its own, as the judge's own
  aggregation counts it; several leading verdicts (an even split) are a tie.
- ``both``: pairwise ranking in both orders; the winner stands when both orders agree (a tie in both orders
  is a tie), and an order-dependent verdict counts as a tie, as FastChat counts an inconsistent pair.

A/B sides come from :func:`~judgeforge.bench.items.assign_sides` with the run's seed.
"""

from __future__ import annotations

import statistics
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from judgeforge.bench.items import DirectBenchItem, PairBenchItem, SidedPair, assign_sides, swap
from judgeforge.bench.items import direct_items_of_pair as split_pair
from judgeforge.bench.judges import BenchJudge
from judgeforge.judge.aggregate import aggregate_winners
from judgeforge.metrics import flip
from judgeforge.records import Rubric, Verdict
from judgeforge.registry import Registry

Row = dict[str, Any]
RETRY_SEED_STRIDE = 7919


@dataclass(frozen=True)
class ModeConfig:
    runs: int = 3
    seed: int = 0
    tie_retries: int = 2


Mode = Callable[[BenchJudge, Sequence[Any], ModeConfig], Awaitable[list[Row]]]
modes: Registry[Mode] = Registry("bench mode")
MODE_KINDS = {"direct": "direct", "a2r": "pair", "relative": "pair", "both": "pair"}


_KINDS = (
    "label",
    "margin",
    "scores",
    "note",
)  # the other kinds of verdict, in a row where a verdict has them


def verdict_row(verdict: Verdict) -> Row:
    """One verdict in a result row: score, winner, feedback, failure and raw output, plus a label, margin,
    both responses' scores and a note where the verdict has them."""
    row = verdict.model_dump(include={"score", "winner", "feedback", "failure", "raw"})
    for name in _KINDS:
        value = getattr(verdict, name)
        if value is not None:
            row[name] = list(value) if name == "scores" else value
    return row


def mean_score(verdicts: Sequence[Verdict]) -> float | None:
    scores = [v.score for v in verdicts if v.score is not None]
    return float(statistics.fmean(scores)) if scores else None


def majority_winner(verdicts: Sequence[Verdict]) -> str | None:
    """The most frequent of ``A``, ``B`` and ``tie`` (a tie is a vote of its own, as in
    :func:`judgeforge.judge.aggregate.aggregate_winners`); ``tie`` when several lead; None when no run gave a
    verdict."""
    if not any(v.winner is not None for v in verdicts):
        return None
    winner, _ = aggregate_winners(verdicts)
    return winner or "tie"


def scale_fields(judge: BenchJudge, rubric: Rubric) -> Row:
    """``judge_scale`` and ``gold_scale`` (the rubric's, which the gold scores are on) where the judge grades
    on another scale (:meth:`BenchJudge.scale_for`); nothing where they are the same."""
    judged, gold = judge.scale_for(rubric), rubric.scale_values()
    return {} if judged == gold else {"judge_scale": list(judged), "gold_scale": list(gold)}


def _pair_row(sided: SidedPair) -> Row:
    source = sided.source
    return {
        "id": source.id,
        "category": source.category,
        "gold": sided.gold,
        "group": source.group,
        "key_a": sided.key_a,
        "key_b": sided.key_b,
    }


@modes.register("direct")
async def direct_mode(judge: BenchJudge, items: Sequence[DirectBenchItem], config: ModeConfig) -> list[Row]:
    results = await judge.grade([item.to_item() for item in items], config.runs, config.seed)
    return [
        {
            "id": item.id,
            "category": item.category,
            "gold": {source: list(scores) for source, scores in item.gold.items()},
            "scores": [v.score for v in verdicts],
            "score": mean_score(verdicts),
            "verdicts": [verdict_row(v) for v in verdicts],
            **scale_fields(judge, item.rubric),
        }
        for item, verdicts in zip(items, results)
    ]


def _direct_winner(a: float | None, b: float | None) -> str | None:
    if a is None or b is None:
        return None
    return "tie" if a == b else ("A" if a > b else "B")


@modes.register("a2r")
async def a2r_mode(judge: BenchJudge, items: Sequence[PairBenchItem], config: ModeConfig) -> list[Row]:
    sided = [assign_sides(item, config.seed) for item in items]
    attempts: list[list[Row]] = [[] for _ in sided]
    pending = list(range(len(sided)))
    for attempt in range(config.tie_retries + 1):
        directs = [direct for i in pending for direct in split_pair(sided[i].item)]
        results = await judge.grade(directs, config.runs, config.seed + attempt * RETRY_SEED_STRIDE)
        still_tied = []
        for position, index in enumerate(pending):
            a, b = results[2 * position], results[2 * position + 1]
            attempts[index].append({"a": [v.score for v in a], "b": [v.score for v in b]})
            if _direct_winner(mean_score(a), mean_score(b)) == "tie":
                still_tied.append(index)
        pending = still_tied
        if not pending:
            break
    rows = []
    for pair, tries in zip(sided, attempts):
        score_a = _mean_or_none(tries[-1]["a"])
        score_b = _mean_or_none(tries[-1]["b"])
        winner = _direct_winner(score_a, score_b)
        rows.append(
            {
                **_pair_row(pair),
                "attempts": tries,
                "score_a": score_a,
                "score_b": score_b,
                "winner": winner,
                **scale_fields(judge, pair.source.rubric),
            }
        )
    return rows


def _mean_or_none(scores: Sequence[int | None]) -> float | None:
    present = [s for s in scores if s is not None]
    return float(statistics.fmean(present)) if present else None


@modes.register("relative")
async def relative_mode(judge: BenchJudge, items: Sequence[PairBenchItem], config: ModeConfig) -> list[Row]:
    sided = [assign_sides(item, config.seed) for item in items]
    results = await judge.compare([pair.item for pair in sided], config.runs, config.seed)
    return [
        {
            **_pair_row(pair),
            "winner": majority_winner(verdicts),
            "verdicts": [verdict_row(v) for v in verdicts],
        }
        for pair, verdicts in zip(sided, results)
    ]


@modes.register("both")
async def both_order_mode(judge: BenchJudge, items: Sequence[PairBenchItem], config: ModeConfig) -> list[Row]:
    sided = [assign_sides(item, config.seed) for item in items]
    forward = await judge.compare([pair.item for pair in sided], config.runs, config.seed)
    backward = await judge.compare([swap(pair.item) for pair in sided], config.runs, config.seed)
    rows = []
    for pair, fwd, bwd in zip(sided, forward, backward):
        first, second = majority_winner(fwd), majority_winner(bwd)
        consistent = first == flip(second)
        winner = None if first is None or second is None else (first if consistent else "tie")
        rows.append(
            {
                **_pair_row(pair),
                "forward": first,
                "backward": second,
                "winner": winner,
                "verdicts": [verdict_row(v) for v in fwd],
                "verdicts_swapped": [verdict_row(v) for v in bwd],
            }
        )
    return rows
