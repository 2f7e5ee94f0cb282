from __future__ import annotations

import json
from pathlib import Path

import pytest

from judgeforge.cli.main import main
from judgeforge.errors import RubricError
from judgeforge.prompts.rubrics import library_rubrics, lint_rubric, load_rubric

LEVELS = {f"score{i}_description": f"Level {i} text" for i in range(1, 6)}


def test_library_has_the_five_standard_rubrics() -> None:
    assert set(library_rubrics()) == {
        "helpfulness",
        "harmlessness",
        "honesty",
        "factual_validity",
        "reasoning",
    }
    for rubric in library_rubrics().values():
        assert lint_rubric(rubric.model_dump()) == []


def test_load_from_mapping_file_and_name(tmp_path: Path) -> None:
    data = {"criteria": "Is it correct?", **LEVELS}
    yaml_file = tmp_path / "r.yaml"
    yaml_file.write_text("criteria: Is it correct?\n" + "".join(f"{k}: {v}\n" for k, v in LEVELS.items()))
    json_file = tmp_path / "r.json"
    json_file.write_text(json.dumps(data))
    assert load_rubric(data) == load_rubric(yaml_file) == load_rubric(str(json_file))
    assert load_rubric("honesty").criteria.startswith("Does the model's response maintain truthfulness")


def test_feedback_collection_columns_map_onto_rubric() -> None:
    row = {"orig_criteria": "Is it kind?", **{f"orig_{k}": v for k, v in LEVELS.items()}, "orig_score": 3}
    rubric = load_rubric({k: v for k, v in row.items() if k != "orig_score"})
    assert rubric.criteria == "Is it kind?"
    assert rubric.score3_description == "Level 3 text"


def test_lint_reports_every_problem_at_once() -> None:
    bad = {
        "criteria": "",
        "score1_description": "same",
        "score2_description": "Same ",
        "score4_description": 4,
    }
    problems = lint_rubric(bad)
    assert "field 'criteria' is empty" in problems
    assert "missing field 'score3_description'" in problems
    assert "missing field 'score5_description'" in problems
    assert "field 'score4_description' must be a string, got int" in problems
    assert "score 2 repeats the description of score 1" in problems
    assert len(problems) == 5


def test_render_forms() -> None:
    rubric = load_rubric({"criteria": "C?", **LEVELS})
    assert rubric.render_relative() == "[C?]"
    assert rubric.render_absolute().splitlines() == [
        "[C?]",
        *[f"Score {i}: Level {i} text" for i in range(1, 6)],
    ]


def test_unknown_rubric_names_known_ones() -> None:
    with pytest.raises(RubricError, match="helpfulness"):
        load_rubric("kindness")
    with pytest.raises(RubricError, match="missing field 'score5_description'"):
        load_rubric({"criteria": "x", **{k: v for k, v in LEVELS.items() if k != "score5_description"}})


def test_cli_rubrics(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rubrics", "list"]) == 0
    assert "helpfulness" in capsys.readouterr().out
    assert main(["rubrics", "show", "reasoning", "--relative"]) == 0
    assert capsys.readouterr().out.startswith("[Does the model demonstrate logical")
    good, bad, unnamed = tmp_path / "good.yaml", tmp_path / "bad.json", tmp_path / "unnamed.json"
    good.write_text(json.dumps({"criteria": "x", **LEVELS}))
    bad.write_text(json.dumps({"criteria": "x", "score1_description": ""}))
    unnamed.write_text(json.dumps(LEVELS))
    assert main(["rubrics", "lint", str(good), str(bad), str(unnamed)]) == 1
    lines = capsys.readouterr().out.splitlines()
    # every problem of a file at once, each field named
    assert lines == [
        f"{good}: ok",
        f"{bad}: field 'score1_description' is empty",
        *(f"{bad}: missing field 'score{level}_description'" for level in range(2, 6)),
        f"{unnamed}: missing field 'criteria'",
    ]
