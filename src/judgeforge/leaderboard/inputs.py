"""The responses of several models to the same instructions, with a rubric, reference and category each.

Input is one file per model or one file holding every model's responses (JSONL, CSV, TSV or Parquet, read
by :func:`judgeforge.runner.read_rows`). Columns, alpaca_eval's names accepted:

- ``instruction``;
- ``response`` or ``output`` (alpaca_eval): the model's answer; an empty one is bad input;
- ``model`` or ``generator`` (alpaca_eval): who answered. A source given as ``NAME=PATH`` names the model of
  every row of that file; else the column; else the file's stem (``outputs/llama.jsonl`` -> ``llama``);
- ``instruction_id`` (optional): what makes two rows answers to the same instruction; without it the
  instruction text does (its SHA-256, 12 hex digits);
- ``rubric`` (optional): a library rubric name, a rubric file, an object or a JSON object string; rows
  without one use the run's rubric (``--rubric``);
- ``reference_answer`` (optional), ``category`` (optional).

Rubric, reference and category belong to the instruction: models answering the same instruction must not
disagree on them (a row may leave them out). A separate references file (``instruction_id`` or
``instruction``, and ``reference_answer``) may supply the references.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from judgeforge.columns import ColumnCheck
from judgeforge.errors import InputError
from judgeforge.prompts.rubrics import load_rubric
from judgeforge.records import Rubric
from judgeforge.runner import read_rows

MODEL_COLUMNS = ("model", "generator")
RESPONSE_COLUMNS = ("response", "output")
KNOWN_COLUMNS = (
    "instruction",
    "instruction_id",
    *RESPONSE_COLUMNS,
    *MODEL_COLUMNS,
    "rubric",
    "reference_answer",
    "category",
    "id",
)
RubricLike = Rubric | Mapping[str, Any] | str | Path


@dataclass(frozen=True, slots=True)
class Instruction:
    """One instruction: its text and what every model's answer to it is judged with."""

    id: str
    text: str
    rubric: Rubric
    rubric_label: str  # the library name or file stem, else the start of the criterion
    reference: str | None = None
    category: str | None = None


@dataclass(frozen=True)
class ResponseSet:
    """Instructions (sorted by id), models (in order of first appearance) and their responses."""

    instructions: dict[str, Instruction]
    models: tuple[str, ...]
    responses: dict[tuple[str, str], str]  # (instruction id, model) -> response text

    def answered(self, model: str) -> list[str]:
        """The ids of the instructions ``model`` answered, sorted."""
        return [key for key in self.instructions if (key, model) in self.responses]

    def common(self, first: str, second: str) -> list[str]:
        """The ids of the instructions both models answered, sorted."""
        return [
            key
            for key in self.instructions
            if (key, first) in self.responses and (key, second) in self.responses
        ]


