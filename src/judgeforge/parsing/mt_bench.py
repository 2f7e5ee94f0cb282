"""MT-Bench / FastChat verdicts (``fastchat/llm_judge/common.py``).

Single (``mode="absolute"``): a rating in double brackets, ``[[7]]`` or ``[[7.5]]`` (FastChat reads a float),
on the rubric's scale (MT-Bench: 1-10). The **first** ``[[number]]`` counts, as in FastChat; later different
ratings are noted. Strict where FastChat is loose: a rating off the scale (``[[0]]``, ``[[11]]``, which
FastChat keeps) and an output without one (FastChat's -1, dropped later) are failures, and FastChat's
fallback to a single-bracketed ``[7]`` is not taken (it also reads citations such as ``[1]``).

Pairwise (``mode="relative"``): ``[[A]]``, ``[[B]]``, or ``[[C]]`` for a tie. FastChat tests for ``[[A]]``, then
``[[B]]``, then ``[[C]]`` anywhere in the text, so an output holding ``[[B]]`` and ``[[A]]`` counts as A
whatever their order; judgeforge follows that rule and notes the other labels. No label: a failure
(FastChat's "error").
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from judgeforge.parsing.common import ONE_TO_TEN, failure, normalized, number_on_scale, others_note
from judgeforge.records import Mode, Verdict, Winner

_RATING = re.compile(r"\[\[(\d+(?:\.\d+)?)\]\]")
_BRACKETED = re.compile(r"\[\[([^\[\]\n]{1,20})\]\]")
_SINGLE = re.compile(r"(?<!\[)\[(\d+(?:\.\d+)?)\](?!\])")
_LABEL = re.compile(r"\[\[([ABC])\]\]")
_TRAILING_LABEL = re.compile(r"(?:\s*(?:rating|final verdict|verdict)\s*:?\s*)$", re.IGNORECASE)
_WINNERS: dict[str, Winner] = {"A": "A", "B": "B", "C": "tie"}


def parse_mt_bench(text: str, mode: Mode, scale: Sequence[str] | None = None) -> Verdict:
    """One MT-Bench judgment -> Verdict (score, or winner A/B/tie); a failure is data."""
    if mode == "absolute":
        return _single(text, scale or ONE_TO_TEN)
    if mode == "relative":
        return _pair(text)
    raise ValueError(f"mode must be 'absolute' or 'relative', got {mode!r}")


def _single(text: str, scale: Sequence[str]) -> Verdict:
    ratings = list(_RATING.finditer(text))
    if not ratings:
        return failure(_no_rating(text), text, text)
    first = ratings[0]
    feedback = _feedback(text[: first.start()])
    value, problem = number_on_scale(first.group(1), scale, decimals=True)
    if value is None:
        return failure(f"rating [[{first.group(1)}]]: {problem}", text, feedback)
    written = [f"[[{normalized(m.group(1))}]]" for m in ratings]
    note = others_note(f"[[{value}]]", written, "the first, as FastChat reads it")
    return Verdict(score=value, feedback=feedback, raw=text, note=note)


def _no_rating(text: str) -> str:
    seen = [m.group(0) for m in _BRACKETED.finditer(text) if any(c.isdigit() for c in m.group(1))]
    if seen:
        return f"no [[rating]]: unreadable {seen[0]!r}"
    single = _SINGLE.search(text)
    if single:
        return f"no [[rating]] (a single-bracketed {single.group(0)!r} is not read)"
    return "no [[rating]]"


def _pair(text: str) -> Verdict:
    labels = [m.group(1) for m in _LABEL.finditer(text)]
    if not labels:
        return failure("no verdict label [[A]], [[B]] or [[C]]", text, text)
    taken = next(label for label in "ABC" if label in labels)  # FastChat's order of tests
    position = text.find(f"[[{taken}]]")
    note = others_note(
        f"[[{taken}]]", [f"[[{label}]]" for label in labels], "FastChat tests A, then B, then C"
    )
    return Verdict(winner=_WINNERS[taken], feedback=_feedback(text[:position]), raw=text, note=note)


def _feedback(before: str) -> str:
    """The explanation before the verdict, without a trailing ``Rating:``/``Final verdict:`` label."""
    return _TRAILING_LABEL.sub("", before.rstrip(" \t\"'*")).strip()
