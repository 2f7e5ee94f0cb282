"""Blank required text (empty or whitespace only) is bad input in every schema, named by record and field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from runner_helpers import read_lines, write_jsonl

from judgeforge.data.collections import FeedbackRow, PreferenceRow
from judgeforge.data.feedback import row_problems
from judgeforge.errors import InputError, RubricError
from judgeforge.judge import Judge
from judgeforge.prompts.rubrics import load_rubric
from judgeforge.records import DirectItem, PairItem, Rubric
from judgeforge.runner import RunOptions, run_grading

BLANKS = ["", "   ", "\n\t "]
RUBRIC = {
    "criteria": "Is it helpful?",
    **{f"score{level}_description": f"Level {level} of help." for level in range(1, 6)},
}
DIRECT_ROW = {
    "instruction": "Cook rice?",
    "response": "Boil it.",
    "reference_answer": "Boil it well.",
    "rubric": RUBRIC,
}
PAIR_ROW = {"instruction": "Cook rice?", "response_a": "Boil it.", "response_b": "Fry it.", "rubric": RUBRIC}


def run(tmp_path: Path, row: dict[str, Any], mode: str) -> dict[str, Any]:
    source = write_jsonl(tmp_path / "in.jsonl", [{"instruction": "Fine?", **_good(mode)}, row])
    report = run_grading(
        source, tmp_path / "out.jsonl", Judge("fake"), RunOptions(mode=mode, use_cache=False)
    )  # type: ignore[arg-type]
    assert report.summary["graded"] == 1 and report.summary["bad_rows"] == 1
    [error] = read_lines(report.errors)
    return error


def _good(mode: str) -> dict[str, Any]:
    return dict(DIRECT_ROW) if mode == "absolute" else dict(PAIR_ROW)


@pytest.mark.parametrize("blank", BLANKS)
@pytest.mark.parametrize(
    ("mode", "field"),
    [
        ("absolute", "instruction"),
        ("absolute", "response"),
        ("absolute", "reference_answer"),
        ("relative", "instruction"),
        ("relative", "response_a"),
        ("relative", "response_b"),
    ],
)
def test_grade_and_compare_rows(tmp_path: Path, mode: str, field: str, blank: str) -> None:
    error = run(tmp_path, {**_good(mode), field: blank}, mode)
    assert error["line"] == 2 and error["field"] == field and "empty" in error["message"]


@pytest.mark.parametrize("blank", BLANKS)
@pytest.mark.parametrize("field", list(RUBRIC))
def test_per_row_rubric_objects(tmp_path: Path, field: str, blank: str) -> None:
    error = run(tmp_path, {**DIRECT_ROW, "rubric": {**RUBRIC, field: blank}}, "absolute")
    assert error["line"] == 2 and error["field"] == "rubric" and f"'{field}' is empty" in error["message"]


@pytest.mark.parametrize("blank", BLANKS)
@pytest.mark.parametrize("field", [field for field in RUBRIC if field != "criteria"])
def test_blank_levels_are_allowed_where_only_the_criterion_is_shown(
    tmp_path: Path, field: str, blank: str
) -> None:
    """Pairwise prompts show the criterion alone (Preference Collection rows have no levels)."""
    row = {**PAIR_ROW, "rubric": {**RUBRIC, field: blank}}
    source = write_jsonl(tmp_path / "in.jsonl", [row])
    report = run_grading(
        source, tmp_path / "out.jsonl", Judge("fake"), RunOptions(mode="relative", use_cache=False)
    )
    assert report.summary["graded"] == 1 and report.summary["bad_rows"] == 0


@pytest.mark.parametrize("field", list(RUBRIC))
def test_rubric_files(tmp_path: Path, field: str) -> None:
    path = tmp_path / "rubric.yaml"
    lines = [f"{key}: {value!r}" for key, value in {**RUBRIC, field: "  "}.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    if field == "criteria":
        with pytest.raises(RubricError, match="'criteria' is empty"):
            load_rubric(path)
        return
    item = DirectItem(instruction="Cook rice?", response="Boil it.", rubric=load_rubric(path))
    with pytest.raises(RubricError, match=f"'{field}' is empty"):
        Judge("fake").render(item)


FEEDBACK_ROW = {
    "orig_instruction": "Cook rice?",
    "orig_response": "Boil it.",
    "orig_reference_answer": "Boil it well.",
    "orig_feedback": "Correct but short.",
    "orig_score": 4,
    **{f"orig_{key}": value for key, value in RUBRIC.items()},
}


@pytest.mark.parametrize("blank", BLANKS)
@pytest.mark.parametrize("field", [key for key in FEEDBACK_ROW if key != "orig_score"])
def test_feedback_collection_rows(field: str, blank: str) -> None:
    row = {**FEEDBACK_ROW, field: blank}
    assert [column for column, _ in row_problems(row)] == [field]
    with pytest.raises(InputError) as info:
        FeedbackRow.from_row(row, "row 7")
    assert info.value.field == field and info.value.record == "row 7"


PREFERENCE_ROW = {
    "orig_instruction": "Cook rice?",
    "orig_response_A": "Boil it.",
    "orig_response_B": "Fry it.",
    "orig_criteria": "Is it helpful?",
    "orig_feedback": "A boils, B fries.",
    "orig_preference": "A",
}


@pytest.mark.parametrize("blank", BLANKS)
@pytest.mark.parametrize("field", [key for key in PREFERENCE_ROW if key != "orig_preference"])
def test_preference_collection_rows(field: str, blank: str) -> None:
    row = {**PREFERENCE_ROW, field: blank}
    with pytest.raises(InputError) as info:
        PreferenceRow.from_row(row, "row 3")
    assert info.value.field == field


@pytest.mark.parametrize("blank", BLANKS)
@pytest.mark.parametrize(
    ("record", "field"),
    [(DirectItem, "instruction"), (DirectItem, "response"), (DirectItem, "reference_answer"),
     (PairItem, "response_a"), (PairItem, "response_b"), (Rubric, "criteria")],
)  # fmt: skip
def test_records_built_from_user_values(record: type[Any], field: str, blank: str) -> None:
    """What the service, Judge.grade and bench files build goes through these records' validation."""
    values: dict[str, Any] = {
        DirectItem: {**DIRECT_ROW, "rubric": Rubric(**RUBRIC)},
        PairItem: {**PAIR_ROW, "rubric": Rubric(**RUBRIC)},
        Rubric: RUBRIC,
    }[record]
    with pytest.raises(ValidationError) as info:
        record(**{**values, field: blank})
    assert info.value.errors()[0]["loc"] == (field,)


def test_a_csv_record_over_several_lines_is_reported_at_its_first_line(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text(
        'instruction,response,rubric\n"Cook\nrice?","Boil\nit.",helpfulness\n"Two\nlines","  ",helpfulness\n',
        encoding="utf-8",
    )
    report = run_grading(source, tmp_path / "out.jsonl", Judge("fake"), RunOptions(use_cache=False))
    [error] = read_lines(report.errors)
    # header: line 1; the first record: lines 2-4 (two cells with a line break); the second: lines 5-6
    assert error["line"] == 5 and error["field"] == "response"
