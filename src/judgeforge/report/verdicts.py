"""Verdicts of result lines (grading runs and bench rows share the verdict shape): outputs for an item's
full view, and counts over every sample for the verdict charts."""

from __future__ import annotations

from collections import Counter
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
        text = f"score {verdict['score']}"
    elif verdict.get("winner") is not None:
        winner = verdict["winner"]
        text = f"winner {winner}"
        if swapped and winner in _FLIP:
            text += f" (response {_FLIP[winner]} of the original order)"
    else:
        text = NO_VERDICT
    if verdict.get("expected_score") is not None:
        text += f"; expected score {units.score(verdict['expected_score'])}"
    return text


def sample_counts(lines: list[dict[str, Any]], relative: bool) -> dict[str, float]:
    """How often each verdict was given over all samples (swapped-order winners mapped back to the original
    order); every level is present, empty ones as 0, and samples without a verdict are counted last."""
    counts: Counter[str] = Counter()
    for line in lines:
        for key, flip in (("verdicts", False), ("verdicts_swapped", True)):
            for verdict in line.get(key) or []:
                counts[_level(verdict, relative, flip)] += 1
    levels = WINNERS if relative else SCORE_LEVELS
    shown = {labels.verdict(level) if relative else level: float(counts[level]) for level in levels}
    shown[NO_VERDICT] = float(counts[NO_VERDICT])
    return shown


def _level(verdict: dict[str, Any], relative: bool, flip: bool) -> str:
    if verdict.get("failure"):
        return NO_VERDICT
    value = verdict.get("winner") if relative else verdict.get("score")
    if value is None:
        return NO_VERDICT
    if relative:
        return _FLIP.get(value, value) if flip else str(value)
    return str(min(5, max(1, round(float(value)))))


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
    parsed = sum(1 for v in verdicts if not v.get("failure") and (v.get("score") or v.get("winner")))
    return parsed, len(verdicts)
