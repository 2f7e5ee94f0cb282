"""Krippendorff's alpha for nominal, ordinal and interval data, with missing values.

Reliability data are *units* (e.g. graded rows), each holding the values its *coders* (e.g. samples of a
judge) gave it; ``None`` marks a missing value. Units with fewer than two values are not pairable and are
ignored. The computation follows Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", through
the coincidence matrix, which is accumulated unit by unit so that a run of any size needs O(values²) memory::

    alpha = 1 - (n - 1) * Σ o_ck δ²(c, k) / Σ n_c n_k δ²(c, k)

with ``o_ck`` the coincidences, ``n_c`` their marginals, ``n`` the number of pairable values and ``δ²`` the
metric of the level: nominal (0 if equal else 1), ordinal (squared count of values between c and k, halved at
the ends) or interval (squared difference).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Sequence
from typing import Any, Literal

Level = Literal["nominal", "ordinal", "interval"]
LEVELS: tuple[Level, ...] = ("nominal", "ordinal", "interval")


class CoincidenceAccumulator:
    """Streaming coincidence matrix: feed units one at a time, read alpha at any point."""

    def __init__(self) -> None:
        self._coincidences: defaultdict[tuple[Any, Any], float] = defaultdict(float)
        self.units = 0

    def add_unit(self, values: Iterable[Hashable | None]) -> None:
        """Add one unit's values (``None`` = missing). Units with fewer than two values are skipped."""
        counts = Counter(value for value in values if value is not None)
        pairable = sum(counts.values())
        if pairable < 2:
            return
        self.units += 1
        for c, n_c in counts.items():
            for k, n_k in counts.items():
                pairs = n_c * (n_k - 1) if c == k else n_c * n_k
                if pairs:
                    self._coincidences[(c, k)] += pairs / (pairable - 1)

    def alpha(self, level: Level = "nominal") -> float | None:
        """Alpha at ``level``; None when undefined (no pairable values, or no variation at all)."""
        if level not in LEVELS:
            raise ValueError(f"level must be one of {', '.join(LEVELS)}, got {level!r}")
        marginals: defaultdict[Any, float] = defaultdict(float)
        for (c, _k), count in self._coincidences.items():
            marginals[c] += count
        total = sum(marginals.values())
        if total <= 1:
            return None
        delta = _metric(level, marginals)
        observed = sum(count * delta(c, k) for (c, k), count in self._coincidences.items())
        expected = sum(
            n_c * n_k * delta(c, k) for c, n_c in marginals.items() for k, n_k in marginals.items()
        )
        if expected == 0:
            return None
        return float(1.0 - (total - 1) * observed / expected)


def _metric(level: Level, marginals: dict[Any, float]) -> Any:
    if level == "nominal":
        return lambda c, k: 0.0 if c == k else 1.0
    if level == "interval":
        return lambda c, k: float(c - k) ** 2
    ranks = sorted(marginals)
    cumulative: dict[Any, float] = {}
    running = 0.0
    for value in ranks:
        running += marginals[value]
        cumulative[value] = running  # sum of n_g for all g <= value

    def ordinal(c: Any, k: Any) -> float:
        low, high = (c, k) if c <= k else (k, c)
        between = cumulative[high] - cumulative[low] + marginals[low]  # Σ n_g for low <= g <= high
        return (between - (marginals[low] + marginals[high]) / 2) ** 2

    return ordinal


def krippendorff_alpha(units: Iterable[Sequence[Hashable | None]], level: Level = "nominal") -> float | None:
    """Alpha over ``units`` (each a sequence of the coders' values, ``None`` = missing).

    Pass a coders × units matrix transposed (one row per unit). Returns None when alpha is undefined.
    """
    accumulator = CoincidenceAccumulator()
    for values in units:
        accumulator.add_unit(values)
    return accumulator.alpha(level)
