"""Near-miss column names warn once per run naming both; --strict-columns makes unknown columns an error."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest
from runner_helpers import read_lines, run_cli, write_jsonl

from judgeforge.columns import near_miss
from judgeforge.data.feedback import KNOWN_COLUMNS, load_feedback_collection
from judgeforge.judge import Judge
from judgeforge.runner import RunOptions, run_grading
from judgeforge.runner.rows import ROW_COLUMNS

ROW = {"instruction": "Cook rice?", "response": "Boil it.", "rubric": "helpfulness"}


@pytest.mark.parametrize(
    ("column", "meant"),
    [
        ("reference_answers", "reference_answer"),  # plural
        ("Reference_Answer", "reference_answer"),  # case
        ("refrence_answer", "reference_answer"),  # one edit
        ("respones", "response"),  # two edits
        ("orig_instruction", "instruction"),  # orig_ prefix added
        ("rubrics", "rubric"),
        ("INSTRUCTION", "instruction"),
    ],
)
def test_near_misses_of_row_columns(column: str, meant: str) -> None:
    assert near_miss(column, ROW_COLUMNS["absolute"]) == meant


@pytest.mark.parametrize(
    "column", ["model", "category", "generator", "score", "question_id", "models", "output"]
)
def test_ordinary_extra_columns_are_not_near_misses(column: str) -> None:
    assert near_miss(column, ROW_COLUMNS["relative"]) is None


@pytest.mark.parametrize(
    ("column", "meant"),
    [("orig_feedbak", "orig_feedback"), ("feedback", "orig_feedback"), ("orig_scores", "orig_score")],
)
def test_near_misses_of_feedback_collection_columns(column: str, meant: str) -> None:
    assert near_miss(column, KNOWN_COLUMNS) == meant


@pytest.mark.parametrize("column", ["reference_answers", "Reference_answer", "orig_reference_answer"])
def test_a_run_warns_once_naming_both_and_grades_without_the_column(tmp_path: Path, column: str) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", [{**ROW, column: "Boil it well."} for _ in range(5)])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report = run_grading(source, tmp_path / "out.jsonl", Judge("fake"), RunOptions(use_cache=False))
    messages = [str(w.message) for w in caught if "did you mean" in str(w.message)]
    assert len(messages) == 1
    assert f"'{column}'" in messages[0] and "'reference_answer'" in messages[0]
    assert report.summary["graded"] == 5


def test_strict_columns_makes_unknown_columns_bad_rows(tmp_path: Path, cli_env: dict[str, str]) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", [ROW, {**ROW, "reference_answers": "Boil it well."}])
    out = tmp_path / "out.jsonl"
    result = run_cli(
        "grade", str(source), "-o", str(out), "--backend", "fake", "--strict-columns", env=cli_env
    )
    assert result.returncode == 1
    [error] = read_lines(tmp_path / "out.errors.jsonl")
    assert error["line"] == 2 and error["field"] == "reference_answers"
    assert "did you mean 'reference_answer'" in error["message"]
    assert len(read_lines(out)) == 1


def test_the_feedback_collection_warns_on_a_near_miss(tmp_path: Path) -> None:
    row = {
        "orig_instruction": "Cook rice?",
        "orig_response": "Boil it.",
        "orig_feedback": "Fine.",
        "orig_score": 4,
        "orig_criteria": "Helpful?",
        "orig_reference_answers": "Boil it well.",
        **{f"orig_score{level}_description": f"Level {level}." for level in range(1, 6)},
    }
    source = tmp_path / "feedback.jsonl"
    source.write_text(json.dumps(row) + "\n", encoding="utf-8")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        records, errors = load_feedback_collection(source)
    assert not errors and records[0].reference_answer is None
    assert any(
        "'orig_reference_answers'" in str(w.message) and "'orig_reference_answer'" in str(w.message)
        for w in caught
    )
