"""Self-consistency of a judge: swap consistency, transitivity, direct-vs-pairwise agreement."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from itertools import combinations


def flip(winner: str | None) -> str | None:
    """The same verdict seen with A and B exchanged."""
    return {"A": "B", "B": "A"}.get(winner or "", winner)


def swap_consistency(forward: Sequence[str | None], backward: Sequence[str | None]) -> float | None:
    """Share of pairs whose verdict survives swapping A and B (``backward`` is in the swapped order).

    Pairs where either order gave no verdict are left out.
    """
    if len(forward) != len(backward):
        raise ValueError("forward and backward must have the same length")
    judged = [(f, b) for f, b in zip(forward, backward) if f is not None and b is not None]
    if not judged:
        return None
    return sum(f == flip(b) for f, b in judged) / len(judged)


def transitivity(edges: Sequence[tuple[str, str, str, str | None]]) -> tuple[float | None, int]:
    """(share of transitive triads, number of triads) over pairwise verdicts within groups.

    ``edges`` are ``(group, response_a, response_b, winner)`` with winner ``A``/``B`` (other verdicts are
    ignored). A triad is three responses of one group whose three pairs were all judged; it is transitive
    unless the verdicts form a cycle (x > y > z > x).
    """
    beats: defaultdict[str, dict[frozenset[str], str]] = defaultdict(dict)
    for group, a, b, winner in edges:
        if winner in ("A", "B") and a != b:
            beats[group][frozenset((a, b))] = a if winner == "A" else b
    transitive = total = 0
    for judged in beats.values():
        nodes = sorted({node for pair in judged for node in pair})
        for triad in combinations(nodes, 3):
            pairs = [frozenset(pair) for pair in combinations(triad, 2)]
            if not all(pair in judged for pair in pairs):
                continue
            total += 1
            wins = [judged[pair] for pair in pairs]
            # A cycle gives every member exactly one win; any transitive order has win counts 2, 1, 0.
            transitive += len(set(wins)) != 3
    return (transitive / total if total else None), total


def direct_pairwise_agreement(direct: Sequence[str | None], pairwise: Sequence[str | None]) -> float | None:
    """Share of pairs where the winner read from direct scores equals the pairwise verdict.

    ``direct`` is ``A``/``B``/``tie`` from comparing the two direct scores; pairs without both verdicts are
    left out, a direct tie against a pairwise A/B counts as disagreement.
    """
    if len(direct) != len(pairwise):
        raise ValueError("direct and pairwise must have the same length")
    judged = [(d, p) for d, p in zip(direct, pairwise) if d is not None and p is not None]
    if not judged:
        return None
    return sum(d == p for d, p in judged) / len(judged)
