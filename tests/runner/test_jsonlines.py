"""Fast JSON lines read and write exactly what the standard library would, or fall back to it."""

from __future__ import annotations

import json
import math

import pytest

from judgeforge.runner.jsonlines import dumps_line, loads_line

LINES = [
    b'{"id": "r1", "score": 4, "p": 0.1, "nested": {"a": [1, 2.5, null, true]}}',
    b'{"id": 123456789012345678901234567890}',  # orjson would make this a float
    b'{"a": 1, "a": 2}',
    b'{"x": NaN, "y": Infinity}',  # not JSON, but json.loads accepts it
    b'"\\ud800 lone surrogate"',
    '{"text": "caf\u00e9 \u2192 \U0001f600"}'.encode(),
]


@pytest.mark.parametrize("raw", LINES)
def test_loads_line_equals_json_loads(raw: bytes) -> None:
    ours, theirs = loads_line(raw), json.loads(raw)
    assert repr(ours) == repr(theirs)  # repr: NaN != NaN, and int vs float must not slip through
    assert type(ours) is type(theirs)


@pytest.mark.parametrize("raw", [b'{"a": ', b"[1, 2", b'{"a": 1} x', b"\xff\xfe{}", b"[" * 100_000])
def test_bad_lines_fail_as_json_loads_fails(raw: bytes) -> None:
    with pytest.raises((json.JSONDecodeError, UnicodeDecodeError, RecursionError)) as ours:
        loads_line(raw)
    with pytest.raises((json.JSONDecodeError, UnicodeDecodeError, RecursionError)) as theirs:
        json.loads(raw)
    assert type(ours.value) is type(theirs.value) and str(ours.value) == str(theirs.value)


@pytest.mark.parametrize(
    "value",
    [
        {"id": "r1", "verdicts": [{"score": 5, "feedback": "caf\u00e9 \U0001f600"}], "usage": [300, 40]},
        {"id": 2**70},  # beyond orjson's integers
        {"text": "lone \ud800 surrogate"},  # not encodable as UTF-8
    ],
)
def test_dumps_line_round_trips_as_one_valid_utf8_line(value: object) -> None:
    line = dumps_line(value)
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    line.decode("utf-8")  # valid UTF-8 whatever the content
    assert loads_line(line) == value


def test_non_finite_floats_become_null() -> None:
    assert loads_line(dumps_line({"a": math.nan, "b": math.inf})) == {"a": None, "b": None}
