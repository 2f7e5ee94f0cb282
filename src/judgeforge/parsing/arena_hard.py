"""Arena-Hard-Auto verdicts: five labels, ``[[A>>B]]``, ``[[A>B]]``, ``[[A=B]]``, ``[[B>A]]``, ``[[B>>A]]``.

A label is a winner with a margin: ``>>`` a strong preference (margin 2, which Arena-Hard counts three times),
``>`` a slight one (margin 1), ``=`` a tie (margin 0). Pairwise only.

- **v0.1** (``gen_judgment.py`` before the v2.0 restructure): every ``[[...]]`` label of the text as written
  (case-sensitive). One distinct label (repeats are fine) is the verdict; two or more distinct labels: no
  verdict (v0.1 keeps none); none: no verdict (v0.1 then asks again; judgeforge regenerates). Strict where v0.1
  is loose: a label other than the five (``[[A<B]]``, ``[[AB]]``, which v0.1's pattern lets through and its
  scoring drops) is a failure.
- **v2.0**: the text upper-cased; the **last** ``[[...]]`` label, else the last single-bracketed ``[...]`` one.
  v2.0's scoring table also reads mirrored labels (``A<<B`` = ``B>>A``, ``A<B``, ``B=A``, ``B<<A``, ``B<A``);
  any other label is a failure (a KeyError in v2.0). Earlier different labels are noted.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from judgeforge.parsing.common import failure, others_note
from judgeforge.records import Mode, Verdict, Winner

_DOUBLE = re.compile(r"\[\[([AB<>=]+)\]\]")
_SINGLE = re.compile(r"\[([AB<>=]+)\]")
FIVE_LABELS: dict[str, tuple[Winner, int]] = {
    "A>>B": ("A", 2),
    "A>B": ("A", 1),
    "A=B": ("tie", 0),
    "B>A": ("B", 1),
    "B>>A": ("B", 2),
}
_MIRRORED = {"A<<B": "B>>A", "A<B": "B>A", "B=A": "A=B", "B<<A": "A>>B", "B<A": "A>B"}


def parse_arena_hard_v01(text: str, mode: Mode, scale: Sequence[str] | None = None) -> Verdict:
    """Arena-Hard v0.1: the one distinct label of the text; several distinct labels or none: a failure."""
    _pairwise_only(mode)
    labels = list(dict.fromkeys(_DOUBLE.findall(text)))
    if not labels:
        return failure("no verdict label [[A>>B]] .. [[B>>A]]", text, text)
    if len(labels) > 1:
        shown = ", ".join(f"[[{label}]]" for label in labels)
        return failure(f"several different verdict labels: {shown} (v0.1 keeps none)", text, text)
    return _verdict(labels[0], labels[0], text, note=None)


def parse_arena_hard_v2(text: str, mode: Mode, scale: Sequence[str] | None = None) -> Verdict:
    """Arena-Hard v2.0: the last label of the upper-cased text (double brackets, else single)."""
    _pairwise_only(mode)
    upper = text.upper()  # v2.0 reads labels case-insensitively ([[a>b]] counts)
    labels = _DOUBLE.findall(upper) or _SINGLE.findall(upper)
    if not labels:
        return failure("no verdict label [[A>>B]] .. [[B>>A]]", text, text)
    canonical = [_MIRRORED.get(label, label) for label in labels]
    note = others_note(
        f"[[{canonical[-1]}]]", [f"[[{label}]]" for label in canonical], "the last, as v2.0 reads"
    )
    return _verdict(canonical[-1], labels[-1], text, note)


def _verdict(label: str, written: str, text: str, note: str | None) -> Verdict:
    feedback = _feedback(text, written)
    if label not in FIVE_LABELS:
        return failure(f"label [[{label}]] is not one of {', '.join(FIVE_LABELS)}", text, feedback)
    winner, margin = FIVE_LABELS[label]
    return Verdict(winner=winner, margin=margin, feedback=feedback, raw=text, note=note)


def _feedback(text: str, written: str) -> str:
    """The judgment up to the label taken (the explanation and the judge's own answer)."""
    upper = text.upper()
    end = upper.rfind(f"[[{written}]]")
    end = end if end >= 0 else upper.rfind(f"[{written}]")
    return text[: end if end >= 0 else len(text)].strip()


def _pairwise_only(mode: Mode) -> None:
    if mode != "relative":
        raise ValueError(f"Arena-Hard verdicts are pairwise (mode 'relative'), got {mode!r}")
