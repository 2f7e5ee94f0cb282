"""Accuracy metrics: exact match of scores, pairwise accuracy (ties counted, skipped, or left out on either
side), per category."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Literal, TypeVar

T = TypeVar("T")
TiePolicy = Literal["count", "skip", "without"]


def exact_match(predicted: Sequence[float | None], gold: Sequence[float]) -> float | None:
    """Share of items whose predicted score equals the gold score (a missing prediction is wrong)."""
    if len(predicted) != len(gold):
        raise ValueError("predicted and gold must have the same length")
    if not gold:
        return None
    return sum(p is not None and float(p) == float(g) for p, g in zip(predicted, gold)) / len(gold)


def pairwise_accuracy(
    predicted: Sequence[str | None], gold: Sequence[str], ties: TiePolicy = "count"
) -> float | None:
    """Share of pairs judged as the gold says.

    ``predicted`` holds ``A``, ``B``, ``tie`` or None (no verdict); ``gold`` holds ``A``, ``B`` or ``tie``.
    A tie is a verdict of its own, never half a win:

    - ``ties="count"``: every pair; a tie is right only against a tie (a judge that cannot say tie loses the
      gold ties, as in the paper's tie-counted Auto-J and MT Bench Human figures). FastChat's MT-Bench
      judge-human agreement "with tie" (``fastchat/llm_judge/compute_agreement.py``, ``ban=[]``) counts the
      same way;
    - ``ties="skip"``: gold ties are left out; a judge's tie against a gold winner is wrong;
    - ``ties="without"``: pairs where the judge *or* the gold says tie are left out: FastChat's agreement
      "without tie" (``ban=["tie"]``, which skips a pair when either vote is a tie).

    A missing verdict (None) is always wrong.
    """
    if len(predicted) != len(gold):
        raise ValueError("predicted and gold must have the same length")
    pairs = [(p, g) for p, g in zip(predicted, gold) if not _left_out(p, g, ties)]
    if not pairs:
        return None
    return sum(p is not None and p == g for p, g in pairs) / len(pairs)


def _left_out(predicted: str | None, gold: str, ties: TiePolicy) -> bool:
    if ties == "skip":
        return gold == "tie"
    if ties == "without":
        return gold == "tie" or predicted == "tie"
    return False


def by_category(
    categories: Sequence[str | None], metric: Callable[..., float | None], *columns: Sequence[T]
) -> dict[str, float | None]:
    """``metric`` computed on the items of each category (items without a category are left out)."""
    groups: defaultdict[str, list[int]] = defaultdict(list)
    for index, category in enumerate(categories):
        if category is not None:
            groups[str(category)].append(index)
    return {
        name: metric(*([column[i] for i in indices] for column in columns))
        for name, indices in sorted(groups.items())
    }
