"""Near-miss column names: an input column that is unknown but close to a known one is most likely a typo.

``"reference_answers"`` next to ``reference_answer`` would otherwise be ignored without a word (and the row
graded with the no-reference template). A column is *near* a known one when, compared case-insensitively,
it differs by at most two edits (Levenshtein distance, from ``rapidfuzz``), by a plural ``s``, or by the
:data:`ORIG_PREFIX` of the Feedback and Preference Collections' column names added or missing.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable

from judgeforge.errors import InputError

# The prefix of the published collections' original columns. Spelled here, in the bottom layer, so that
# `rubrics` can strip it; the column names themselves live in `judgeforge.data.collections` alone.
ORIG_PREFIX = "orig_"
MAX_EDITS = 2
# Shorter names get no edit-distance match: "mode" is one edit from "model", a common column of its own.
MIN_FUZZY_LENGTH = 6


def near_miss(column: str, known: Iterable[str]) -> str | None:
    """The known column that ``column`` most likely meant, or None when it is not close to any."""
    from rapidfuzz.distance import Levenshtein  # only when a run meets an unknown column

    folded = column.lower()
    candidates = []
    for name in known:
        target = name.lower()
        if folded == target:
            return name if column != name else None  # a case variant is a near miss; the name itself is not
        variants = {folded.removeprefix(ORIG_PREFIX), folded.rstrip("s"), ORIG_PREFIX + folded}
        if target in variants or target.removeprefix(ORIG_PREFIX) == folded:
            return name
        if len(target) < MIN_FUZZY_LENGTH:
            continue
        distance = Levenshtein.distance(folded, target, score_cutoff=MAX_EDITS)
        if distance <= MAX_EDITS:
            candidates.append((distance, name))
    return min(candidates)[1] if candidates else None


class ColumnCheck:
    """Checks each new column name of a run once: near misses warn once (or fail with ``strict``)."""

    def __init__(self, known: Iterable[str], *, strict: bool = False, where: str = "input") -> None:
        self.known = frozenset(known)
        self.strict = strict
        self.where = where
        self._accepted = set(self.known)  # known columns and unknown ones already reported
        self.warned: dict[str, str] = {}  # column -> the known column it is close to

    def check(self, columns: Iterable[str]) -> None:
        """Raises InputError naming the column when ``strict`` and it is unknown."""
        if self._accepted.issuperset(columns):  # the common case: one C-level pass over the row's keys
            return
        for column in columns:
            if column not in self._accepted:
                self._first_sight(column)

    def _first_sight(self, column: str) -> None:
        meant = near_miss(column, self.known)
        if self.strict:
            hint = f" (did you mean '{meant}'?)" if meant else ""
            raise InputError(f"unknown column{hint}; known: {', '.join(sorted(self.known))}", field=column)
        self._accepted.add(column)
        if meant is not None:
            self.warned[column] = meant
            warnings.warn(
                f"{self.where} column '{column}' is not used; did you mean '{meant}'? (rename it, map it with "
                f"--map {meant}={column}, or pass --strict-columns to make unknown columns an error)",
                UserWarning,
                stacklevel=2,
            )
