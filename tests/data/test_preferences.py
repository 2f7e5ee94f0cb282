"""The Preference Collection builder on Feedback Collection-shaped files the test writes."""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from judgeforge.backends import create_backend
from judgeforge.cli.main import main
from judgeforge.data.feedback import load_feedback_collection
from judgeforge.data.preferences import build_preferences, errors_path
from judgeforge.prompts import get_template_set


def feedback_rows(instructions: int, seed: int = 0) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    rows = []
    for i in range(instructions):
        scores = [1, 2, 3, 4, 5]
        rng.shuffle(scores)
        for j, score in enumerate(scores):
            rows.append(
                {
                    "orig_instruction": f"Task {i}: list {score} fruits.",
                    "orig_response": f"Response {j} of task {i}: " + ", ".join(["apple"] * score),
                    "orig_reference_answer": "apple, banana, cherry, date, elderberry",
                    "orig_criteria": "Does the response list the requested fruits?",
                    **{f"orig_score{k}_description": f"Level {k} of fruit listing." for k in range(1, 6)},
                    "orig_feedback": f"The response lists {score} fruits.",
                    "orig_score": score,
                }
            )
    for i in range(instructions):  # the instruction text must not depend on the score
        for row in rows[i * 5 : i * 5 + 5]:
            row["orig_instruction"] = f"Task {i}: list some fruits."
    return rows


