"""Result lines: a Judgment (or a both-order pair of them) -> the JSON object written for one row.

A line holds ``id``, ``mode``, the aggregate (``score`` or ``winner``), ``agreement``, ``failure`` (null when
the row was graded), every sample's verdict and the token usage. Verdicts keep the raw output only when they
failed, to keep the file small; feedback is always kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from judgeforge.records import Judgment, Verdict, Winner
from judgeforge.runner.options import OrderPolicy

_PAIR_EXTRAS = ("margin", "scores")


def verdict_dict(verdict: Verdict) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if verdict.score is not None:
        data["score"] = verdict.score
    if verdict.winner is not None:
        data["winner"] = verdict.winner
    if verdict.label is not None:  # the other kinds of verdict (labels, margins, two scores) and notes
        data["label"] = verdict.label
    if verdict.margin is not None:
        data["margin"] = verdict.margin
    if verdict.scores is not None:
        data["scores"] = list(verdict.scores)
    if verdict.note is not None:
        data["note"] = verdict.note
    data["feedback"] = verdict.feedback
    if verdict.failure is not None:
        data["failure"] = verdict.failure
        data["raw"] = verdict.raw
    if verdict.probabilities is not None:
        data["probabilities"] = verdict.probabilities
    if verdict.expected_score is not None:
        data["expected_score"] = verdict.expected_score
    if verdict.logprobs_missing is not None:
        data["logprobs_missing"] = verdict.logprobs_missing
    data["attempts"] = verdict.attempts
    return data


def result_lines(
    row_ids: Sequence[str | int], judged: Sequence[tuple[Judgment, ...]], policy: OrderPolicy
) -> list[dict[str, Any]]:
    """The lines of judged rows: one Judgment each, or (forward, swapped) for pairs in both orders."""
    return [
        judgment_line(row_id, judgments[0])
        if len(judgments) == 1
        else both_orders_line(row_id, judgments[0], judgments[1], policy)
        for row_id, judgments in zip(row_ids, judged)
    ]


def judgment_line(row_id: str | int, judgment: Judgment) -> dict[str, Any]:
    """The line of a directly graded row or a single-order pair."""
    line: dict[str, Any] = {"id": row_id, "mode": judgment.mode}
    if judgment.mode == "absolute":
        line["score"] = judgment.score
        if judgment.label is not None:
            line["label"] = judgment.label
    else:
        line["winner"] = judgment.winner
        line.update((name, judgment.extra[name]) for name in _PAIR_EXTRAS if name in judgment.extra)
    line["agreement"] = judgment.agreement
    line["failure"] = judgment.failure
    verdicts = judgment.verdicts
    line["verdicts"] = (
        [verdict_dict(verdicts[0])] if len(verdicts) == 1 else [verdict_dict(v) for v in verdicts]
    )
    if len(verdicts) > 1 and judgment.failure is None:
        failed = sum(1 for v in verdicts if v.failure is not None)
        if failed:  # the aggregate stands on the others; say how many samples are missing from it
            line["failed_samples"] = failed
    line["usage"] = {
        "prompt_tokens": judgment.usage.prompt_tokens,
        "completion_tokens": judgment.usage.completion_tokens,
    }
    return line


def _flip(winner: Winner | None) -> Winner | None:
    return winner if winner is None or winner == "tie" else ("B" if winner == "A" else "A")


def _mean_probability_a(forward: Judgment, swapped: Judgment) -> float | None:
    values = [v.probabilities["A"] for v in forward.verdicts if v.probabilities and "A" in v.probabilities]
    values += [v.probabilities["B"] for v in swapped.verdicts if v.probabilities and "B" in v.probabilities]
    return sum(values) / len(values) if values else None


def both_orders_line(
    row_id: str | int, forward: Judgment, swapped: Judgment, policy: OrderPolicy
) -> dict[str, Any]:
    """The line of a pair judged as (A, B) and as (B, A); ``winner`` is in the original order.

    Agreeing orders give their winner. When only one order produced a verdict it is used (``single-order``).
    Disagreement is resolved by ``policy``: ``tie`` (winner "tie"), ``abstain`` (winner null) or ``logprob``
    (the mean probability of A over both orders, where verdicts carry probabilities; else a tie).
    """
    first, second = forward.winner, _flip(swapped.winner)
    winner: str | None
    consistent: bool | None = None
    failure = None
    if first is None and second is None:
        winner, resolution = None, "failed"
        failure = forward.failure or swapped.failure or "no verdict in either order"
    elif first is None or second is None:
        winner, resolution = first or second, "single-order"
    elif first == second:
        winner, resolution, consistent = first, "agree", True
    else:
        consistent = False
        winner, resolution = _resolve(policy, forward, swapped)
    line = judgment_line(row_id, forward)
    line.update(winner=winner, failure=failure, resolution=resolution, swap_consistent=consistent)
    line.update(_both_orders_extras(forward.extra, swapped.extra))
    line["verdicts_swapped"] = [verdict_dict(v) for v in swapped.verdicts]
    line["usage"] = {
        "prompt_tokens": forward.usage.prompt_tokens + swapped.usage.prompt_tokens,
        "completion_tokens": forward.usage.completion_tokens + swapped.usage.completion_tokens,
    }
    return line


def _both_orders_extras(forward: dict[str, Any], swapped: dict[str, Any]) -> dict[str, Any]:
    """Margin and two scores over both orders, in the original order (the swapped order's mapped back)."""
    extras: dict[str, Any] = {}
    margins = [forward["margin"]] if "margin" in forward else []
    margins += [-swapped["margin"]] if "margin" in swapped else []
    if margins:
        extras["margin"] = sum(margins) / len(margins)
    scores = [forward["scores"]] if "scores" in forward else []
    scores += [swapped["scores"][::-1]] if "scores" in swapped else []
    if scores:
        extras["scores"] = [sum(s[0] for s in scores) / len(scores), sum(s[1] for s in scores) / len(scores)]
    return extras


def _resolve(policy: OrderPolicy, forward: Judgment, swapped: Judgment) -> tuple[str | None, str]:
    if policy == "abstain":
        return None, "abstain"
    if policy == "logprob":
        probability = _mean_probability_a(forward, swapped)
        if probability is not None and probability != 0.5:
            return ("A" if probability > 0.5 else "B"), "logprob"
    return "tie", "tie"
