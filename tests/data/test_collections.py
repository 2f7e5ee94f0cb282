"""The one schema of the Feedback and Preference Collections: rows in, typed records, the same rows out."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from judgeforge.backends import create_backend
from judgeforge.columns import ORIG_PREFIX
from judgeforge.data import collections
from judgeforge.data.collections import (
    FEEDBACK_COLUMNS,
    PREFERENCE_COLUMNS,
    FeedbackRow,
    PreferenceRow,
    parse_row,
)
from judgeforge.data.preferences import build_preferences
from judgeforge.errors import InputError
from judgeforge.prompts import get_template_set
from judgeforge.records import DirectItem, PairItem, Rubric

PACKAGE = Path(collections.__file__).resolve().parents[1]
GOLDEN = Path(__file__).parent / "golden" / "preference_rows.jsonl"
# The whole build of golden_feedback_rows() (20 rows), as written before the schema module existed.
GOLDEN_SHA256 = "050cfa475cf78b2cc47eb28071cf4906cb9f983ebb117a802fa27e1afee05a05"
TSET = get_template_set("prometheus2")
LEVELS = {f"orig_score{level}_description": f"Level {level}." for level in range(1, 6)}


def golden_feedback_rows() -> list[dict[str, Any]]:
    """Two groups of five: non-ASCII text and a string score; no reference answer and a float score."""
    rows: list[dict[str, Any]] = []
    for number, score in enumerate([3, 1, 5, "2", 4]):
        rows.append(
            {
                "orig_instruction": "Nenne drei Früchte — bitte.",
                "orig_response": f"Antwort {number}: " + ", ".join(["Äpfel"] * int(score)),
                "orig_reference_answer": "Äpfel, Bananen, Kirschen",
                "orig_criteria": "Nennt die Antwort Früchte?",
                **{f"orig_score{k}_description": f"Stufe {k} — „gut“." for k in range(1, 6)},
                "orig_feedback": f"Die Antwort nennt {score} Früchte.",
                "orig_score": score,
            }
        )
    for number, score in enumerate([2, 5.0, 1, 4, 3]):
        rows.append(
            {
                "orig_instruction": 'List fruits "quoted"\nacross lines.',
                "orig_response": f"R{number}: " + "pear " * int(score),
                "orig_criteria": "Lists fruits?",
                **{f"orig_score{k}_description": f"L{k}" for k in range(1, 6)},
                "orig_feedback": f"Lists {score}.",
                "orig_score": score,
                "instruction": "pre-rendered",
                "output": "x",
            }
        )
    return rows


def feedback_row(**changes: Any) -> dict[str, Any]:
    row = {
        "orig_instruction": "Cook rice?",
        "orig_response": "Boil it.",
        "orig_reference_answer": "Boil it well.",
        "orig_criteria": "Is it helpful?",
        **LEVELS,
        "orig_feedback": "Correct but short.",
        "orig_score": 4,
        "instruction": "the rendered prompt",
        "output": "Feedback: Correct but short. [RESULT] 4",
    }
    return {key: value for key, value in {**row, **changes}.items() if value is not ...}


def preference_row(**changes: Any) -> dict[str, Any]:
    row = {
        "orig_instruction": "Cook rice?",
        "orig_criteria": "Is it helpful?",
        "orig_reference_answer": None,
        "orig_response_A": "Boil it.",
        "orig_response_B": "Fry it.",
        "orig_score_A": 4,
        "orig_score_B": 2,
        "orig_preference": "A",
        "orig_feedback": "A boils, B fries.",
    }
    return {key: value for key, value in {**row, **changes}.items() if value is not ...}


def test_a_build_writes_the_golden_rows_byte_for_byte(tmp_path: Path) -> None:
    source = tmp_path / "feedback.jsonl"
    source.write_text("".join(json.dumps(row) + "\n" for row in golden_feedback_rows()), encoding="utf-8")
    out = tmp_path / "prefs.jsonl"
    build_preferences(source, out, create_backend("fake"), seed=7, use_cache=False)
    written = out.read_bytes()
    lines = written.splitlines(keepends=True)
    assert [lines[0], lines[10]] == GOLDEN.read_bytes().splitlines(keepends=True)
    assert hashlib.sha256(written).hexdigest() == GOLDEN_SHA256


def test_a_preference_row_reads_and_writes_back_the_same_bytes() -> None:
    for line in GOLDEN.read_text(encoding="utf-8").splitlines(keepends=True):
        row = PreferenceRow.from_row(json.loads(line), "golden")
        assert json.dumps(row.to_row(), ensure_ascii=False) + "\n" == line
        assert list(row.to_row()) == list(PREFERENCE_COLUMNS)
        assert row.rendered(TSET) == row  # the builder wrote the prompt and target the schema renders


def test_a_feedback_row_round_trips_in_the_published_order() -> None:
    row = feedback_row()
    parsed = FeedbackRow.from_row(row, "r")
    assert parsed.to_row() == row and list(parsed.to_row()) == list(FEEDBACK_COLUMNS)
    no_reference = FeedbackRow.from_row(feedback_row(orig_reference_answer=..., instruction=..., output=...))
    assert no_reference.reference_answer is None
    assert list(no_reference.to_row()) == [c for c in FEEDBACK_COLUMNS if c not in ("instruction", "output")]
    assert no_reference.to_row()["orig_reference_answer"] is None  # null: no reference, as the builder writes
    assert FeedbackRow.from_row(feedback_row(orig_score=" 3 ")).to_row()["orig_score"] == 3
    assert FeedbackRow.from_row(feedback_row(orig_score=2.0)).score == 2


def test_optional_preference_columns_are_left_out_when_absent() -> None:
    row = preference_row()
    parsed = PreferenceRow.from_row(row)
    assert parsed.to_row() == row
    assert parsed.score_descriptions == (None,) * 5 and parsed.source_rows is None
    full = PreferenceRow.from_row(preference_row(pair_id="p1", source_rows=[3, 1], **LEVELS))
    assert full.to_row()["source_rows"] == [3, 1] and full.rubric.score2_description == "Level 2."


def test_from_row_names_the_record_and_every_bad_field() -> None:
    row = feedback_row(orig_response=..., orig_criteria=42, orig_score3_description=" ", orig_score=7)
    with pytest.raises(InputError) as info:
        FeedbackRow.from_row(row, "feedback.jsonl row 9")
    error = info.value
    assert error.record == "feedback.jsonl row 9"
    assert error.field == "orig_response, orig_criteria, orig_score3_description, orig_score"
    assert error.reason == (
        "orig_response: missing required column; orig_criteria: must be a string, got int; "
        "orig_score3_description: must not be empty; orig_score: must be an integer 1..5, got 7"
    )
    assert FeedbackRow.problems(row) == [
        (column, problem.split(": ", 1)[1])
        for column, problem in zip(error.field.split(", "), error.reason.split("; "), strict=True)
    ]
    with pytest.raises(InputError, match="expected an object, got list") as info:
        FeedbackRow.from_row([1, 2], "row 3")  # type: ignore[arg-type]
    assert info.value.record == "row 3"


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        ({"orig_criteria": "  "}, "orig_criteria"),
        ({"orig_response_B": ""}, "orig_response_B"),
        ({"orig_feedback": "\n", "orig_preference": "C"}, "orig_preference, orig_feedback"),
        ({"orig_score_A": "five", "orig_score_B": True}, "orig_score_A, orig_score_B"),
        ({"orig_reference_answer": " "}, "orig_reference_answer"),
        ({"orig_feedback_A": 3, "orig_score1_description": 1}, "orig_score1_description, orig_feedback_A"),
        ({"source_rows": [1]}, "source_rows"),
        ({"pair_id": 7}, "pair_id"),
    ],
)
def test_bad_preference_rows(change: dict[str, Any], fields: str) -> None:
    with pytest.raises(InputError) as info:
        PreferenceRow.from_row(preference_row(**change), "prefs.jsonl row 2")
    assert info.value.field == fields and info.value.record == "prefs.jsonl row 2"


def test_blank_score_descriptions_are_allowed_in_preference_rows_only() -> None:
    blank = {column: " " for column in LEVELS}
    parsed = PreferenceRow.from_row(preference_row(**blank))
    assert parsed.item().rubric.score1_description == " "
    with pytest.raises(InputError) as info:
        FeedbackRow.from_row(feedback_row(**blank))
    assert info.value.field == ", ".join(LEVELS)
    with pytest.raises(ValidationError, match="every score description"):  # writers get the same rule
        FeedbackRow(
            instruction="Q?",
            response="A.",
            rubric=Rubric(criteria="C", **{key.removeprefix(ORIG_PREFIX): " " for key in LEVELS}),
            feedback="F",
            score=3,
        )


def test_items_and_targets() -> None:
    direct = FeedbackRow.from_row(feedback_row(output=...))
    assert direct.item("x") == DirectItem(
        id="x",
        instruction="Cook rice?",
        response="Boil it.",
        rubric=Rubric(
            criteria="Is it helpful?", **{f"score{k}_description": f"Level {k}." for k in range(1, 6)}
        ),
        reference_answer="Boil it well.",
    )
    assert direct.target(TSET) == "Feedback: Correct but short. [RESULT] 4"
    assert FeedbackRow.from_row(feedback_row(output="given")).target(TSET) == "given"
    assert FeedbackRow.from_row(feedback_row(output="")).target(TSET) == direct.target(TSET)
    pair = PreferenceRow.from_row(preference_row(orig_preference="B"))
    assert pair.item() == PairItem(
        instruction="Cook rice?",
        response_a="Boil it.",
        response_b="Fry it.",
        rubric=Rubric(criteria="Is it helpful?", **{f"score{k}_description": "" for k in range(1, 6)}),
    )
    assert pair.target(TSET) == "Feedback: A boils, B fries. [RESULT] B"
    assert PreferenceRow.from_row(preference_row(output="given")).target(TSET) == "given"
    rendered = pair.rendered(TSET)
    assert rendered.prompt == TSET.render_pair(pair.item())[1] and rendered.output == pair.target(TSET)
    assert isinstance(parse_row("preference", preference_row()), PreferenceRow)
    assert isinstance(parse_row("feedback", feedback_row()), FeedbackRow)


def test_every_collection_column_is_prefixed_or_judgeforges_own() -> None:
    own = {"instruction", "output", "pair_id", "source_rows"}
    for column in {*FEEDBACK_COLUMNS, *PREFERENCE_COLUMNS} - own:
        assert column.startswith(ORIG_PREFIX), column


# The schema module spells the published column names; columns.py defines the prefix, in the bottom layer,
# for the generic near-miss rule and the rubric loader (which sit below `data` and cannot import it). Only code
# is searched: a template set's data files may name their placeholders after the columns, as the released
# templates they reproduce word for word do (prompts/sets/prometheus1).
SCHEMA_MODULE = Path("data") / "collections.py"
PREFIX_DEFINITION = (Path("columns.py"), 'ORIG_PREFIX = "orig_"')


def test_the_collection_column_names_are_spelled_in_the_schema_module_only() -> None:
    strays = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        if relative == SCHEMA_MODULE:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(ORIG_PREFIX, line) and (relative, line.strip()) != PREFIX_DEFINITION:
                strays.append(f"{relative}:{number}: {line.strip()}")
    assert not strays, "collection column names outside data/collections.py:\n" + "\n".join(strays)
    assert ORIG_PREFIX in (PACKAGE / SCHEMA_MODULE).read_text(encoding="utf-8")
