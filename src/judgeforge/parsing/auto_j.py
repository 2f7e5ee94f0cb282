"""Auto-J verdicts (``codes/usage/example.py``, ``bilingual_example.py``).

Single (``mode="absolute"``): the **last** ``Rating: [[N]]``, read as a number (Auto-J uses ``float``) on the
rubric's scale (Auto-J: 1-10). Strict where Auto-J is loose: no rating is a failure (Auto-J returns 0.0, a
score indistinguishable from a real one), as are a value off the scale and a rating without its ``]]``.

Pairwise (``mode="relative"``): the text after the **last** ``final decision is `` starts with ``Response 1``
(A), ``Response 2`` (B) or ``Tie`` (any case), as a whole word (``Response 12`` is not ``Response 1``). No
decision, or another one, is a failure (Auto-J's -1).

Chinese (``auto-j-zh``): ``评分: [[N]]`` (or ``打分``), with or without a space after the colon (Auto-J's own
reader wants none, although its template's example has one); ``最终决定是`` followed by ``回应1``, ``回应2`` or
``平局``. Earlier, different verdicts are noted.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from judgeforge.parsing.common import ONE_TO_TEN, failure, normalized, number_on_scale, others_note
from judgeforge.records import Mode, Verdict, Winner

_RATING_EN = re.compile(r"Rating: \[\[(.*?)(\]\]|$)", re.DOTALL)
_RATING_ZH = re.compile(r"(?:评分|打分)\s*[:：]\s*\[\[(.*?)(\]\]|$)", re.DOTALL)
_DECISION_EN = "final decision is "
_DECISION_ZH = "最终决定是"
_CHOICES_EN: dict[str, Winner] = {"response 1": "A", "response 2": "B", "tie": "tie"}
_CHOICES_ZH: dict[str, Winner] = {"回应1": "A", "回应2": "B", "平局": "tie"}


def parse_auto_j(text: str, mode: Mode, scale: Sequence[str] | None = None) -> Verdict:
    """One Auto-J (English) judgment -> Verdict."""
    if mode == "absolute":
        return _rating(text, _RATING_EN, scale or ONE_TO_TEN, "Rating: [[N]]")
    return _decision(text, _DECISION_EN, _CHOICES_EN, mode)


def parse_auto_j_zh(text: str, mode: Mode, scale: Sequence[str] | None = None) -> Verdict:
    """One Auto-J (Chinese) judgment -> Verdict."""
    if mode == "absolute":
        return _rating(text, _RATING_ZH, scale or ONE_TO_TEN, "评分: [[N]]")
    return _decision(text, _DECISION_ZH, _CHOICES_ZH, mode)


def _rating(text: str, pattern: re.Pattern[str], scale: Sequence[str], form: str) -> Verdict:
    matches = list(pattern.finditer(text))
    if not matches:
        return failure(f"no {form}", text, text)
    last = matches[-1]
    feedback = text[: last.start()].strip()
    if not last.group(2):
        return failure(f"rating without its closing ]]: {last.group(0)[:40]!r}", text, feedback)
    value, problem = number_on_scale(last.group(1), scale, decimals=True)
    if value is None:
        return failure(f"rating [[{last.group(1).strip()}]]: {problem}", text, feedback)
    written = [_shown(m.group(1)) for m in matches if m.group(2)]
    note = others_note(f"[[{value}]]", written, "the last, as Auto-J reads it")
    return Verdict(score=value, feedback=feedback, raw=text, note=note)


def _shown(written: str) -> str:
    text = written.strip()
    try:
        return f"[[{normalized(text)}]]"
    except ValueError:
        return f"[[{text}]]"


def _decision(text: str, marker: str, choices: dict[str, Winner], mode: Mode) -> Verdict:
    if mode != "relative":
        raise ValueError(f"mode must be 'absolute' or 'relative', got {mode!r}")
    stripped = text.strip()
    starts = [m.end() for m in re.finditer(re.escape(marker), stripped)]
    if not starts:
        return failure(f"no decision ({marker.strip()!r} ...)", text, text)
    feedback = stripped[: starts[-1] - len(marker)].strip()
    read = [_choice(stripped[start:], choices) for start in starts]
    winner = read[-1]
    if winner is None:
        rest = stripped[starts[-1] :].strip().split("\n", 1)[0]
        return failure(f"unreadable decision {rest[:40]!r} (not one of {', '.join(choices)})", text, feedback)
    named = {value: key for key, value in choices.items()}
    note = others_note(
        named[winner], [named[w] for w in read if w is not None], "the last, as Auto-J reads it"
    )
    return Verdict(winner=winner, feedback=feedback, raw=text, note=note)


def _choice(rest: str, choices: dict[str, Winner]) -> Winner | None:
    lowered = rest.strip().lower()
    for name, winner in choices.items():
        if lowered.startswith(name) and not lowered[len(name) : len(name) + 1].isalnum():
            return winner
    return None
