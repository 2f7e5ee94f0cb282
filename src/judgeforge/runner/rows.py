"""Checking raw rows and turning them into items: every way a row can be bad ends as an InputError.

On top of :func:`judgeforge.inputs.item_from_row`, a run rejects: a ``mode`` that is not the command's, a
``response_b`` given to ``grade``, an empty ``id`` or ``reference_answer``, a duplicated id, and a rubric
given as a malformed JSON object string (CSV cells). Field mapping (``ours=theirs``) is applied first and
the messages name the input's column.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from judgeforge.columns import ColumnCheck
from judgeforge.errors import InputError
from judgeforge.inputs import Item, item_from_row
from judgeforge.prompts.rubrics import load_rubric
from judgeforge.records import Mode, Rubric

_COMMON = ("id", "instruction", "rubric", "reference_answer", "mode")
ROW_COLUMNS: dict[Mode, tuple[str, ...]] = {
    "absolute": (*_COMMON, "response", "response_b"),  # response_b: refused with its own message
    "relative": (*_COMMON, "response", "response_a", "response_b"),
}


@dataclass(slots=True)  # not frozen: a frozen dataclass costs ~3x more to build, once per row
class ValidRow:
    key: str  # str(id): what resume and duplicate detection compare
    id: str | int  # the row's id, else its 0-based index
    index: int
    item: Item


class RowChecker:
    """Validates rows of one run (one mode, one default rubric, one field map)."""

    def __init__(
        self, mode: Mode, rubric: Rubric | None, field_map: Mapping[str, str], *, strict_columns: bool = False
    ) -> None:
        self.mode = mode
        self.rubric = rubric
        self.field_map = dict(field_map)
        self.columns = ColumnCheck(ROW_COLUMNS[mode], strict=strict_columns)
        self._columns = {ours: theirs for ours, theirs in self.field_map.items()}
        self._rubrics: dict[str, Rubric] = {}  # per-row rubric names/files, resolved once

    def check(self, row: Any, index: int) -> ValidRow:
        """A valid row, or InputError naming the field (``record`` is left to the caller)."""
        try:
            return self._check(row, index)
        except InputError as exc:
            raise self._with_column(exc) from exc

    def _check(self, row: Any, index: int) -> ValidRow:
        if not isinstance(row, dict):
            if not isinstance(row, Mapping):
                raise InputError(f"expected an object, got {_kind(row)}")
            row = dict(row)
        if self.field_map:
            row = self._mapped(row)
        self.columns.check(row)
        self._check_extras(row)
        rubric = self._row_rubric(row)  # may rewrite row["rubric"]: rows are the reader's fresh objects
        if rubric is not None:
            row["rubric"] = None
        item = item_from_row(row, record=None, mode=self.mode, rubric=rubric or self.rubric)
        if item.id is not None:
            if not item.id or item.id.isspace():
                raise InputError("must not be empty", field="id")
            return ValidRow(item.id, row["id"] if isinstance(row["id"], int) else item.id, index, item)
        return ValidRow(str(index), index, index, item)

    def _mapped(self, row: Mapping[str, Any]) -> dict[str, Any]:
        mapped = dict(row)
        for ours, theirs in self.field_map.items():
            mapped[ours] = mapped.pop(theirs, None)
        return mapped

    def _check_extras(self, row: Mapping[str, Any]) -> None:
        mode = row.get("mode")
        if mode is not None and mode in ("absolute", "relative") and mode != self.mode:
            command = "grade" if self.mode == "absolute" else "compare"
            raise InputError(f"row is for {mode} grading, not for '{command}'", field="mode")
        if self.mode == "absolute" and row.get("response_b") is not None:
            raise InputError(
                "a pair row (response_b) cannot be graded alone; use 'compare'", field="response_b"
            )
        reference = row.get("reference_answer")
        if isinstance(reference, str) and (not reference or reference.isspace()):
            raise InputError("must not be empty (omit it for no reference)", field="reference_answer")

    def _row_rubric(self, row: dict[str, Any]) -> Rubric | None:
        value = row.get("rubric")
        if not isinstance(value, str):
            return None
        if value.lstrip().startswith("{"):
            try:
                row["rubric"] = json.loads(value)
            except json.JSONDecodeError as exc:
                raise InputError(f"invalid JSON object: {exc.msg}", field="rubric") from exc
            return None
        cached = self._rubrics.get(value)
        if cached is None:
            cached = load_rubric(value)
            if len(self._rubrics) < 1024:
                self._rubrics[value] = cached
        return cached

    def _with_column(self, exc: InputError) -> InputError:
        if exc.field is not None and exc.field in self._columns:
            column = self._columns[exc.field]
            return type(exc)(f"{exc.reason} (column '{column}')", field=exc.field)
        if exc.field is None and "rubric" in exc.reason.lower() and isinstance(exc, InputError):
            return type(exc)(exc.reason, field="rubric")
        return exc


def _kind(value: Any) -> str:
    return {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), type(value).__name__
    )
