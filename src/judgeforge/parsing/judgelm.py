"""JudgeLM verdicts (``judgelm/llm_judge/common.py``, ``parse_score``).

The first line holds two scores, Assistant 1's (A) and Assistant 2's (B), on 1-10; the explanation follows on
the next lines. The winner is the higher score, a tie when equal (JudgeLM's ``translate_score_to_win_list``
with T = 0). Pairwise only. Separators: spaces and/or one comma (``8 9``, ``8,9``, ``8, 9``); JudgeLM itself
splits on single spaces and fails on ``8, 9`` or a double space. Strict where JudgeLM is loose: anything but
exactly two numbers on the scale is a failure (JudgeLM's ``[-1, -1]``, which it counts as a tie).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from judgeforge.parsing.common import ONE_TO_TEN, failure, first_line, number_on_scale, ordered
from judgeforge.records import Mode, Verdict

_TWO = re.compile(r"^(\S+?)\s*(?:,\s*|\s+)(\S+)$")


def parse_judgelm(text: str, mode: Mode, scale: Sequence[str] | None = None) -> Verdict:
    """One JudgeLM judgment -> Verdict with ``scores`` (A's, B's) and the winner they give."""
    if mode != "relative":
        raise ValueError(f"JudgeLM verdicts are pairwise (mode 'relative'), got {mode!r}")
    line = first_line(text)
    rest = text.strip().split("\n", 1)
    feedback = rest[1].strip() if len(rest) > 1 else ""
    match = _TWO.match(line)
    if match is None:
        return failure(f"first line is not two scores: {line[:60]!r}", text, feedback)
    values = []
    for written in match.groups():
        value, problem = number_on_scale(written.rstrip(","), scale or ONE_TO_TEN, decimals=True)
        if value is None:
            return failure(f"first line {line!r}: {problem}", text, feedback)
        values.append(float(value))
    first, second = values
    return Verdict(winner=ordered(first, second), scores=(first, second), feedback=feedback, raw=text)