def write_jsonl(path: Path, rows: list[Any]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_builder_makes_ten_balanced_pairs_per_instruction(tmp_path: Path) -> None:
    n = 24
    source = write_jsonl(tmp_path / "feedback.jsonl", feedback_rows(n))
    out = tmp_path / "prefs.jsonl"
    summary = build_preferences(source, out, create_backend("fake"), seed=3)
    rows = read_jsonl(out)
    assert summary.built == len(rows) == 10 * n
    assert set(Counter(row["orig_instruction"] for row in rows).values()) == {10}
    for row in rows:
        winner = "A" if row["orig_score_A"] > row["orig_score_B"] else "B"
        assert row["orig_preference"] == winner
        assert row["output"].endswith(f"[RESULT] {winner}")
        assert row["output"].startswith("Feedback: ")
        assert "[RESULT]" not in row["orig_feedback"]
        assert row["orig_feedback"]
    a_share = sum(row["orig_preference"] == "A" for row in rows) / len(rows)
    assert 0.4 <= a_share <= 0.6
    for gap in range(1, 5):
        gap_rows = [r for r in rows if abs(r["orig_score_A"] - r["orig_score_B"]) == gap]
        a_wins = sum(r["orig_preference"] == "A" for r in gap_rows)
        assert abs(2 * a_wins - len(gap_rows)) <= 1


def test_rows_round_trip_through_the_training_formatter(tmp_path: Path) -> None:
    from judgeforge.train.formatting import format_row

    source = write_jsonl(tmp_path / "feedback.jsonl", feedback_rows(2))
    out = tmp_path / "prefs.jsonl"
    build_preferences(source, out, create_backend("fake"))
    template_set = get_template_set("prometheus2")
    for index, row in enumerate(read_jsonl(out)):
        example = format_row(row, "preference", template_set, record=index)
        assert example.instruction_matches is True
        assert example.user == row["instruction"]
        assert example.output == row["output"]
        assert "###Reference Answer:\napple, banana" in row["instruction"]


def test_seed_changes_positions_but_not_pairs(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "feedback.jsonl", feedback_rows(6))
    outs = []
    for seed in (1, 1, 2):
        out = tmp_path / f"prefs-{len(outs)}.jsonl"
        build_preferences(source, out, create_backend("fake"), seed=seed)
        outs.append(read_jsonl(out))
    assert outs[0] == outs[1]
    positions = [[(r["orig_score_A"], r["orig_score_B"]) for r in rows] for rows in outs]
    assert positions[0] != positions[2]
    assert {frozenset(p) for p in positions[0]} == {frozenset(p) for p in positions[2]}


def test_bad_rows_are_reported_not_fatal(tmp_path: Path) -> None:
    rows: list[Any] = feedback_rows(3)
    rows[0] = {k: v for k, v in rows[0].items() if k != "orig_response"}
    rows[6]["orig_score"] = 7
    rows[7]["orig_criteria"] = 42
    dup = feedback_rows(1, seed=5)
    for row in dup:
        row["orig_instruction"] = "Duplicate task"
    dup[1]["orig_score"] = dup[0]["orig_score"]
    source = tmp_path / "feedback.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in rows + dup) + "{not json\n", encoding="utf-8")
    out = tmp_path / "prefs.jsonl"
    summary = build_preferences(source, out, create_backend("fake"))
    assert summary.bad_rows == 4
    errors = read_jsonl(errors_path(out))
    messages = {(e["field"], e["message"].split(":")[0]) for e in errors}
    assert ("orig_response", "orig_response") in messages
    assert any(e["field"] == "orig_score" and "1..5" in e["message"] for e in errors)
    assert any(e["field"] == "orig_criteria" and "string" in e["message"] for e in errors)
    assert any("invalid JSON" in e["message"] for e in errors)
    assert any(e["message"] == "group has duplicate scores" for e in errors)
    assert summary.skipped_equal_scores == 1
    assert len(summary.odd_groups) == 2  # the groups that lost rows
    assert summary.built == 6 + 3 + 10 + 9  # groups of 4, 3, 5 and 5 with one equal pair


def test_teacher_failures_are_retried_then_dropped(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "feedback.jsonl", feedback_rows(2))
    out = tmp_path / "prefs.jsonl"
    flaky = create_backend("fake", {"fail_rate": "0.5", "fail_seed": "1"})
    summary = build_preferences(source, out, flaky, max_attempts=10, batch_size=4)
    assert summary.built == 20 and summary.dropped == 0
    out2 = tmp_path / "prefs2.jsonl"
    broken = create_backend("fake", {"fail_rate": "1"})
    summary = build_preferences(source, out2, broken, max_attempts=2, use_cache=False)
    assert summary.built == 0 and summary.dropped == 20
    assert summary.drop_reasons == {"teacher output empty or failed": 20}


def test_resume_skips_done_pairs_and_repairs_a_torn_line(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "feedback.jsonl", feedback_rows(3))
    out = tmp_path / "prefs.jsonl"
    build_preferences(source, out, create_backend("fake"))
    full = out.read_text(encoding="utf-8").splitlines(keepends=True)
    out.write_text("".join(full[:12]) + full[12][:40], encoding="utf-8")
    summary = build_preferences(source, out, create_backend("fake"))
    assert summary.already_done == 12 and summary.built == 18
    assert sorted(out.read_text(encoding="utf-8").splitlines(keepends=True)) == sorted(full)


def test_cli_builds_and_exports_a_dataset_dict(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = write_jsonl(tmp_path / "feedback.jsonl", feedback_rows(5))
    out, export = tmp_path / "prefs.jsonl", tmp_path / "prefs-dataset"
    code = main(
        [
            "build-preferences",
            str(source),
            "--teacher-backend",
            "fake",
            "-o",
            str(out),
            "--seed",
            "4",
            "--export-dataset",
            str(export),
            "--test-size",
            "0.2",
        ]
    )
    assert code == 0
    assert json.loads(capsys.readouterr().out)["built"] == 50
    import datasets

    loaded = datasets.load_from_disk(str(export))
    assert (len(loaded["train"]), len(loaded["test"])) == (40, 10)
    assert {"instruction", "output", "orig_preference"} <= set(loaded["train"].column_names)


def test_loader_accepts_parquet(tmp_path: Path) -> None:
    import pandas as pd

    path = tmp_path / "feedback.parquet"
    pd.DataFrame(feedback_rows(2)).to_parquet(path)
    records, errors = load_feedback_collection(path)
    assert len(records) == 10 and errors == []


def test_teacher_completions_are_cached_across_builds(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "feedback.jsonl", feedback_rows(2))
    first = build_preferences(source, tmp_path / "a.jsonl", create_backend("fake"), seed=1)
    broken = create_backend("fake", {"fail_rate": "1"})  # same model identity, every call fails
    again = build_preferences(source, tmp_path / "b.jsonl", broken, seed=1, max_attempts=1)
    assert first.built == again.built == 20 and again.dropped == 0
    assert read_jsonl(tmp_path / "a.jsonl") == read_jsonl(tmp_path / "b.jsonl")
    other_seed = build_preferences(source, tmp_path / "c.jsonl", broken, seed=2, max_attempts=1)
    assert other_seed.built == 0 and other_seed.dropped == 20
