"""Rows -> (system, user, output): the training prompt is the judge's prompt for the same item."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from judgeforge.data.collections import FeedbackRow, PreferenceRow
from judgeforge.errors import InputError
from judgeforge.prompts import PromptRenderer, get_template_set
from judgeforge.toy.sample_data import feedback_rows, preference_rows
from judgeforge.train.formatting import format_row, to_conversation

TSET = get_template_set("prometheus2")


@pytest.fixture
def feedback() -> list[dict[str, Any]]:
    return feedback_rows(1)


@pytest.fixture
def preference(feedback: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return preference_rows(feedback)


def test_da_user_turn_is_the_judges_prompt(feedback: list[dict[str, Any]]) -> None:
    row = feedback[2]
    example = format_row(row, "feedback", TSET)
    judge_prompt = PromptRenderer("prometheus2").direct(FeedbackRow.from_row(row, "r").item())
    assert example.user == judge_prompt.user
    assert example.system == judge_prompt.system
    assert example.output == "Feedback: The response meets level 3 of the rubric. [RESULT] 3"
    assert example.instruction_matches is True
    conversation = to_conversation(example)
    assert conversation["prompt"] == [
        {"role": "user", "content": judge_prompt.system + "\n\n" + judge_prompt.user}
    ]
    assert conversation["completion"] == [{"role": "assistant", "content": example.output}]


def test_pr_user_turn_is_the_judges_pair_prompt(preference: list[dict[str, Any]]) -> None:
    row = preference[3]
    example = format_row(row, "preference", TSET)
    judge_prompt = PromptRenderer("prometheus2").pair(PreferenceRow.from_row(row, "r").item())
    assert example.user == judge_prompt.user and example.system == judge_prompt.system
    assert "###Response A:" in example.user and row["orig_response_B"] in example.user
    assert example.output.endswith(f"[RESULT] {row['orig_preference']}")
    assert example.instruction_matches is True


def test_separate_system_message_when_not_joined(feedback: list[dict[str, Any]]) -> None:
    conversation = to_conversation(format_row(feedback[0], "feedback", TSET), join_system=False)
    assert [m["role"] for m in conversation["prompt"]] == ["system", "user"]


def test_target_is_rebuilt_from_orig_columns_when_output_is_absent(
    feedback: list[dict[str, Any]], preference: list[dict[str, Any]]
) -> None:
    da = {k: v for k, v in feedback[4].items() if k != "output"}
    assert format_row(da, "feedback", TSET).output == feedback[4]["output"]
    pr = {k: v for k, v in preference[0].items() if k != "output"}
    assert format_row(pr, "preference", TSET).output == preference[0]["output"]


def test_no_reference_answer_selects_the_no_reference_template(feedback: list[dict[str, Any]]) -> None:
    row = {k: v for k, v in feedback[0].items() if k not in ("orig_reference_answer", "instruction")}
    example = format_row(row, "feedback", TSET)
    assert "###Reference Answer" not in example.user
    assert example.instruction_matches is None


def test_instruction_column_mismatch_is_detected_and_can_be_used(feedback: list[dict[str, Any]]) -> None:
    row = {**feedback[0], "instruction": feedback[0]["instruction"].replace("###Score Rubrics", "###Rubric")}
    rendered = format_row(row, "feedback", TSET)
    assert rendered.instruction_matches is False and "###Score Rubrics" in rendered.user
    as_given = format_row(row, "feedback", TSET, prompt_source="instruction")
    assert as_given.user == row["instruction"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"orig_score": 7, "output": None}, "orig_score"),
        ({"orig_response": None}, "orig_response"),
        ({"orig_score3_description": 3}, "orig_score3_description"),
    ],
)
def test_bad_rows_name_the_row_and_field(
    feedback: list[dict[str, Any]], change: dict[str, Any], field: str
) -> None:
    row = {**feedback[0], **change}
    with pytest.raises(InputError) as info:
        format_row(row, "feedback", TSET, record="feedback.jsonl row 0")
    assert info.value.field == field and info.value.record == "feedback.jsonl row 0"


@pytest.mark.parametrize("output", [None, "Feedback: fine. [RESULT] A"])
def test_rows_need_their_verdict_even_with_an_output(
    feedback: list[dict[str, Any]], preference: list[dict[str, Any]], output: str | None
) -> None:
    """One schema for the builder and training: the winner and the score are required in every row."""
    with pytest.raises(InputError, match="orig_preference") as info:
        format_row({**preference[0], "output": output, "orig_preference": "C"}, "preference", TSET)
    assert info.value.field == "orig_preference"
    with pytest.raises(InputError, match="orig_score") as info:
        format_row({**feedback[0], "output": output, "orig_score": 0}, "feedback", TSET)
    assert info.value.field == "orig_score"


def test_dataset_loading_reports_bad_row_and_mismatches(
    tmp_path: Path, feedback: list[dict[str, Any]]
) -> None:
    pytest.importorskip("datasets")
    from judgeforge.train.config import load_train_config
    from judgeforge.train.datasets import build_train_dataset

    path = tmp_path / "fc.jsonl"
    rows = [dict(row) for row in feedback]
    rows[1]["instruction"] = "something else"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    overrides = [f"data.feedback.path={path}", "training.output_dir=out"]
    with pytest.raises(InputError, match="row 1") as info:
        build_train_dataset(load_train_config("tiny-da", overrides))
    assert info.value.field == "instruction"
    dataset, summary = build_train_dataset(
        load_train_config("tiny-da", [*overrides, "data.instruction_check=warn"])
    )
    assert len(dataset) == 5 and dataset.column_names == ["prompt", "completion"]
    assert summary.instruction_mismatches == {"feedback": 1} and summary.first_mismatch == {"feedback": 1}
    rows[3]["orig_score"] = 0
    rows[3]["output"] = None
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    with pytest.raises(InputError, match=r"row 3.*orig_score"):
        build_train_dataset(load_train_config("tiny-da", [*overrides, "data.instruction_check=ignore"]))


def test_parquet_files_and_saved_dataset_dicts_load(tmp_path: Path, feedback: list[dict[str, Any]]) -> None:
    datasets = pytest.importorskip("datasets")
    from judgeforge.train.config import DatasetSource
    from judgeforge.train.datasets import load_rows, source_format

    table = datasets.Dataset.from_list(feedback)
    table.to_parquet(str(tmp_path / "fc.parquet"))
    saved = tmp_path / "fc_dict"
    datasets.DatasetDict({"train": table, "test": table.select(range(2))}).save_to_disk(str(saved))
    parquet = DatasetSource(path=str(tmp_path / "fc.parquet"))
    assert source_format(parquet) == "parquet" and len(load_rows(parquet)) == 5
    test_split = DatasetSource(path=str(saved), split="test")
    assert source_format(test_split) == "disk" and len(load_rows(test_split)) == 2
    assert len(load_rows(DatasetSource(path=str(saved), max_rows=3))) == 3
    assert source_format(DatasetSource(path="prometheus-eval/Feedback-Collection")) == "hub"
