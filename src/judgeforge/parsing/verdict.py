"""Reading verdicts out of Prometheus-style judge outputs.

Only the model's own output is parsed, never the prompt, so a verdict marker inside an instruction or
response cannot be mistaken for the judge's verdict.

Accepted forms (``mode="absolute"``: a whole number 1..5; ``mode="relative"``: ``A`` or ``B``):

- The verdict is read after the **last** ``[RESULT]`` marker (case-insensitive; ``[RESULT]:`` too). Earlier
  markers, e.g. a feedback that quotes ``[RESULT] 3``, are part of the feedback.
- After the marker, any of: whitespace, ``:``, brackets/parentheses/quotes/markdown emphasis around the value,
  a ``Score``/``Score:`` label (absolute) or ``Response``/``Response:`` label (relative), then the value.
- After the value: ``/5``, ``out of 5``, closing brackets, trailing punctuation and whitespace, and for
  relative verdicts ``is better``/``wins``. Any further text on the same line makes the output ambiguous
  (a failure); text on later lines (e.g. an end-of-sequence token or a note) is ignored.
- A value outside the allowed ones (``6``, ``0``, ``4.5``, ``C``, ``A or B``) is a failure, never a default.
- Without any marker, a single fallback is tried: an output whose last line reads ``Score: 4``/``Score 4``
  (absolute) or ``Winner: A``/``Better response: B`` (relative). Otherwise the verdict is a failure.
- ``feedback`` is the text before the marker, stripped, with a leading ``Feedback:`` label removed.
"""

from __future__ import annotations

import re

from judgeforge.records import Mode, Verdict

MARKER = re.compile(r"\[RESULT\]:?", re.IGNORECASE)
_OPEN = r"[\s\[\(\{\"'*_`:]*"
_CLOSE = r"[\s\]\)\}\"'*_`]*"
_TAIL = r"[\s.!,;:\]\)\}\"'*_`]*"
_ABSOLUTE_VALUE = re.compile(
    rf"^{_OPEN}(?:score\s*[:=]?{_OPEN})?(?P<value>-?\d+(?:\.\d+)?)"
    rf"{_CLOSE}(?:(?:/|out\s+of)\s*5(?:\.0)?)?{_TAIL}$",
    re.IGNORECASE,
)
_RELATIVE_VALUE = re.compile(
    rf"^{_OPEN}(?:(?:response|output)\s*[:=]?{_OPEN})?(?P<value>[A-Za-z])\b"
    rf"{_CLOSE}(?:\s+(?:is\s+(?:the\s+)?better|wins))?{_TAIL}$",
    re.IGNORECASE,
)
_ABSOLUTE_FALLBACK = re.compile(r"^\W*(?:overall\s+)?score\s*(?:is|:|=)?\s*(?P<rest>.+)$", re.IGNORECASE)
_RELATIVE_FALLBACK = re.compile(
    r"^\W*(?:winner|better\s+response|preferred\s+response)\s*(?:is|:|=)?\s*(?P<rest>.+)$", re.IGNORECASE
)
_FEEDBACK_LABEL = re.compile(r"^\s*(?:###\s*)?feedback\s*:\s*", re.IGNORECASE)
ALLOWED = {"absolute": {"1", "2", "3", "4", "5"}, "relative": {"A", "B"}}


def parse_verdict(text: str, mode: Mode) -> Verdict:
    """Parse one judge output into a :class:`Verdict` (a failure is data, never an exception)."""
    if mode not in ALLOWED:
        raise ValueError(f"mode must be 'absolute' or 'relative', got {mode!r}")
    span = _last_marker(text)
    if span is not None:
        feedback, verdict_text = text[: span[0]], text[span[1] :]
        return _verdict_from(mode, verdict_text, feedback, text, where="after [RESULT]")
    return _fallback(text, mode)


def _last_marker(text: str) -> tuple[int, int] | None:
    """(start, end) of the last ``[RESULT]`` marker, any case, with its optional colon."""
    if text.isascii():  # upper() keeps every index of an ASCII string: one C search from the end
        start = text.upper().rfind("[RESULT]")
        if start < 0:
            return None
        end = start + len("[RESULT]")
        return start, end + (text[end : end + 1] == ":")
    markers = list(MARKER.finditer(text))
    return (markers[-1].start(), markers[-1].end()) if markers else None


def _verdict_from(mode: Mode, verdict_text: str, feedback: str, raw: str, where: str) -> Verdict:
    line = _first_line(verdict_text)
    value, failure = _read_value(mode, line)
    if failure is not None:
        return Verdict(feedback=clean_feedback(feedback), failure=f"{failure} {where}: {line!r}", raw=raw)
    # trusted(): value is already checked against ALLOWED; this is the grading hot path.
    if mode == "absolute":
        return Verdict.trusted(score=int(value), feedback=clean_feedback(feedback), raw=raw)
    return Verdict.trusted(winner="A" if value == "A" else "B", feedback=clean_feedback(feedback), raw=raw)


def _first_line(text: str) -> str:
    stripped = text.lstrip(" \t")
    if stripped.startswith(("\n", "\r")):
        stripped = stripped.lstrip()
    return stripped.splitlines()[0].strip() if stripped.strip() else ""


def _read_value(mode: Mode, line: str) -> tuple[str, str | None]:
    if line in ALLOWED[mode]:  # the usual "4" or "A": what the pattern would read, without running it
        return line, None
    if not line:
        return "", "no verdict"
    pattern = _ABSOLUTE_VALUE if mode == "absolute" else _RELATIVE_VALUE
    match = pattern.match(line)
    if match is None:
        return "", "unreadable verdict"
    value = match.group("value")
    if mode == "absolute" and value.endswith(".0"):
        value = value[:-2]
    value = value.upper()
    if value not in ALLOWED[mode]:
        return "", f"verdict {value!r} is not one of {sorted(ALLOWED[mode])}"
    return value, None


def _fallback(text: str, mode: Mode) -> Verdict:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    pattern = _ABSOLUTE_FALLBACK if mode == "absolute" else _RELATIVE_FALLBACK
    if lines:
        match = pattern.match(lines[-1].strip())
        if match is not None:
            feedback = "\n".join(lines[:-1])
            return _verdict_from(mode, match.group("rest"), feedback, text, where="in fallback line")
    return Verdict(feedback=clean_feedback(text), failure="no [RESULT] marker", raw=text)


def clean_feedback(text: str) -> str:
    """The feedback as written: stripped, without a leading ``Feedback:`` label."""
    text = text.strip()
    if text[:1] not in ("#", "f", "F"):  # cannot start with the label: skip the regex
        return text
    return _FEEDBACK_LABEL.sub("", text, count=1).strip()
