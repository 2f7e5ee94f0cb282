"""Judges that answer with a short choice and little else: OffsetBias and PandaLM (pairwise only).

OffsetBias (``module.py``, ``get_prediction``): the stripped output is searched for ``Output (a)`` at a line start
(one optional space before it), then for ``Output (b)``; the first pattern that matches wins, so an output with
both counts as A (noted). Neither: a failure (OffsetBias's N/A). No tie.

PandaLM (``pandalm_inference.py``, ``parse_pandalm_response``): the first line of the stripped output is ``1``
(A), ``2`` (B) or ``Tie`` (any case); the reason follows under ``### Reason:``. Strict where PandaLM is loose:
any other first line is a failure (PandaLM counts it as a tie).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from judgeforge.parsing.common import failure, first_line
from judgeforge.records import Mode, Verdict, Winner

_OUTPUT_A = re.compile(r"(?:^|\n) ?Output \(a\)")
_OUTPUT_B = re.compile(r"(?:^|\n) ?Output \(b\)")
_REASON = re.compile(r"###\s*Reason:\s*(.*?)(?:\n\s*###\s*Reference:|\Z)", re.DOTALL)
_PANDALM: dict[str, Winner] = {"1": "A", "2": "B", "tie": "tie"}


def parse_offsetbias(text: str, mode: Mode, scale: Sequence[str] | None = None) -> Verdict:
    """One OffsetBias answer -> Verdict (winner A or B)."""
    _pairwise_only(mode, "OffsetBias")
    stripped = text.strip()
    first, second = _OUTPUT_A.search(stripped), _OUTPUT_B.search(stripped)
    if first is None and second is None:
        return failure(f"no 'Output (a)' or 'Output (b)' at a line start: {stripped[:60]!r}", text)
    if first is not None:
        note = (
            None
            if second is None
            else "both 'Output (a)' and 'Output (b)'; (a) taken, as OffsetBias tests it first"
        )
        return Verdict(winner="A", raw=text, note=note)
    return Verdict(winner="B", raw=text)


def parse_pandalm(text: str, mode: Mode, scale: Sequence[str] | None = None) -> Verdict:
    """One PandaLM evaluation -> Verdict (winner A, B or tie)."""
    _pairwise_only(mode, "PandaLM")
    line = first_line(text)
    reason = _REASON.search(text)
    feedback = reason.group(1).strip() if reason else text.strip().partition("\n")[2].strip()
    winner = _PANDALM.get(line.lower() if line.lower() == "tie" else line)
    if winner is None:
        return failure(f"first line is not 1, 2 or Tie: {line[:60]!r}", text, feedback)
    return Verdict(winner=winner, feedback=feedback, raw=text)


def _pairwise_only(mode: Mode, family: str) -> None:
    if mode != "relative":
        raise ValueError(f"{family} verdicts are pairwise (mode 'relative'), got {mode!r}")
