"""The driver's pass over the input: check rows, report bad ones, skip finished ones, spool the rest.

The spool is a JSONL file of checked rows (one per line: ``key``, ``id``, ``index``, ``line``, ``raw_id``, ``item``) that
Ray Data reads. Writing it streams, so the driver's memory stays bounded whatever the input size, and it is
rebuilt on every run from the input and the results file, which is what makes a Ray run resumable.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from judgeforge.errors import InputError
from judgeforge.runner.idindex import IdIndex
from judgeforge.runner.options import RunOptions
from judgeforge.runner.output import LineWriter, Scan
from judgeforge.runner.readers import RawRow, read_rows
from judgeforge.runner.rows import RowChecker


@dataclass
class SpoolCounts:
    read: int = 0
    skipped: int = 0  # done by an earlier run
    bad: int = 0
    pending: int = 0
    bad_by_field: dict[str, int] = field(default_factory=dict)


def spool_pending(
    source: str | Path, options: RunOptions, done: Scan, spool: Path, errors: LineWriter
) -> SpoolCounts:
    """Write the valid, unfinished rows of ``source`` to ``spool``; bad rows go to ``errors``."""
    checker = RowChecker(
        options.mode, options.rubric, options.field_map, strict_columns=options.strict_columns
    )
    counts = SpoolCounts()
    with IdIndex() as seen, spool.open("w", encoding="utf-8") as out:
        for raw in read_rows(source, options.input_format, options.split):
            counts.read += 1
            try:
                if raw.error is not None:
                    raise raw.error
                row = checker.check(raw.row, raw.index)
                if row.key in seen:
                    raise InputError(f"duplicate id {row.id!r}", field="id")
            except InputError as exc:
                errors.write_many([_error_line(raw, exc, counts)])
                continue
            seen[row.key] = 0
            if done.finished(row.key):
                counts.skipped += 1
                continue
            record = {
                "key": row.key,
                "id": row.id,
                "index": row.index,
                "line": raw.line,
                "raw_id": _raw_id(raw),
                "item": row.item.model_dump(mode="json"),
            }
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            counts.pending += 1
    return counts


def _error_line(raw: RawRow, exc: InputError, counts: SpoolCounts) -> dict[str, Any]:
    # The same error line as a local run (runner.engine), so tools reading OUT.errors.jsonl see no difference.
    counts.bad += 1
    key = exc.field or "row"
    counts.bad_by_field[key] = counts.bad_by_field.get(key, 0) + 1
    return {"line": raw.line, "row": raw.index, "id": _raw_id(raw), "field": exc.field, "message": exc.reason}


def _raw_id(raw: RawRow) -> str | int | None:
    row_id = raw.row.get("id") if isinstance(raw.row, dict) else None
    if not isinstance(row_id, str | int) or isinstance(row_id, bool):
        return None
    return row_id
