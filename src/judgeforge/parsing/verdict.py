"""Reading verdicts out of Prometheus-style judge outputs.

Only the model's own output is parsed, never the prompt, so a verdict marker inside an instruction or
response cannot be mistaken for the judge's verdict.

Accepted forms (``mode="absolute"``: a whole number 1..5; ``mode="relative"``: ``A`` or ``B``):

- The verdict is read after the **last** ``[RESULT]`` marker (case-insensitive). The marker may carry a colon
  after or inside its brackets: ``[RESULT]``, ``[RESULT]:``, ``[RESULT:]``, and ``[RESULT: 4]`` /
  ``[RESULT:B]``, where the value sits inside the brackets. Earlier markers, e.g. a feedback that quotes
  ``[RESULT] 3``, are part of the feedback. ``[RESULTS]`` or ``[RESULT 4]`` are not markers.
- After the marker, any of: whitespace, ``:``, brackets/parentheses/quotes/markdown emphasis around the value,
  and one short label before the value: ``Score``, ``Result``, ``Rating``, ``score of``, optionally preceded
  by ``Final``/``Overall`` and followed by ``:`` or ``=`` (absolute); ``Result``, ``Winner``, ``Better
  response``, ``Preferred response`` and/or ``Response``/``Output`` (relative), then the value.
- After the value: ``/5``, ``out of 5``, closing brackets, trailing punctuation and whitespace, and for
  relative verdicts ``is better``/``wins``. Any further text on the same line makes the output ambiguous
  (a failure: ``4 or 5``, ``4 5``, ``4/10``); text on later lines (e.g. a note) is ignored.
- An end-of-turn token ends the verdict line like a newline: servers that do not skip special tokens return
  them as text, right after the value, with or without spaces, often repeated. Recognised: ``</s>``
  (Llama 2, Mistral), ``<eos>`` and ``<end_of_turn>`` (Gemma), ``<end_of_utterance>`` (Idefics), and every
  ``<|name|>`` / ``<｜name｜>`` control token: ``<|im_end|>`` and ``<|endoftext|>`` (ChatML, Qwen, GPT-2),
  ``<|eot_id|>``, ``<|eom_id|>`` and ``<|end_of_text|>`` (Llama 3), ``<|eot|>`` (Llama 4), ``<|end|>`` (Phi-3),
  ``<|END_OF_TURN_TOKEN|>`` (Command-R), ``<｜end▁of▁sentence｜>`` (DeepSeek), ``<|EOT|>``, ``<|return|>``...
  Text after such a token is not the model's answer and is ignored; a token right after the marker leaves
  no verdict. A trailing line of such tokens after a fallback line (below) is ignored too.
- A value outside the allowed ones (``6``, ``0``, ``4.5``, ``C``, ``A or B``) is a failure, never a default.
- Without any marker, a single fallback is tried: an output whose last line reads ``Score: 4``/``Score 4``
  (absolute) or ``Winner: A``/``Better response: B`` (relative). Otherwise the verdict is a failure (so a
  ``Score: 4`` inside a sentence is never read).
- A failure says what was seen, e.g. ``unreadable verdict after [RESULT]: 'banana'``.
- ``feedback`` is the text before the marker, stripped, with a leading ``Feedback:`` label removed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from judgeforge.records import Mode, Verdict

MARKER = re.compile(r"\[RESULT(?:\]:?|:\]?)", re.IGNORECASE)
_MARKER_HEAD = "[RESULT"
_OPEN = r"[\s\[\(\{\"'*_`:]*"
_CLOSE = r"[\s\]\)\}\"'*_`]*"
_TAIL = r"[\s.!,;:\]\)\}\"'*_`]*"
_LABEL_END = r"[\s\[\(\{\"'*_`:=]*"  # one run (not two adjacent ones): no quadratic backtracking on spaces
_ABSOLUTE_LABEL = rf"(?:(?:final|overall)\s+)?(?:score|result|rating)(?:\s+of)?{_LABEL_END}"
_RELATIVE_LABEL = (
    rf"(?:(?:result|winner|(?:better|preferred)\s+response){_LABEL_END})?(?:(?:response|output){_LABEL_END})?"
)
_ABSOLUTE_VALUE = re.compile(
    rf"^{_OPEN}(?:{_ABSOLUTE_LABEL})?(?P<value>-?\d+(?:\.\d+)?)"
    # possessive (*+): what _CLOSE takes, _TAIL would take too; no quadratic backtracking on "4" + spaces + "x"
    rf"{_CLOSE}+(?:(?:/|out\s+of)\s*5(?:\.0)?)?{_TAIL}+$",
    re.IGNORECASE,
)
_RELATIVE_VALUE = re.compile(
    rf"^{_OPEN}{_RELATIVE_LABEL}(?P<value>[A-Za-z])\b"
    rf"{_CLOSE}(?:\s+(?:is\s+(?:the\s+)?better|wins))?{_TAIL}$",
    re.IGNORECASE,
)
# Named end-of-turn tokens, then any ASCII or full-width (DeepSeek) ``<|...|>`` control token.
END_OF_TURN = re.compile(
    r"</s>|<eos>|<end_of_turn>|<end_of_utterance>|<\|[^|<>\s]{1,64}\|>|<｜[^｜<>\s]{1,64}｜>"
)
_ABSOLUTE_FALLBACK = re.compile(r"^\W*(?:overall\s+)?score\s*(?:is|:|=)?\s*(?P<rest>.+)$", re.IGNORECASE)
_RELATIVE_FALLBACK = re.compile(
    r"^\W*(?:winner|better\s+response|preferred\s+response)\s*(?:is|:|=)?\s*(?P<rest>.+)$", re.IGNORECASE
)
_FEEDBACK_LABEL = re.compile(r"^\s*(?:###\s*)?feedback\s*:\s*", re.IGNORECASE)
ALLOWED = {"absolute": {"1", "2", "3", "4", "5"}, "relative": {"A", "B"}}


def parse_verdict(text: str, mode: Mode, scale: Sequence[str] | None = None) -> Verdict:
    """Parse one judge output into a :class:`Verdict` (a failure is data, never an exception).

    ``scale`` is accepted for the parser protocol and must be the standard 1..5 (the Prometheus wordings show
    no other scale, so the renderer refuses other rubrics before a prompt is sent).
    """
    if mode not in ALLOWED:
        raise ValueError(f"mode must be 'absolute' or 'relative', got {mode!r}")
    span = _last_marker(text)
    if span is not None:
        feedback, verdict_text = text[: span[0]], text[span[1] :]
        return _verdict_from(mode, verdict_text, feedback, text, where="after [RESULT]")
    return _fallback(text, mode)


def _last_marker(text: str) -> tuple[int, int] | None:
    """(start, end) of the last marker, any case: ``[RESULT]``, ``[RESULT]:``, ``[RESULT:`` or ``[RESULT:]``."""
    if not text.isascii():  # upper() may change lengths outside ASCII: the regex keeps indices right
        markers = list(MARKER.finditer(text))
        return (markers[-1].start(), markers[-1].end()) if markers else None
    upper = text.upper()  # keeps every index of an ASCII string: C searches from the end
    start = upper.rfind(_MARKER_HEAD)
    while start >= 0:  # inline, no helper: this runs once per graded row
        end = start + len(_MARKER_HEAD) + 1
        mark = upper[end - 1 : end + 1]  # the character that closes the head, and the next one
        if mark[:1] == "]":
            return start, end + (mark == "]:")
        if mark[:1] == ":":
            return start, end + (mark == ":]")
        start = upper.rfind(_MARKER_HEAD, 0, start)
    return None


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
    if "<" in line:
        line = before_end_of_turn(line)
        if line in ALLOWED[mode]:  # "4</s>", "B<|im_end|>"
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


def before_end_of_turn(line: str) -> str:
    """``line`` up to its first end-of-turn token (see :data:`END_OF_TURN`), right-stripped."""
    match = END_OF_TURN.search(line)
    return line if match is None else line[: match.start()].rstrip()


def _fallback(text: str, mode: Mode) -> Verdict:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    while lines and lines[-1].lstrip().startswith("<") and END_OF_TURN.match(lines[-1].lstrip()):
        lines.pop()  # "Score: 4\n</s>": the turn ended on the line before
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
