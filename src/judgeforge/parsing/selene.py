"""Atla Selene Mini verdicts (the cookbooks' ``parse_atla_response``; no parser ships with the templates).

The model writes ``**Reasoning:** <feedback>``, a blank line, then ``**Result:** <verdict>``. Over the
output's non-empty lines, a line starting with ``**Result:**`` gives the verdict and a later one replaces it, so
the **last** counts (earlier different ones are noted). The verdict, stripped (and cut at an end-of-turn
token), must be exactly one of the scale's levels: an integer 1..5 for absolute scoring, ``Yes``/``No`` for the
classification rubric (a label), ``A``/``B`` for pairwise (no tie). The feedback is everything after
``**Reasoning:**`` up to the result (the cookbook keeps its first line only). No result line, or another
value, is a failure (the cookbook's ``None``).
"""

from __future__ import annotations

from collections.abc import Sequence

from judgeforge.parsing.common import NUMBER, ONE_TO_FIVE, failure, others_note
from judgeforge.parsing.verdict import before_end_of_turn
from judgeforge.records import Mode, Verdict

RESULT = "**Result:**"
REASONING = "**Reasoning:**"


def parse_selene(text: str, mode: Mode, scale: Sequence[str] | None = None) -> Verdict:
    """One Selene Mini output -> Verdict (score, label or winner)."""
    if mode not in ("absolute", "relative"):
        raise ValueError(f"mode must be 'absolute' or 'relative', got {mode!r}")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    results = [(i, _value(line[len(RESULT) :])) for i, line in enumerate(lines) if line.startswith(RESULT)]
    if not results:
        return failure("no **Result:** line", text, text)
    index, value = results[-1]
    feedback = _reasoning(lines[:index])
    levels = ("A", "B") if mode == "relative" else tuple(scale or ONE_TO_FIVE)
    if value not in levels:
        return failure(f"**Result:** {value!r} is not one of {'/'.join(levels)}", text, feedback)
    note = others_note(value, [v for _, v in results], "the last, as the Selene cookbooks read it")
    if mode == "relative":
        return Verdict(winner="A" if value == "A" else "B", feedback=feedback, raw=text, note=note)
    if all(NUMBER.fullmatch(level) for level in levels):
        return Verdict(score=int(value), feedback=feedback, raw=text, note=note)
    return Verdict(label=value, feedback=feedback, raw=text, note=note)


def _value(written: str) -> str:
    stripped = written.strip()
    return before_end_of_turn(stripped) if "<" in stripped else stripped


def _reasoning(lines: list[str]) -> str:
    start = next((i for i, line in enumerate(lines) if line.startswith(REASONING)), None)
    if start is None:
        return "\n".join(lines).strip()
    kept = [lines[start][len(REASONING) :].strip(), *lines[start + 1 :]]
    return "\n".join(line for line in kept if not line.startswith(RESULT)).strip()