def text_id(text: str) -> str:
    """The id of an instruction given without ``instruction_id``: the first 12 hex digits of its SHA-256."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def split_source(source: str | Path) -> tuple[str | None, Path]:
    """``NAME=PATH`` -> (NAME, PATH); a plain path -> (None, path). A path holding ``=`` exists as a file."""
    text = str(source)
    name, sep, rest = text.partition("=")
    if sep and name.strip() and not Path(text).exists():
        return name.strip(), Path(rest)
    return None, Path(text)


@dataclass
class _Pending:
    text: str
    rubric: tuple[Rubric, str] | None = None
    reference: str | None = None
    category: str | None = None


@dataclass
class _Builder:
    default_rubric: tuple[Rubric, str] | None
    pending: dict[str, _Pending] = field(default_factory=dict)
    responses: dict[tuple[str, str], str] = field(default_factory=dict)
    models: dict[str, None] = field(default_factory=dict)
    rubrics: dict[str, tuple[Rubric, str]] = field(default_factory=dict)
    columns: ColumnCheck = field(
        default_factory=lambda: ColumnCheck(KNOWN_COLUMNS, where="leaderboard input")
    )

    def add(self, row: Mapping[str, Any], model: str, where: str) -> None:
        self.columns.check(row)
        instruction = _text(row, ("instruction",), where)
        response = _text(row, RESPONSE_COLUMNS, where)
        key = _optional(row, "instruction_id", where) or text_id(instruction)
        entry = self.pending.setdefault(key, _Pending(instruction))
        if entry.text != instruction:
            raise InputError(f"instruction id {key!r} names two different instructions", record=where)
        self._merge(entry, row, key, where)
        if (key, model) in self.responses:
            raise InputError(f"model {model!r} answers instruction {key!r} twice", record=where)
        self.responses[key, model] = response
        self.models.setdefault(model)

    def _merge(self, entry: _Pending, row: Mapping[str, Any], key: str, where: str) -> None:
        rubric = self._rubric(row.get("rubric"), where)
        if rubric is not None:
            if entry.rubric is not None and entry.rubric[0] != rubric[0]:
                raise InputError(f"instruction {key!r} is given two different rubrics", record=where)
            entry.rubric = rubric
        entry.reference = _agree(
            entry.reference, _optional(row, "reference_answer", where), key, "reference_answer", where
        )
        entry.category = _agree(entry.category, _optional(row, "category", where), key, "category", where)

    def _rubric(self, value: Any, where: str) -> tuple[Rubric, str] | None:
        if value is None:
            return None
        if isinstance(value, str):
            if value not in self.rubrics:
                self.rubrics[value] = resolve_rubric(value, record=where)
            return self.rubrics[value]
        return resolve_rubric(value, record=where)

    def build(self) -> ResponseSet:
        instructions = {}
        for key in sorted(self.pending):
            entry = self.pending[key]
            rubric = entry.rubric or self.default_rubric
            if rubric is None:
                raise InputError(
                    "no rubric: give a 'rubric' column or one rubric for all (--rubric)",
                    record=f"instruction {key!r}",
                )
            instructions[key] = Instruction(
                key, entry.text, rubric[0], rubric[1], entry.reference, entry.category
            )
        if not instructions:
            raise InputError("no responses in the input")
        return ResponseSet(instructions, tuple(self.models), self.responses)


def resolve_rubric(value: RubricLike, *, record: object = None) -> tuple[Rubric, str]:
    """(rubric, label): a name keeps its name, a file its stem, anything else the start of its criterion."""
    if isinstance(value, str) and value.lstrip().startswith("{"):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise InputError(f"invalid JSON object: {exc.msg}", record=record, field="rubric") from exc
    if not isinstance(value, (str, Path, Mapping, Rubric)):
        raise InputError(
            f"must be a rubric name, file or object, got {type(value).__name__}",
            record=record,
            field="rubric",
        )
    rubric = load_rubric(value, record=record)
    if isinstance(value, Path) or (isinstance(value, str) and value.endswith((".yaml", ".yml", ".json"))):
        return rubric, Path(value).stem
    if isinstance(value, str):
        return rubric, value
    criteria = " ".join(rubric.criteria.split())
    return rubric, criteria if len(criteria) <= 48 else criteria[:47] + "…"


def load_responses(
    sources: Sequence[str | Path],
    *,
    rubric: RubricLike | None = None,
    references: str | Path | None = None,
    input_format: str = "auto",
) -> ResponseSet:
    """Read every source (``PATH`` or ``NAME=PATH``) into one :class:`ResponseSet`; InputError names the file
    and line of a bad row."""
    if not sources:
        raise InputError("no input files")
    builder = _Builder(None if rubric is None else resolve_rubric(rubric))
    for source in sources:
        name, path = split_source(source)
        for row, where in _rows(path, input_format):
            model = name or _optional(row, MODEL_COLUMNS[0], where) or _optional(row, MODEL_COLUMNS[1], where)
            builder.add(row, model or path.stem, where)
    if references is not None:
        _add_references(builder, Path(references), input_format)
    return builder.build()


def _rows(path: Path, input_format: str) -> Iterator[tuple[Mapping[str, Any], str]]:
    for raw in read_rows(path, input_format):
        where = f"{path} line {raw.line}"
        if raw.error is not None:
            raise InputError(raw.error.reason, record=where, field=raw.error.field)
        if not isinstance(raw.row, Mapping):
            raise InputError(f"expected an object, got {type(raw.row).__name__}", record=where)
        yield raw.row, where


def _add_references(builder: _Builder, path: Path, input_format: str) -> None:
    for row, where in _rows(path, input_format):
        key = _optional(row, "instruction_id", where) or text_id(_text(row, ("instruction",), where))
        reference = _text(row, ("reference_answer",), where)
        entry = builder.pending.get(key)
        if entry is not None:  # a reference for an instruction no model answered is of no use, not an error
            entry.reference = _agree(entry.reference, reference, key, "reference_answer", where)


def _agree(current: str | None, new: str | None, key: str, column: str, where: str) -> str | None:
    if new is None or current is None or new == current:
        return current if new is None else new
    raise InputError(f"instruction {key!r} is given two different values", record=where, field=column)


def _text(row: Mapping[str, Any], names: tuple[str, ...], where: str) -> str:
    for name in names:
        value = row.get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            raise InputError(f"must be a string, got {type(value).__name__}", record=where, field=name)
        if not value or value.isspace():
            raise InputError("must not be empty", record=where, field=name)
        return value
    raise InputError("missing required field", record=where, field=" or ".join(names))


def _optional(row: Mapping[str, Any], name: str, where: str) -> str | None:
    value = row.get(name)
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise InputError(f"must be a string, got {type(value).__name__}", record=where, field=name)
    if not value or value.isspace():
        raise InputError("must not be empty (leave it out)", record=where, field=name)
    return value
