"""Fixtures for the bench tests: small benchmark files in the published formats, written here."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from judgeforge.prompts import PromptRenderer
from judgeforge.records import DirectItem, Rubric

RUBRIC = Rubric(
    criteria="Is the answer correct?",
    score1_description="Wrong.",
    score2_description="Mostly wrong.",
    score3_description="Half right.",
    score4_description="Mostly right.",
    score5_description="Right.",
)


def rendered(instruction: str, response: str, reference: str | None = None) -> str:
    item = DirectItem(instruction=instruction, response=response, rubric=RUBRIC, reference_answer=reference)
    return PromptRenderer("prometheus2", "none").direct(item).user


def write_json(path: Path, rows: list[dict[str, Any]], lines: bool = False) -> Path:
    if lines:
        path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    else:
        path.write_text(json.dumps(rows), encoding="utf-8")
    return path


@pytest.fixture
def flask_file(tmp_path: Path) -> Path:
    rows = [
        {
            "idx": i,
            "category": "logical",
            "instruction": rendered(f"What is {i} + {i}?", f"It is {2 * i + (i % 2)}.", f"{2 * i}"),
            "gpt4_score": [5 - i % 2, 5 - i % 3, 4],
            "human_score": [5 - i % 2, 4],
            "gpt4_feedback": ["ok", "ok", "ok"],
        }
        for i in range(6)
    ]
    return write_json(tmp_path / "flask_eval.json", rows)


@pytest.fixture
def feedback_bench_file(tmp_path: Path) -> Path:
    rows = [
        {"instruction": rendered(f"Task {i}", f"Answer {i}", f"Reference {i}"), "gpt4_score": 1 + i % 5}
        for i in range(5)
    ]
    return write_json(tmp_path / "feedback_collection_ood_test.json", rows)


@pytest.fixture
def preference_file(tmp_path: Path) -> Path:
    """Preference Bench shape: pairs built from one group of 5 responses (scores 1..5), plus a tie."""
    responses = [f"Answer of quality {q}." for q in range(1, 6)]
    rows = []
    for better in range(5):
        for worse in range(better):
            rows.append(
                {
                    "chosen_instruction": rendered(
                        "Explain tides.", responses[better], "Tides come from the moon."
                    ),
                    "rejected_instruction": rendered(
                        "Explain tides.", responses[worse], "Tides come from the moon."
                    ),
                }
            )
    rows.append(
        {
            "chosen_instruction": rendered("Say hi.", "hi", None),
            "rejected_instruction": rendered("Say hi.", "hello", None),
            "tie": 1,
        }
    )
    return write_json(tmp_path / "preference_collection_ood_test.json", rows)


@pytest.fixture
def chosen_rejected_file(tmp_path: Path) -> Path:
    rows = [
        {
            "id": f"p{i}",
            "prompt": f"Name the capital of country number {i}.",
            "chosen": f"The capital of country number {i} is City {i}, a large and old city.",
            "rejected": "No idea.",
            "reference_answer": f"The capital of country number {i} is City {i}.",
            "category": "geo" if i % 2 else "misc",
        }
        for i in range(6)
    ]
    return write_json(tmp_path / "pairs.jsonl", rows, lines=True)
