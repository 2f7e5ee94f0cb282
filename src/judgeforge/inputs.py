"""Turning user rows (JSONL objects, CSV rows, dataset records) into items, with clear errors.

Row fields: ``instruction``, ``response`` (``response_a`` accepted for pairs), ``response_b`` for pairs,
``rubric`` (an object, a library name or a file path), optional ``reference_answer`` and ``id``.
``mode`` ("absolute" or "relative") may be given per row; otherwise it is inferred from ``response_b``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from judgeforge.errors import InputError
from judgeforge.prompts.rubrics import load_rubric
from judgeforge.records import DirectItem, Mode, PairItem, Rubric

Item = DirectItem | PairItem


def row_mode(row: Mapping[str, Any], record: object, default: Mode | None = None) -> Mode:
    mode = row.get("mode")
    if mode is None:
        if default is not None:
            return default
        return "relative" if row.get("response_b") is not None else "absolute"
    if mode not in ("absolute", "relative"):
        raise InputError(f"mode must be 'absolute' or 'relative', got {mode!r}", record=record, field="mode")
    return mode  # type: ignore[no-any-return]


def item_from_row(
    row: Mapping[str, Any],
    *,
    record: object,
    mode: Mode | None = None,
    rubric: Rubric | None = None,
    allow_empty_responses: bool = False,
) -> Item:
    """Build a DirectItem or PairItem from ``row``; ``rubric`` is used when the row has none.

    Blank text (instruction, responses, a given reference) is bad input for grading; rendering
    (``allow_empty_responses``) shows any input as it is, for fidelity checks.
    """
    required = not allow_empty_responses
    if type(row) is not dict and not isinstance(row, Mapping):  # the ABC check only for other mappings
        raise InputError(f"expected an object, got {type(row).__name__}", record=record)
    mode = row_mode(row, record, mode)
    item_id = _optional_text(row, "id", record, allow_number=True)
    common = {
        "id": item_id,
        "instruction": _text(row, "instruction", record, non_empty=required),
        "rubric": _rubric(row, record, rubric),
        "reference_answer": _optional_text(row, "reference_answer", record, non_empty=required),
    }
    # trusted(): every field was type-checked just above (the rubric is a Rubric record already), with
    # messages naming the row and field; this runs once per input row.
    if mode == "absolute":
        return DirectItem.trusted(response=_text(row, "response", record, non_empty=required), **common)
    first = "response_a" if "response_a" in row else "response"
    return PairItem.trusted(
        response_a=_text(row, first, record, non_empty=required),
        response_b=_text(row, "response_b", record, non_empty=required),
        **common,
    )


def _text(row: Mapping[str, Any], field: str, record: object, *, non_empty: bool = False) -> str:
    if field not in row or row[field] is None:
        raise InputError("missing required field", record=record, field=field)
    value = row[field]
    if not isinstance(value, str):
        raise InputError(f"must be a string, got {type(value).__name__}", record=record, field=field)
    if non_empty and (not value or value.isspace()):  # == not value.strip(), without copying the text
        raise InputError("must not be empty", record=record, field=field)
    return value


def _optional_text(
    row: Mapping[str, Any], field: str, record: object, *, allow_number: bool = False, non_empty: bool = False
) -> str | None:
    value = row.get(field)
    if value is None:
        return None
    if allow_number and isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise InputError(f"must be a string, got {type(value).__name__}", record=record, field=field)
    if non_empty and (not value or value.isspace()):
        raise InputError("must not be empty (omit it for no reference)", record=record, field=field)
    return value


def _rubric(row: Mapping[str, Any], record: object, default: Rubric | None) -> Rubric:
    value = row.get("rubric")
    if value is None:
        if default is None:
            raise InputError(
                "missing required field (or pass a global --rubric)", record=record, field="rubric"
            )
        return default
    if not isinstance(value, (str, Mapping)):
        raise InputError(
            f"must be an object or a rubric name, got {type(value).__name__}", record=record, field="rubric"
        )
    return load_rubric(value, record=record)
