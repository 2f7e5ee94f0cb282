"""The Feedback Collection: schema, validation and loaders.

Published columns (one row per graded response): ``orig_instruction``, ``orig_response``,
``orig_reference_answer``, ``orig_criteria``, ``orig_score1_description`` .. ``orig_score5_description``,
``orig_feedback``, ``orig_score`` (1..5), plus ``instruction`` (the rendered absolute prompt) and ``output``
(the training target ``feedback [RESULT] score``). Validation names every bad row and field at once.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from pydantic import Field

from judgeforge.columns import ColumnCheck
from judgeforge.errors import InputError
from judgeforge.records import SCORE_LEVELS, Record, Rubric

RUBRIC_COLUMNS = ("orig_criteria", *(f"orig_score{level}_description" for level in SCORE_LEVELS))
REQUIRED_TEXT_COLUMNS = ("orig_instruction", "orig_response", "orig_feedback", *RUBRIC_COLUMNS)
KNOWN_COLUMNS = (*REQUIRED_TEXT_COLUMNS, "orig_score", "orig_reference_answer", "instruction", "output")


class FeedbackRecord(Record):
    """One validated Feedback Collection row."""

    row: int
    instruction: str
    response: str
    reference_answer: str | None
    rubric: Rubric
    feedback: str
    score: int = Field(ge=1, le=5)
    prompt: str | None = None
    output: str | None = None

    def group_key(self) -> tuple[str, str, str | None]:
        """Rows with the same instruction, criterion and reference answer form one group."""
        return (self.instruction, self.rubric.criteria, self.reference_answer)


def row_problems(row: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Every (field, problem) of one row."""
    problems = []
    for column in REQUIRED_TEXT_COLUMNS:
        value = row.get(column)
        if value is None:
            problems.append((column, "missing required column"))
        elif not isinstance(value, str):
            problems.append((column, f"must be a string, got {type(value).__name__}"))
        elif not value or value.isspace():
            problems.append((column, "must not be empty"))
    for column in ("orig_reference_answer", "instruction", "output"):
        value = row.get(column)
        if value is not None and not isinstance(value, str):
            problems.append((column, f"must be a string, got {type(value).__name__}"))
        elif column == "orig_reference_answer" and value is not None and (not value or value.isspace()):
            problems.append((column, "must not be empty (omit it for no reference)"))
    if _score(row.get("orig_score")) is None:
        problems.append(("orig_score", f"must be an integer 1..5, got {row.get('orig_score')!r}"))
    return problems


def _score(value: Any) -> int | None:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and value in SCORE_LEVELS:
        return value
    return None


def feedback_record(row: Mapping[str, Any], number: int) -> FeedbackRecord:
    """Validate one row; raises InputError naming the row and every bad field."""
    if not isinstance(row, Mapping):
        raise InputError(f"expected an object, got {type(row).__name__}", record=f"row {number}")
    problems = row_problems(row)
    if problems:
        fields = ", ".join(field for field, _ in problems)
        detail = "; ".join(f"{field}: {problem}" for field, problem in problems)
        raise InputError(detail, record=f"row {number}", field=fields)
    return FeedbackRecord(
        row=number,
        instruction=row["orig_instruction"],
        response=row["orig_response"],
        reference_answer=row.get("orig_reference_answer"),
        rubric=Rubric(**{column[5:]: row[column] for column in RUBRIC_COLUMNS}),
        feedback=row["orig_feedback"],
        score=_score(row["orig_score"]) or 0,
        prompt=row.get("instruction"),
        output=row.get("output"),
    )


def iter_rows(source: str | Path, split: str = "train") -> Iterator[dict[str, Any]]:
    """Rows of a local JSONL/JSON/Parquet/CSV file, a dataset saved to disk, or a Hugging Face dataset id."""
    path = Path(source)
    if path.suffix == ".jsonl" or (path.suffix == ".json" and path.is_file()):
        yield from _jsonl_rows(path)
        return
    from judgeforge.lazy import require

    datasets = require("datasets", "data")
    if path.suffix in (".parquet", ".csv"):
        dataset = datasets.load_dataset(path.suffix[1:], data_files=str(path), split="train")
    elif path.is_dir() and (path / "dataset_dict.json").is_file():
        dataset = datasets.load_from_disk(str(path))[split]
    elif path.is_dir() and (path / "dataset_info.json").is_file():
        dataset = datasets.load_from_disk(str(path))
    else:
        dataset = datasets.load_dataset(str(source), split=split)
    for row in dataset:
        yield dict(row)


def _jsonl_rows(path: Path) -> Iterator[dict[str, Any]]:
    import json

    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle):
            if not line.strip():
                continue
            try:
                yield json.loads(line)
            except json.JSONDecodeError as exc:
                yield {"__invalid__": f"line {number + 1}: invalid JSON: {exc.msg}"}


def load_feedback_collection(
    source: str | Path, split: str = "train"
) -> tuple[list[FeedbackRecord], list[InputError]]:
    """All valid records and one error per bad row (bad rows never stop the load)."""
    records, errors = [], []
    columns = ColumnCheck(KNOWN_COLUMNS, where="Feedback Collection")
    for number, row in enumerate(iter_rows(source, split)):
        if isinstance(row, dict) and "__invalid__" in row:
            errors.append(InputError(row["__invalid__"], record=f"row {number}"))
            continue
        if isinstance(row, Mapping):
            columns.check(row)
        try:
            records.append(feedback_record(row, number))
        except InputError as exc:
            errors.append(exc)
    return records, errors
