"""Pairing a Feedback Collection into preference pairs, with seeded, balanced A/B positions.

Rows are grouped by (instruction, criterion, reference answer). Inside a group every two responses with
distinct scores form a pair (the paper's groups of 5 give 10 pairs); the higher score wins. Positions are
assigned per score gap: the pairs of each gap are shuffled with the seed and alternate A-wins / B-wins, so A
wins half the pairs (to within one) overall and within every gap.
"""

from __future__ import annotations

import hashlib
import random
from collections import defaultdict
from collections.abc import Iterable
from itertools import combinations
from typing import Literal

from judgeforge.data.feedback import FeedbackRecord
from judgeforge.records import Record

EXPECTED_GROUP_SIZE = 5


class PreferencePair(Record):
    """One pair before the teacher writes its feedback. ``a``/``b`` are already in their final positions."""

    pair_id: str
    a: FeedbackRecord
    b: FeedbackRecord
    winner: Literal["A", "B"]

    @property
    def gap(self) -> int:
        return abs(self.a.score - self.b.score)


class GroupReport(Record):
    """What pairing saw: group counts, skipped equal-score pairs, groups of unexpected size."""

    groups: int
    pairs: int
    skipped_equal_scores: int
    odd_groups: tuple[str, ...]
    duplicate_score_groups: tuple[str, ...]


def group_records(
    records: Iterable[FeedbackRecord],
) -> dict[tuple[str, str, str | None], list[FeedbackRecord]]:
    groups: dict[tuple[str, str, str | None], list[FeedbackRecord]] = defaultdict(list)
    for record in records:
        groups[record.group_key()].append(record)
    return groups


def build_pairs(records: Iterable[FeedbackRecord], seed: int) -> tuple[list[PreferencePair], GroupReport]:
    """All distinct-score pairs of every group, positions balanced per score gap."""
    groups = group_records(records)
    ordered: list[tuple[FeedbackRecord, FeedbackRecord]] = []  # (winner, loser)
    skipped, odd, duplicates = 0, [], []
    for key, members in groups.items():
        label = _group_label(key, members)
        if len(members) != EXPECTED_GROUP_SIZE:
            odd.append(f"{label}: {len(members)} responses")
        if len({m.score for m in members}) < len(members):
            duplicates.append(f"{label}: scores {sorted(m.score for m in members)}")
        for first, second in combinations(members, 2):
            if first.score == second.score:
                skipped += 1
                continue
            ordered.append((first, second) if first.score > second.score else (second, first))
    pairs = _assign_positions(ordered, seed)
    report = GroupReport(
        groups=len(groups),
        pairs=len(pairs),
        skipped_equal_scores=skipped,
        odd_groups=tuple(odd),
        duplicate_score_groups=tuple(duplicates),
    )
    return pairs, report


def _assign_positions(
    ordered: list[tuple[FeedbackRecord, FeedbackRecord]], seed: int
) -> list[PreferencePair]:
    by_gap: dict[int, list[tuple[FeedbackRecord, FeedbackRecord]]] = defaultdict(list)
    for winner, loser in ordered:
        by_gap[winner.score - loser.score].append((winner, loser))
    rng = random.Random(seed)
    pairs = []
    a_wins_next = rng.random() < 0.5
    for gap in sorted(by_gap):
        members = by_gap[gap]
        rng.shuffle(members)
        for winner, loser in members:
            a, b = (winner, loser) if a_wins_next else (loser, winner)
            pairs.append(PreferencePair(pair_id=_pair_id(a, b), a=a, b=b, winner="A" if a_wins_next else "B"))
            a_wins_next = not a_wins_next
    return sorted(
        pairs,
        key=lambda pair: (pair.a.row, pair.b.row) if pair.a.row < pair.b.row else (pair.b.row, pair.a.row),
    )


def _pair_id(a: FeedbackRecord, b: FeedbackRecord) -> str:
    blob = "\x1f".join([a.instruction, a.rubric.criteria, a.reference_answer or "", a.response, b.response])
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _group_label(key: tuple[str, str, str | None], members: list[FeedbackRecord]) -> str:
    rows = ",".join(str(m.row) for m in members[:6])
    return f"group of rows {rows}{'...' if len(members) > 6 else ''} ({key[0][:40]!r})"
