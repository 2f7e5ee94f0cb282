"""The Feedback Collection: loading and validating its rows (the schema is :mod:`judgeforge.data.collections`).

Sources: JSONL/JSON, Parquet, CSV, a dataset saved to disk or a Hugging Face dataset id. Bad rows never stop a
load: each is one :class:`~judgeforge.errors.InputError` naming the row and every bad field.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from judgeforge.columns import ColumnCheck
from judgeforge.data.collections import FEEDBACK_COLUMNS, FeedbackRow
from judgeforge.errors import InputError

KNOWN_COLUMNS = FEEDBACK_COLUMNS


class FeedbackRecord(FeedbackRow):
    """A validated Feedback Collection row and its number in the source (pairs and reports name it)."""

    row: int

    def group_key(self) -> tuple[str, str, str | None]:
        """Rows with the same instruction, criterion and reference answer form one group."""
        return (self.instruction, self.rubric.criteria, self.reference_answer)


def row_problems(row: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Every (field, problem) of one row."""
    return FeedbackRow.problems(row)


def feedback_record(row: Mapping[str, Any], number: int) -> FeedbackRecord:
    """Validate one row; raises InputError naming the row and every bad field."""
    return FeedbackRecord(**dict(FeedbackRow.from_row(row, f"row {number}")), row=number)


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
