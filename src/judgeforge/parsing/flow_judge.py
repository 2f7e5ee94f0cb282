"""Flow-Judge verdicts (``flow_judge/eval_data_types.py``, ``EvalOutput.parse``).

The model writes ``<feedback>...</feedback>`` then ``<score>N</score>``. As in Flow-Judge, the **first**
``<feedback>`` block and the **first** ``<score>`` tag holding a whole number count, whitespace inside the
tags allowed, and both must be there. Strict where Flow-Judge is loose: the score must be one of the rubric's
levels (Flow-Judge does not check its scale), and a failure is a failure (Flow-Judge's ``score=-1``,
``feedback="Error"``). A later, different ``<score>`` is noted. Direct assessment only.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from judgeforge.parsing.common import ONE_TO_FIVE, failure, normalized, number_on_scale, others_note
from judgeforge.records import Mode, Verdict

_FEEDBACK = re.compile(r"<feedback>\s*(.*?)\s*</feedback>", re.DOTALL)
_SCORE = re.compile(r"<score>\s*(\d+)\s*</score>", re.DOTALL)
_ANY_SCORE = re.compile(r"<score>(.{0,40}?)</score>", re.DOTALL)


def parse_flow_judge(text: str, mode: Mode, scale: Sequence[str] | None = None) -> Verdict:
    """One Flow-Judge evaluation -> Verdict (a score on the rubric's scale; a failure is data)."""
    if mode != "absolute":
        raise ValueError(f"Flow-Judge grades one response (mode 'absolute'), got {mode!r}")
    feedback_match = _FEEDBACK.search(text)
    feedback = feedback_match.group(1) if feedback_match else ""
    scores = _SCORE.findall(text)
    if not scores:
        seen = _ANY_SCORE.search(text)
        reason = f"unreadable score {seen.group(0)!r}" if seen else "no <score>...</score>"
        return failure(reason, text, feedback)
    if feedback_match is None:
        return failure("no <feedback>...</feedback>", text)
    levels = scale or ONE_TO_FIVE
    value, problem = number_on_scale(scores[0], levels, decimals=False)
    if value is None:
        return failure(f"<score>{scores[0]}</score>: {problem}", text, feedback)
    note = others_note(str(value), [normalized(s) for s in scores], "the first, as Flow-Judge reads it")
    return Verdict(score=value, feedback=feedback, raw=text, note=note)
