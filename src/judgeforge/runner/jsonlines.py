"""Fast JSON for result and input lines: orjson where it gives exactly what the standard library gives.

``loads_line`` parses with orjson and falls back to :func:`json.loads` for anything orjson refuses (so
errors, NaN literals, lone surrogates and over-deep nesting behave as before) and for lines holding a run of
19 or more digits, which orjson would turn into a float where ``json`` keeps an exact integer.
``dumps_line`` writes compact UTF-8 JSON plus a newline, and falls back to ``json.dumps`` for what orjson
cannot write (integers beyond 64 bits, non-string keys, lone surrogates), as ASCII with escapes so the line
stays valid UTF-8. orjson writes NaN and infinities, which are not JSON, as ``null``.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

_LONG_NUMBER = re.compile(rb"[0-9]{19}")
_DIGITS = b"0123456789"


def loads_line(raw: bytes) -> Any:
    """The JSON value of one line (raises like :func:`json.loads` on bad input)."""
    # Counting digits (one C pass) rules out long numbers in most lines before the slower regex runs.
    if len(raw) - len(raw.translate(None, _DIGITS)) < 19 or _LONG_NUMBER.search(raw) is None:
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass
    return json.loads(raw)


def dumps_line(value: Any) -> bytes:
    """``value`` as one line of compact JSON, newline included."""
    try:
        return orjson.dumps(value, option=orjson.OPT_APPEND_NEWLINE)
    except TypeError:
        return json.dumps(value, separators=(",", ":")).encode("ascii") + b"\n"
