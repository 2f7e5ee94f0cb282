"""A tiny, locally built training world: a Feedback Collection, a Preference Collection and a base model.

Used by the tiny recipes (``judgeforge train tiny-da`` after ``write_toy_world("toy-world")``) and the tests.
Rows use the published column names and carry ``instruction``/``output`` rendered with our template set, so
they behave like the released datasets without downloading anything.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from judgeforge.data.collections import FeedbackRow, PreferenceRow
from judgeforge.prompts import DEFAULT_TEMPLATE_SET, get_template_set
from judgeforge.records import SCORE_LEVELS, Rubric

_TASKS = (
    ("Name the capital of France.", "Paris is the capital of France."),
    ("What is 12 times 3?", "12 times 3 is 36."),
    ("Give one synonym of 'happy'.", "'Joyful' is a synonym of 'happy'."),
    ("Which planet is closest to the sun?", "Mercury is the planet closest to the sun."),
)
_RUBRIC = Rubric(
    criteria="Is the response correct and complete?",
    score1_description="The response is wrong and off topic.",
    score2_description="The response is wrong but on topic.",
    score3_description="The response is partly correct.",
    score4_description="The response is correct but incomplete.",
    score5_description="The response is correct and complete.",
)


def feedback_rows(n_instructions: int = 2, template_set: str = DEFAULT_TEMPLATE_SET) -> list[dict[str, Any]]:
    """``n_instructions`` x 5 Feedback Collection rows, scores 1..5, with rendered ``instruction``/``output``."""
    tset = get_template_set(template_set)
    rows = []
    for index in range(n_instructions):
        question, answer = _TASKS[index % len(_TASKS)]
        for score in SCORE_LEVELS:
            row = FeedbackRow(
                instruction=question,
                response=f"{answer} (draft {score})" if score == 5 else f"Attempt {score}: not sure.",
                rubric=_RUBRIC,
                reference_answer=answer,
                feedback=f"The response meets level {score} of the rubric.",
                score=score,
            )
            rows.append(row.rendered(tset).to_row())
    return rows


def preference_rows(
    feedback: Iterable[Mapping[str, Any]], template_set: str = DEFAULT_TEMPLATE_SET
) -> list[dict[str, Any]]:
    """Every pair of differently scored responses to one instruction, winners alternating between A and B."""
    tset = get_template_set(template_set)
    groups: dict[str, list[FeedbackRow]] = {}
    for number, graded in enumerate(feedback):
        row = FeedbackRow.from_row(graded, f"sample row {number}")
        groups.setdefault(row.instruction, []).append(row)
    rows: list[dict[str, Any]] = []
    for group in groups.values():
        for first, second in itertools.combinations(group, 2):
            if first.score == second.score:
                continue
            a, b = (first, second) if len(rows) % 2 == 0 else (second, first)
            winner = "A" if a.score > b.score else "B"
            pair = PreferenceRow(
                instruction=a.instruction,
                criteria=a.rubric.criteria,
                reference_answer=a.reference_answer,
                response_a=a.response,
                response_b=b.response,
                score_a=a.score,
                score_b=b.score,
                preference=winner,
                feedback=f"Both answer the question; Response {winner} matches the reference better.",
            )
            rows.append(pair.rendered(tset).to_row())
    return rows


def write_jsonl(path: str | Path, rows: Iterable[Mapping[str, Any]]) -> Path:
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    return out


def write_toy_world(out_dir: str | Path, n_instructions: int = 2, *, with_model: bool = True) -> Path:
    """Write ``feedback.jsonl``, ``preference.jsonl`` and (optionally) ``tiny-model/`` under ``out_dir``."""
    out = Path(out_dir)
    feedback = feedback_rows(n_instructions)
    write_jsonl(out / "feedback.jsonl", feedback)
    write_jsonl(out / "preference.jsonl", preference_rows(feedback))
    if with_model:
        from judgeforge.toy.tiny import build_tiny_model

        build_tiny_model(out / "tiny-model", hidden_size=32, num_layers=1, num_heads=2, max_positions=2048)
    return out
