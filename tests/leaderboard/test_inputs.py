"""Reading responses: one file per model or one with a model column, alpaca_eval's names, rubrics,
references and categories per instruction, and every bad input named by file and line."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from judgeforge.errors import InputError, RubricError
from judgeforge.leaderboard import load_responses
from judgeforge.leaderboard.inputs import text_id
from judgeforge.prompts.rubrics import load_rubric
from support.leaderboard_rows import write_jsonl


def test_one_file_with_alpaca_eval_columns(tmp_path: Path) -> None:
    rows = [
        {"instruction": "Name a fruit.", "output": "Apple.", "generator": "small"},
        {"instruction": "Name a fruit.", "output": "A ripe apple.", "generator": "large"},
        {"instruction": "Name a colour.", "output": "Blue.", "generator": "small", "category": "easy"},
    ]
    data = load_responses([write_jsonl(tmp_path / "all.jsonl", rows)], rubric="helpfulness")
    assert data.models == ("small", "large")
    fruit, colour = text_id("Name a fruit."), text_id("Name a colour.")
    assert set(data.instructions) == {fruit, colour}
    assert data.responses[fruit, "large"] == "A ripe apple."
    assert data.instructions[colour].category == "easy" and data.instructions[fruit].category is None
    assert data.instructions[fruit].rubric_label == "helpfulness"
    assert data.common("small", "large") == [fruit]


def test_one_file_per_model_named_by_prefix_or_stem(tmp_path: Path) -> None:
    first = write_jsonl(
        tmp_path / "alpha.jsonl", [{"instruction_id": "q1", "instruction": "Hi?", "response": "Hello."}]
    )
    second = tmp_path / "beta-outputs.csv"
    with second.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, ["instruction_id", "instruction", "response", "rubric"])
        writer.writeheader()
        writer.writerow(
            {"instruction_id": "q1", "instruction": "Hi?", "response": "Hey.", "rubric": "honesty"}
        )
    data = load_responses([first, f"beta={second}"])
    assert data.models == ("alpha", "beta")
    assert data.instructions["q1"].rubric == load_rubric("honesty")
    assert data.instructions["q1"].rubric_label == "honesty"


def test_rubric_as_a_json_object_string_and_references_file(tmp_path: Path) -> None:
    rubric = {"criteria": "Is it short?", **{f"score{k}_description": f"level {k}" for k in range(1, 6)}}
    rows = [{"instruction": "Say hi.", "response": "Hi.", "model": "m", "rubric": json.dumps(rubric)}]
    references = write_jsonl(tmp_path / "refs.jsonl", [{"instruction": "Say hi.", "reference_answer": "Hi!"}])
    data = load_responses([write_jsonl(tmp_path / "in.jsonl", rows)], references=references)
    [instruction] = data.instructions.values()
    assert instruction.rubric.criteria == "Is it short?" and instruction.rubric_label == "Is it short?"
    assert instruction.reference == "Hi!"


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([{"instruction": "A?", "response": "x", "model": "m"}] * 2, "answers instruction"),
        ([{"instruction": "A?", "response": " ", "model": "m", "rubric": "honesty"}], "must not be empty"),
        ([{"instruction": "A?", "model": "m", "rubric": "honesty"}], "response or output"),
        (
            [
                {"instruction": "A?", "response": "x", "model": "m", "rubric": "honesty"},
                {"instruction": "A?", "response": "y", "model": "n", "rubric": "helpfulness"},
            ],
            "two different rubrics",
        ),
        (
            [
                {"instruction": "A?", "response": "x", "model": "m", "reference_answer": "one"},
                {"instruction": "A?", "response": "y", "model": "n", "reference_answer": "two"},
            ],
            "two different values",
        ),
    ],
)
def test_bad_rows_are_named_by_file_and_line(
    tmp_path: Path, rows: list[dict[str, str]], message: str
) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", rows)
    with pytest.raises(InputError, match=message) as info:
        load_responses([source], rubric="helpfulness")
    assert "in.jsonl line" in str(info.value)


def test_an_instruction_without_any_rubric_is_an_error(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", [{"instruction": "A?", "response": "x", "model": "m"}])
    with pytest.raises(InputError, match="--rubric"):
        load_responses([source])
    with pytest.raises(RubricError):
        load_responses([source], rubric="no-such-rubric")


def test_a_near_miss_column_warns(tmp_path: Path) -> None:
    rows = [{"instruction": "A?", "response": "x", "model": "m", "reference_answers": "y"}]
    with pytest.warns(UserWarning, match="reference_answer"):
        load_responses([write_jsonl(tmp_path / "in.jsonl", rows)], rubric="helpfulness")
