"""Verdicts of result lines (grading runs and bench rows share the verdict shape): outputs for an item's
full view, and counts over every sample for the verdict charts.

Every kind of verdict counts (docs/parsing.md): a score on any scale (``0`` on a 0-1 scale, a decimal such as
MT-Bench's ``7.5``, each its own level), a label (``Yes``/``No``), a winner (``A``, ``B`` or ``tie``, a tie
being a verdict of its own) with its margin or both responses' scores. Only a sample with a ``failure`` or
with none of these has no verdict.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from judgeforge.report import labels, units
from judgeforge.report.data import Output

SCORE_LEVELS = [str(level) for level in range(1, 6)]
WINNERS = ["A", "B", "tie"]
NO_VERDICT = "no verdict"
_FLIP = {"A": "B", "B": "A"}


def outputs(line: dict[str, Any], missing_raw: str) -> list[Output]:
    """Every sample of a line (both orders where judged so), each with what was read from it.

    ``missing_raw`` says why a verdict without a ``raw`` field has none (the runner keeps it on failure only).
    """
    forward = list(line.get("verdicts") or [])
    swapped = list(line.get("verdicts_swapped") or [])
    single = len(forward) == 1 and not swapped
    result = [
        _output("output" if single else f"sample {i}", v, missing_raw) for i, v in enumerate(forward, 1)
    ]
    result += [
        _output(f"sample {i}, swapped order (B, A)", v, missing_raw, swapped=True)
        for i, v in enumerate(swapped, 1)
    ]
    return result


def _output(label: str, verdict: dict[str, Any], missing_raw: str, *, swapped: bool = False) -> Output:
    failure = verdict.get("failure")
    parsed = f"no verdict: {failure}" if failure else _parsed(verdict, swapped)
    attempts = verdict.get("attempts")
    if isinstance(attempts, int) and attempts > 1:
        parsed += f" (after {attempts} attempts)"
    raw = verdict.get("raw")
    note = ""
    if raw is None:
        note = missing_raw
    elif not raw:
        note = "no text output (this judge computes its verdict without generating text)"
    return Output(label, parsed, bool(failure), str(verdict.get("feedback") or ""), str(raw or ""), note)


def _parsed(verdict: dict[str, Any], swapped: bool) -> str:
    if verdict.get("score") is not None:
        text = f"score {_number(verdict['score'])}"
    elif verdict.get("label") is not None:
        text = f"label {verdict['label']}"
    elif verdict.get("winner") is not None:
        winner = verdict["winner"]
        text = f"winner {winner}"
        if swapped and winner in _FLIP:
            text += f" (response {_FLIP[winner]} of the original order)"
        if verdict.get("margin") is not None and winner != "tie":
            text += f", margin {verdict['margin']}"  # a five-level preference's strength (Arena-Hard)
    else:
        text = NO_VERDICT
    scores = verdict.get("scores")
    if isinstance(scores, list) and len(scores) == 2:
        text += f"; scores A {_number(scores[0])}, B {_number(scores[1])}"
    if verdict.get("expected_score") is not None:
        text += f"; expected score {units.score(verdict['expected_score'])}"
    if verdict.get("note"):
        text += f"; note: {verdict['note']}"
    return text


def verdict_level(verdict: dict[str, Any]) -> str | None:
    """What one sample said of a direct-assessment item, as a chart level: its score (``"4"``, ``"0"``,
    ``"7.5"``) or its label (``"Yes"``); None when it has no verdict."""
    if verdict.get("failure"):
        return None
    if verdict.get("score") is not None:
        return _number(verdict["score"])
    if verdict.get("label") is not None:
        return str(verdict["label"])
    return None


def _number(value: Any) -> str:
    """A score as the judge wrote it: ``4``, ``0``, ``7.5`` (never ``4.0`` or ``7.50``)."""
    return (
        f"{float(value):g}" if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value)
    )


def has_verdict(verdict: dict[str, Any]) -> bool:
    """Whether a sample (or a result line) holds a verdict of any kind: a score, a label or a winner."""
    return not verdict.get("failure") and any(
        verdict.get(k) is not None for k in ("score", "label", "winner")
    )


def sample_counts(
    lines: list[dict[str, Any]], relative: bool, scale: Sequence[str] | None = None
) -> dict[str, float]:
    """How often each verdict was given over all samples (swapped-order winners mapped back to the original
    order); every level is present, empty ones as 0, and samples without a verdict are counted last.

    The levels of direct assessment: ``scale`` (the run's rubric scale, e.g. ``("0", "1")``) where known, else
    1..5 while every score given lies there; any other level given is added in order (numbers, then words).
    """
    counts: Counter[str] = Counter()
    for line in lines:
        for key, flip in (("verdicts", False), ("verdicts_swapped", True)):
            for verdict in line.get(key) or []:
                counts[_level(verdict, relative, flip)] += 1
    levels = WINNERS if relative else direct_levels([level for level in counts if level != NO_VERDICT], scale)
    shown = {labels.verdict(level) if relative else level: float(counts[level]) for level in levels}
    shown[NO_VERDICT] = float(counts[NO_VERDICT])
    return shown


def direct_levels(given: Sequence[str], scale: Sequence[str] | None = None) -> list[str]:
    """The levels a direct-assessment chart shows: the scale's (else 1..5 when every given level is one of
    them), then the other given levels, numbers in order before words."""
    standard = all(level in SCORE_LEVELS for level in given)
    base = list(scale) if scale else SCORE_LEVELS if standard else []
    return base + sorted((level for level in set(given) if level not in base), key=_level_order)


def _level_order(level: str) -> tuple[int, float, str]:
    try:
        return 0, float(level), ""
    except ValueError:
        return 1, 0.0, level


def _level(verdict: dict[str, Any], relative: bool, flip: bool) -> str:
    if not relative:
        return verdict_level(verdict) or NO_VERDICT
    value = verdict.get("winner")
    if verdict.get("failure") or value is None:
        return NO_VERDICT
    return _FLIP.get(value, value) if flip else str(value)


def failure_counts(lines: list[dict[str, Any]]) -> dict[str, float]:
    """Why samples had no verdict, over all samples of all lines."""
    counts: Counter[str] = Counter(
        str(verdict["failure"])
        for line in lines
        for key in ("verdicts", "verdicts_swapped")
        for verdict in line.get(key) or []
        if verdict.get("failure")
    )
    return {reason: float(n) for reason, n in counts.most_common()}


def samples_with_verdict(lines: list[dict[str, Any]]) -> tuple[int, int]:
    """(samples with a verdict, all samples)."""
    verdicts = [v for line in lines for key in ("verdicts", "verdicts_swapped") for v in line.get(key) or []]
    return sum(1 for v in verdicts if has_verdict(v)), len(verdicts)
