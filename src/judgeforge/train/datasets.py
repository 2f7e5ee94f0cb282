"""Load training rows (local files, saved-to-disk datasets, hub ids) and turn them into TRL conversations."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from judgeforge.data.collections import CollectionKind
from judgeforge.errors import ConfigError, InputError
from judgeforge.lazy import require
from judgeforge.prompts import TemplateSet, get_template_set
from judgeforge.train.config import DatasetSource, TrainConfig
from judgeforge.train.formatting import format_row, to_conversation

_SUFFIX_FORMATS = {".jsonl": "json", ".json": "json", ".parquet": "parquet", ".csv": "csv"}
_MATCH_UNKNOWN, _MISMATCH, _MATCH = -1, 0, 1


@dataclass
class DataSummary:
    """Rows per collection and how many ``instruction`` columns differed from our rendering."""

    rows: dict[str, int] = field(default_factory=dict)
    instruction_mismatches: dict[str, int] = field(default_factory=dict)
    first_mismatch: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": dict(self.rows),
            "instruction_mismatches": dict(self.instruction_mismatches),
            "first_mismatch": dict(self.first_mismatch),
        }


def source_format(source: DatasetSource) -> str:
    """The loader a source needs: json/parquet/csv (a local file), disk (a saved dataset) or hub (an id)."""
    if source.format != "auto":
        return "json" if source.format == "jsonl" else source.format
    path = Path(source.path)
    if path.is_file():
        if path.suffix.lower() not in _SUFFIX_FORMATS:
            raise ConfigError(f"dataset {source.path}: unknown file type; set format: jsonl|json|parquet|csv")
        return _SUFFIX_FORMATS[path.suffix.lower()]
    if path.is_dir():
        return "disk"
    if path.is_absolute() or source.path.startswith(".") or source.path.count("/") != 1:
        raise ConfigError(f"dataset {source.path}: no such file or folder (and not a hub id 'owner/name')")
    return "hub"


def load_rows(source: DatasetSource) -> Any:
    """The rows of one source as a ``datasets.Dataset`` (``split`` picks a split of a DatasetDict or hub id)."""
    datasets = require("datasets", "train")
    loader = source_format(source)
    try:
        if loader == "disk":
            loaded = datasets.load_from_disk(source.path)
            rows = loaded[source.split] if isinstance(loaded, datasets.DatasetDict) else loaded
        elif loader == "hub":
            rows = datasets.load_dataset(source.path, split=source.split)
        else:  # one local file is always the "train" split of its own dataset
            rows = datasets.load_dataset(loader, data_files={"train": source.path}, split="train")
    except (FileNotFoundError, KeyError, ValueError, ConnectionError, OSError) as exc:
        # OSError/ConnectionError: a hub id that is neither cached nor reachable (offline machines).
        raise ConfigError(f"dataset {source.path} (split {source.split}): cannot load: {exc}") from exc
    if source.max_rows is not None:
        rows = rows.select(range(min(source.max_rows, len(rows))))
    return rows


def conversations(
    rows: Any,
    kind: CollectionKind,
    template_set: TemplateSet,
    *,
    prompt_source: str = "render",
    join_system: bool = True,
    label: str = "",
) -> Any:
    """Map collection rows to ``prompt``/``completion`` conversations plus an ``instruction_match`` column."""

    def convert(row: dict[str, Any], index: int) -> dict[str, Any]:
        record = f"{label or kind} row {index}"
        example = format_row(row, kind, template_set, prompt_source=prompt_source, record=record)
        match = {None: _MATCH_UNKNOWN, False: _MISMATCH, True: _MATCH}[example.instruction_matches]
        return {**to_conversation(example, join_system), "instruction_match": match}

    return rows.map(convert, with_indices=True, remove_columns=rows.column_names, desc=f"Formatting {kind}")


def build_train_dataset(config: TrainConfig) -> tuple[Any, DataSummary]:
    """The training dataset of a config (DA, PR or both concatenated) and a summary of what was read."""
    datasets = require("datasets", "train")
    template_set = get_template_set(config.data.template_set)
    summary = DataSummary()
    parts = []
    for kind, source in config.sources().items():
        assert source is not None  # validate_config guarantees it
        formatted = conversations(
            load_rows(source),
            kind,  # type: ignore[arg-type]
            template_set,
            prompt_source=config.data.prompt_source,
            join_system=config.data.join_system,
            label=f"{source.path}",
        )
        _check_instructions(formatted, kind, source, config.data.instruction_check, summary)
        summary.rows[kind] = len(formatted)
        parts.append(formatted.remove_columns("instruction_match"))
    if any(len(part) == 0 for part in parts):
        raise ConfigError("a training dataset is empty")
    dataset = parts[0] if len(parts) == 1 else datasets.concatenate_datasets(parts)
    return dataset, summary


def _check_instructions(
    formatted: Any, kind: str, source: DatasetSource, policy: str, summary: DataSummary
) -> None:
    if policy == "ignore":
        return
    matches = formatted["instruction_match"]
    mismatched = [index for index, value in enumerate(matches) if value == _MISMATCH]
    summary.instruction_mismatches[kind] = len(mismatched)
    if not mismatched:
        return
    summary.first_mismatch[kind] = mismatched[0]
    if policy == "error":
        raise InputError(
            f"the dataset's prompt differs from the '{kind}' rendering in {len(mismatched)} rows "
            "(set data.instruction_check: warn, or data.prompt_source: instruction)",
            record=f"{source.path} row {mismatched[0]}",
            field="instruction",
        )
