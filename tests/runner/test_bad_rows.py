"""A corpus of bad input rows: each yields its documented error; the good rows around them are graded."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from runner_helpers import good_row, read_lines

from judgeforge.judge import Judge
from judgeforge.runner import RunOptions, RunReport, run_grading
from paths import REPO

RUBRIC_OBJECT = {"criteria": "Is it right?", **{f"score{k}_description": f"level {k}" for k in range(1, 6)}}


def _row(**changes: Any) -> str:
    row: dict[str, Any] = good_row(1)
    for key, value in changes.items():
        if value is _DROP:
            row.pop(key, None)
        else:
            row[key] = value
    return json.dumps(row)


_DROP = object()
# (kind, raw line, field, message fragment): the table of docs/runner.md, "Bad rows".
CORPUS: list[tuple[str, str | bytes, str | None, str]] = [
    ("truncated JSON", '{"instruction": "x", "response": ', None, "invalid JSON"),
    ("not JSON", "instruction: hello", None, "invalid JSON"),
    ("trailing garbage", _row() + " extra", None, "invalid JSON"),
    ("array", "[1, 2]", None, "expected an object, got an array"),
    ("string", '"just text"', None, "expected an object, got a string"),
    ("number", "42", None, "expected an object, got int"),
    ("null", "null", None, "expected an object, got null"),
    ("boolean", "true", None, "expected an object, got a boolean"),
    ("invalid UTF-8", b'{"instruction": "caf\xe9", "response": "x"}', None, "invalid UTF-8"),
    ("nested too deeply", "[" * 100_000 + "]" * 100_000, None, "nested too deeply"),
    ("missing instruction", _row(instruction=_DROP), "instruction", "missing required field"),
    ("null instruction", _row(instruction=None), "instruction", "missing required field"),
    ("numeric instruction", _row(instruction=7), "instruction", "must be a string, got int"),
    ("object instruction", _row(instruction={"a": 1}), "instruction", "must be a string, got dict"),
    ("missing response", _row(response=_DROP), "response", "missing required field"),
    ("list response", _row(response=["a"]), "response", "must be a string, got list"),
    ("empty response", _row(response=""), "response", "must not be empty"),
    ("blank response", _row(response=" \n\t"), "response", "must not be empty"),
    ("NaN response", _row(response=_DROP)[:-1] + ', "response": NaN}', "response", "got float"),
    ("missing rubric", _row(rubric=_DROP), "rubric", "missing required field"),
    ("unknown rubric", _row(rubric="kindness"), "rubric", "unknown rubric 'kindness'"),
    ("empty rubric name", _row(rubric=""), "rubric", "unknown rubric ''"),
    ("numeric rubric", _row(rubric=3), "rubric", "must be an object or a rubric name"),
    ("list rubric", _row(rubric=["a"]), "rubric", "must be an object or a rubric name"),
    (
        "rubric missing a level",
        _row(rubric={k: v for k, v in RUBRIC_OBJECT.items() if k != "score3_description"}),
        "rubric",
        "missing field 'score3_description'",
    ),
    (
        "rubric level not text",
        _row(rubric={**RUBRIC_OBJECT, "score2_description": 2}),
        "rubric",
        "must be a string",
    ),
    ("rubric file missing", _row(rubric="no_such_rubric.yaml"), "rubric", "cannot read rubric file"),
    ("rubric JSON text broken", _row(rubric='{"criteria": '), "rubric", "invalid JSON object"),
    ("numeric reference", _row(reference_answer=5), "reference_answer", "must be a string, got int"),
    ("empty reference", _row(reference_answer=""), "reference_answer", "must not be empty"),
    ("float id", _row(id=1.5), "id", "must be a string, got float"),
    ("boolean id", _row(id=True), "id", "must be a string, got bool"),
    ("list id", _row(id=[1]), "id", "must be a string, got list"),
    ("empty id", _row(id="  "), "id", "must not be empty"),
    ("duplicate id", _row(id="good-0"), "id", "duplicate id 'good-0'"),
    ("unknown mode", _row(mode="sideways"), "mode", "must be 'absolute' or 'relative'"),
    ("pair mode in grade", _row(mode="relative"), "mode", "not for 'grade'"),
    ("pair row in grade", _row(response_b="other"), "response_b", "use 'compare'"),
]


def run_corpus(tmp_path: Path) -> tuple[RunReport, dict[int, tuple[str, str | None, str]], list[str]]:
    """Grade every corpus row, each after a good row: (report, expected error per line, good ids)."""
    source = tmp_path / "dirty.jsonl"
    expected_errors = {}
    good_ids = []
    with source.open("wb") as handle:
        line = 0
        for number, (kind, raw, field, message) in enumerate(CORPUS):
            good = good_row(number, id=f"good-{number}")
            handle.write(json.dumps(good).encode() + b"\n")
            good_ids.append(good["id"])
            handle.write((raw if isinstance(raw, bytes) else raw.encode()) + b"\n")
            expected_errors[line + 2] = (kind, field, message)
            line += 2
    report = run_grading(source, tmp_path / "out.jsonl", Judge("fake"), RunOptions(use_cache=False))
    return report, expected_errors, good_ids


def test_each_bad_row_yields_its_error_and_good_rows_are_graded(tmp_path: Path) -> None:
    report, expected_errors, good_ids = run_corpus(tmp_path)
    errors = {error["line"]: error for error in read_lines(report.errors)}
    assert sorted(errors) == sorted(expected_errors)
    for number, (kind, field, message) in expected_errors.items():
        error = errors[number]
        assert error["field"] == field, kind
        assert message in error["message"], (kind, error["message"])
        assert error["row"] == number - 1
    assert sorted(line["id"] for line in read_lines(report.output)) == sorted(good_ids)
    assert all(line["failure"] is None for line in read_lines(report.output))
    assert report.summary["bad_rows"] == len(CORPUS)
    assert report.exit_code == 1


# Placeholders in the documented messages: N a number, T a type name, X a quoted value, ... any text.
_PLACEHOLDERS = {"N": r"\d+", "T": r"\w+", "X": r"[^']*"}


def documented_kinds() -> list[tuple[str, set[str | None], list[re.Pattern[str]]]]:
    """(kind, fields, message patterns) of each row of the "Bad rows" table in docs/runner.md that a JSONL
    file can show (CSV records and mapped columns are tested in test_columns.py)."""
    section = (REPO / "docs" / "runner.md").read_text(encoding="utf-8").split("\n## Bad rows\n", 1)[1]
    kinds = []
    for line in section.split("\n## ", 1)[0].splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if not line.startswith("| ") or cells[0] == "kind" or "CSV" in cells[0] or "mapped" in cells[0]:
            continue
        fields = {None if name.strip() == "null" else name.strip() for name in cells[1].split(",")}
        patterns = []
        for fragment in re.findall(r"`([^`]+)`", cells[2]):
            pattern = re.escape(fragment).replace(re.escape("..."), ".+")
            pattern = re.sub(r"(?<![A-Z])[NTX](?![A-Za-z])", lambda m: _PLACEHOLDERS[m.group()], pattern)
            patterns.append(re.compile(pattern))
        kinds.append((cells[0], fields, patterns))
    return kinds


def test_every_documented_kind_is_reported_with_its_documented_message(tmp_path: Path) -> None:
    """The corpus covers the table of docs/runner.md: each kind there is reported, on its documented
    field, with its documented message."""
    kinds = documented_kinds()
    assert len(kinds) >= 15, "the 'Bad rows' table of docs/runner.md was not found"
    report, _, _ = run_corpus(tmp_path)
    errors = [(error["field"], error["message"]) for error in read_lines(report.errors)]
    for kind, fields, patterns in kinds:
        assert patterns, kind
        for pattern in patterns:
            reported = any(field in fields and pattern.search(message) for field, message in errors)
            assert reported, (kind, pattern.pattern)


def test_blank_lines_and_bom_are_not_errors(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_bytes(
        b"\xef\xbb\xbf" + json.dumps(good_row(0)).encode() + b"\n\n   \n" + json.dumps(good_row(3)).encode()
    )
    report = run_grading(source, tmp_path / "out.jsonl", Judge("fake"), RunOptions(use_cache=False))
    assert report.exit_code == 0
    # without an id, a row's id is its 0-based physical line
    assert sorted(line["id"] for line in read_lines(report.output)) == [0, 3]


def test_compare_specific_errors(tmp_path: Path) -> None:
    source = tmp_path / "pairs.jsonl"
    rows = [
        {**good_row(0), "response_b": "x"},
        {**good_row(1)},  # no response_b
        {**good_row(2), "response": "", "response_b": "x"},
        {**good_row(3), "mode": "absolute", "response_b": "x"},
    ]
    source.write_text("\n".join(json.dumps(row) for row in rows) + "\n", encoding="utf-8")
    options = RunOptions(mode="relative", use_cache=False)
    report = run_grading(source, tmp_path / "out.jsonl", Judge("fake"), options)
    errors = [(error["line"], error["field"]) for error in read_lines(report.errors)]
    assert errors == [(2, "response_b"), (3, "response"), (4, "mode")]
    assert [line["id"] for line in read_lines(report.output)] == [0]
