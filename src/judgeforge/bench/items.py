"""Typed benchmark items: what a benchmark asks a judge, plus the gold answer it is scored against.

Pairwise items keep the two responses as *chosen* and *rejected* (or, for a gold tie, as they came); the
A/B order a judge sees is decided later by :func:`assign_sides`, from a seed, so that runs are reproducible
(the original harness used an unseeded ``random.choice``).
"""

from __future__ import annotations

import hashlib
import random
from typing import Any, Literal

from pydantic import Field

from judgeforge.records import DirectItem, PairItem, Record, Rubric

GoldWinner = Literal["A", "B", "tie"]


class DirectBenchItem(Record):
    """One response with its gold scores (a list per gold source: ``gpt4``, ``human``)."""

    id: str
    benchmark: str
    instruction: str
    response: str
    rubric: Rubric
    reference_answer: str | None = None
    gold: dict[str, tuple[float, ...]]
    category: str | None = None
    meta: dict[str, Any] = Field(default_factory=dict)

    def to_item(self) -> DirectItem:
        return DirectItem(
            id=self.id,
            instruction=self.instruction,
            response=self.response,
            rubric=self.rubric,
            reference_answer=self.reference_answer,
        )


class PairBenchItem(Record):
    """Two responses to one instruction; ``chosen`` is the better one unless ``tie``.

    ``group`` ties pairs built from the same set of responses (e.g. the 5 responses of a Feedback Collection
    instruction) so that transitivity can be measured.
    """

    id: str
    benchmark: str
    instruction: str
    chosen: str
    rejected: str
    rubric: Rubric
    reference_answer: str | None = None
    tie: bool = False
    category: str | None = None
    group: str | None = None
    meta: dict[str, Any] = Field(default_factory=dict)


class SidedPair(Record):
    """A pair as one judge sees it: responses in A/B order and the gold winner in that order."""

    source: PairBenchItem
    item: PairItem
    gold: GoldWinner
    key_a: str
    key_b: str


def response_key(text: str) -> str:
    """A short stable identity of a response text (for transitivity over groups)."""
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def assign_sides(pair: PairBenchItem, seed: int) -> SidedPair:
    """Put chosen as A or B by a coin seeded with ``seed`` and the item id (independent of list order)."""
    digest = hashlib.sha256(f"{seed}\x1f{pair.id}".encode()).digest()
    chosen_first = random.Random(digest).random() < 0.5
    first, second = (pair.chosen, pair.rejected) if chosen_first else (pair.rejected, pair.chosen)
    gold: GoldWinner = "tie" if pair.tie else ("A" if chosen_first else "B")
    item = PairItem(
        id=pair.id,
        instruction=pair.instruction,
        response_a=first,
        response_b=second,
        rubric=pair.rubric,
        reference_answer=pair.reference_answer,
    )
    return SidedPair(source=pair, item=item, gold=gold, key_a=response_key(first), key_b=response_key(second))


def swap(item: PairItem) -> PairItem:
    """The same pair with A and B exchanged."""
    return item.model_copy(update={"response_a": item.response_b, "response_b": item.response_a})


def direct_items_of_pair(item: PairItem) -> tuple[DirectItem, DirectItem]:
    """The two responses of a pair as direct-assessment items (absolute-to-relative mode)."""
    common = {
        "instruction": item.instruction,
        "rubric": item.rubric,
        "reference_answer": item.reference_answer,
    }
    return (
        DirectItem(id=f"{item.id}#A", response=item.response_a, **common),
        DirectItem(id=f"{item.id}#B", response=item.response_b, **common),
    )
