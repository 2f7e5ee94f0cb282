"""Streaming input readers: JSONL, CSV/TSV, Parquet and Hugging Face datasets, one row at a time.

Every reader yields :class:`RawRow` records: the 0-based ``index`` (a row's default id: the physical line of a
JSONL file, the data row of a CSV, the record of a table), the 1-based ``line`` shown in error reports, and
either the row (a mapping, or whatever JSON value the line held) or the :class:`InputError` that made it
unreadable. Nothing reads the whole input into memory.
"""

from __future__ import annotations

import csv
import json
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from judgeforge.errors import ConfigError, InputError
from judgeforge.lazy import require
from judgeforge.registry import Registry
from judgeforge.runner.jsonlines import loads_line

_BOM = b"\xef\xbb\xbf"
_LONE_SURROGATE = re.compile("[\udc80-\udcff]")


@dataclass(slots=True)  # not frozen: a frozen dataclass costs ~3x more to build, once per row
class RawRow:
    index: int
    line: int
    row: Any = None
    error: InputError | None = None


Reader = Callable[[str, str], Iterator[RawRow]]
readers: Registry[Reader] = Registry("input format")


@readers.register("jsonl")
def read_jsonl_rows(source: str, split: str = "") -> Iterator[RawRow]:
    """One JSON value per line; blank lines are skipped (they still count as lines)."""
    with sys.stdin.buffer if source == "-" else Path(source).open("rb") as handle:
        for index, raw in enumerate(handle):
            if index == 0 and raw.startswith(_BOM):
                raw = raw[len(_BOM) :]
            if not raw or raw.isspace():  # isspace() stops at the first visible byte; strip() copies
                continue
            try:
                row = loads_line(raw)
            except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
                yield RawRow(index, index + 1, error=_json_line_error(index, exc))
                continue
            yield RawRow(index, index + 1, row)


@readers.register("json")
def read_json_rows(source: str, split: str = "") -> Iterator[RawRow]:
    """A ``.json`` file: a JSON array of objects (as alpaca_eval's ``model_outputs.json``), one row per
    element (``line`` is the element's 1-based position); a file that is not an array is read as JSON lines."""
    with Path(source).open("rb") as handle:
        head = handle.read(4096).lstrip(_BOM).lstrip()
    if not head.startswith(b"["):
        yield from read_jsonl_rows(source, split)
        return
    try:
        rows = json.loads(Path(source).read_bytes().decode("utf-8-sig"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        yield RawRow(0, 1, error=InputError(f"invalid JSON array: {exc}", record=source))
        return
    for index, row in enumerate(rows):
        yield RawRow(index, index + 1, row)


def _json_line_error(index: int, exc: Exception) -> InputError:
    if isinstance(exc, json.JSONDecodeError):
        message = f"invalid JSON: {exc.msg} (column {exc.colno})"
    elif isinstance(exc, UnicodeDecodeError):
        message = f"invalid UTF-8 at byte {exc.start}"
    else:
        message = "invalid JSON: nested too deeply"
    return InputError(message, record=f"line {index + 1}")


@readers.register("csv")
def read_csv_rows(source: str, split: str = "") -> Iterator[RawRow]:
    """A header row, then one row per record; empty cells are missing values."""
    return _read_delimited(source, ",")


@readers.register("tsv")
def read_tsv_rows(source: str, split: str = "") -> Iterator[RawRow]:
    return _read_delimited(source, "\t")


def _read_delimited(source: str, delimiter: str) -> Iterator[RawRow]:
    with Path(source).open(encoding="utf-8-sig", errors="surrogateescape", newline="") as handle:
        reader = csv.DictReader(handle, delimiter=delimiter)
        reader.fieldnames  # noqa: B018 - reads the header, so line_num ends where the first record starts
        previous_end = reader.line_num
        for index, record in enumerate(reader):
            # A record that spans several physical lines (a quoted cell with a line break) is reported at
            # its first line.
            yield _csv_row(index, previous_end + 1, record)
            previous_end = reader.line_num


def _csv_row(index: int, line: int, record: dict[Any, Any]) -> RawRow:
    extra = record.pop(None, None)
    if extra:
        return RawRow(index, line, error=InputError(f"{len(extra)} more values than header columns"))
    row = {key: (value if value != "" else None) for key, value in record.items()}
    for key, value in row.items():
        if isinstance(value, str) and _LONE_SURROGATE.search(value):
            return RawRow(index, line, error=InputError("invalid UTF-8", field=str(key)))
    return RawRow(index, line, row)


@readers.register("parquet")
def read_parquet_rows(source: str, split: str = "") -> Iterator[RawRow]:
    """Record batches of a Parquet file, streamed."""
    parquet = require("pyarrow.parquet", "data")
    index = 0
    for batch in parquet.ParquetFile(source).iter_batches(batch_size=1024):
        for row in batch.to_pylist():
            yield RawRow(index, index + 1, row)
            index += 1


@readers.register("hf")
def read_hf_rows(source: str, split: str = "train") -> Iterator[RawRow]:
    """A dataset saved with ``save_to_disk`` (memory-mapped) or a dataset id, streamed with ``datasets``."""
    datasets = require("datasets", "data")
    path = Path(source)
    if path.is_dir() and ((path / "state.json").is_file() or (path / "dataset_dict.json").is_file()):
        dataset = datasets.load_from_disk(str(path))
        if isinstance(dataset, datasets.DatasetDict):
            dataset = dataset[split]
    else:
        dataset = datasets.load_dataset(source, split=split, streaming=True)
    for index, row in enumerate(dataset):
        yield RawRow(index, index + 1, row)


_SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".csv": "csv", ".tsv": "tsv"}
_SUFFIXES[".parquet"] = _SUFFIXES[".pq"] = "parquet"


def detect_format(source: str) -> str:
    """The reader for ``source``: by suffix, a saved dataset folder, else a dataset id."""
    if source == "-":
        return "jsonl"
    path = Path(source)
    suffix = path.suffix.lower()
    if suffix in _SUFFIXES:
        if not path.is_file():
            raise ConfigError(f"input file not found: {source}")
        return _SUFFIXES[suffix]
    if path.is_file():
        raise ConfigError(f"cannot tell the format of {source}; pass --input-format")
    return "hf"


def read_rows(source: str | Path, input_format: str = "auto", split: str = "train") -> Iterator[RawRow]:
    """Stream the rows of ``source`` (see :func:`detect_format` for ``auto``)."""
    source = str(source)
    name = detect_format(source) if input_format == "auto" else input_format
    return readers.get(name)(source, split)


def count_rows(source: str | Path, input_format: str = "auto") -> int | None:
    """A cheap row count for progress (lines of a text file, Parquet metadata); None when not cheap."""
    source = str(source)
    if source == "-":
        return None
    name = detect_format(source) if input_format == "auto" else input_format
    if name in ("jsonl", "csv", "tsv"):
        with Path(source).open("rb") as handle:
            lines = sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))
        return lines - (name != "jsonl")
    if name == "parquet":
        return int(require("pyarrow.parquet", "data").ParquetFile(source).metadata.num_rows)
    return None
