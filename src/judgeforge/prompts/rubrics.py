"""Rubrics: load from names, files or mappings; lint; the standard rubric library.

A rubric is a criterion plus a description for each score 1..5, or a criterion with its own ``scale``
(``{0: ..., 1: ...}``, ``{"Yes": ..., "No": ...}``, or a list of levels such as ``[1, 2, ..., 10]``: see
:func:`judgeforge.prompts.scales.lint_scale`). Accepted shapes:

- a :class:`~judgeforge.records.Rubric`;
- a mapping with ``criteria`` and ``score1_description`` .. ``score5_description``; the Feedback Collection's
  columns for them (the same names with :data:`judgeforge.columns.ORIG_PREFIX`) are accepted too;
- the name of a library rubric (``judgeforge rubrics list``);
- a path to a ``.yaml``/``.yml``/``.json`` file holding such a mapping.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from judgeforge.columns import ORIG_PREFIX
from judgeforge.errors import RubricError
from judgeforge.prompts.scales import lint_scale
from judgeforge.records import SCORE_LEVELS, Rubric

RUBRIC_FIELDS = ("criteria", *(f"score{level}_description" for level in SCORE_LEVELS))
_FILE_SUFFIXES = (".yaml", ".yml", ".json")


def lint_rubric(data: Mapping[str, Any]) -> list[str]:
    """Every problem of a rubric mapping at once (empty list: the rubric is fine)."""
    fields = _strip_collection_prefix(data)
    if fields.get("scale") is not None:
        return _lint_own_scale(fields, strict=True)
    problems = []
    for field in RUBRIC_FIELDS:
        value = fields.get(field)
        if value is None:
            problems.append(f"missing field '{field}'")
        elif not isinstance(value, str):
            problems.append(f"field '{field}' must be a string, got {type(value).__name__}")
        elif not value.strip():
            problems.append(f"field '{field}' is empty")
    unknown = sorted(set(fields) - {*RUBRIC_FIELDS, "scale"})  # scale: None (a dumped standard rubric)
    if unknown:
        problems.append(f"unknown fields: {', '.join(unknown)}")
    problems += _duplicate_levels(fields)
    return problems


def _lint_own_scale(fields: Mapping[str, Any], *, strict: bool) -> list[str]:
    """A rubric with its own scale: the criterion, the scale, and no five-level fields beside it."""
    criteria = fields.get("criteria")
    problems = [] if isinstance(criteria, str) and criteria.strip() else [_criteria_problem(criteria)]
    problems += lint_scale(fields["scale"], descriptions=strict)
    levels = [field for field in RUBRIC_FIELDS[1:] if fields.get(field)]  # empty ones: a dumped Rubric
    if levels:
        problems.append(
            f"give either 'scale' or the five scoreN_description fields, not both ({', '.join(levels)})"
        )
    unknown = sorted(set(fields) - {*RUBRIC_FIELDS, "scale"})
    if unknown:
        problems.append(f"unknown fields: {', '.join(unknown)}")
    return problems


def _criteria_problem(criteria: Any) -> str:
    if criteria is None:
        return "missing field 'criteria'"
    if not isinstance(criteria, str):
        return f"field 'criteria' must be a string, got {type(criteria).__name__}"
    return "field 'criteria' is empty"


def _duplicate_levels(fields: Mapping[str, Any]) -> list[str]:
    seen: dict[str, int] = {}
    problems = []
    for level in SCORE_LEVELS:
        text = fields.get(f"score{level}_description")
        if not isinstance(text, str) or not text.strip():
            continue
        key = " ".join(text.split()).lower()
        if key in seen:
            problems.append(f"score {level} repeats the description of score {seen[key]}")
        else:
            seen[key] = level
    return problems


def _strip_collection_prefix(data: Mapping[str, Any]) -> dict[str, Any]:
    """A Feedback Collection row's rubric columns under the rubric's own field names."""
    if any(key.startswith(ORIG_PREFIX) for key in data) and "criteria" not in data:
        columns = {
            key[len(ORIG_PREFIX) :]: value for key, value in data.items() if key.startswith(ORIG_PREFIX)
        }
        return {
            field: value for field, value in columns.items() if field in RUBRIC_FIELDS or field == "scale"
        }
    return dict(data)


def rubric_from_mapping(data: Mapping[str, Any], *, strict: bool = False, record: object = None) -> Rubric:
    """Build a rubric from a mapping. ``strict`` applies the full lint (non-empty, distinct levels)."""
    fields = _strip_collection_prefix(data)
    problems = lint_rubric(fields) if strict else _structural_problems(fields)
    if problems:
        raise RubricError("; ".join(problems), record=record, field="rubric")
    if fields.get("scale") is not None:
        return Rubric.model_validate({"criteria": fields["criteria"], "scale": fields["scale"]})
    return Rubric(**{field: fields[field] for field in RUBRIC_FIELDS})


def _structural_problems(fields: Mapping[str, Any]) -> list[str]:
    if fields.get("scale") is not None:  # a scale is checked whole: it decides what the judge may answer
        return _lint_own_scale(fields, strict=False)
    problems = []
    for field in RUBRIC_FIELDS:
        if field not in fields:
            problems.append(f"missing field '{field}'")
        elif not isinstance(fields[field], str):
            problems.append(f"field '{field}' must be a string, got {type(fields[field]).__name__}")
        elif field == "criteria" and (not fields[field] or fields[field].isspace()):
            problems.append(f"field '{field}' is empty")  # the levels are checked where they are shown
    return problems


def load_rubric(source: Rubric | Mapping[str, Any] | str | Path, *, record: object = None) -> Rubric:
    """Resolve a rubric given as a record, mapping, library name or file path."""
    if isinstance(source, Rubric):
        return source
    if isinstance(source, Mapping):
        return rubric_from_mapping(source, record=record)
    if isinstance(source, Path) or str(source).endswith(_FILE_SUFFIXES):
        return rubric_from_mapping(read_rubric_file(Path(source)), record=record)
    if isinstance(source, str) and source in library_rubrics():
        return library_rubrics()[source]
    known = ", ".join(sorted(library_rubrics()))
    raise RubricError(f"unknown rubric '{source}' (library rubrics: {known})", record=record, field="rubric")


def read_rubric_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RubricError(f"cannot read rubric file: {exc}", record=str(path)) from exc
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise RubricError(f"invalid rubric file: {exc}", record=str(path)) from exc
    if not isinstance(data, dict):
        raise RubricError("a rubric file must hold a mapping", record=str(path))
    return data


@cache
def library_rubrics() -> dict[str, Rubric]:
    """The standard rubrics shipped with judgeforge, by name."""
    folder = resources.files("judgeforge.prompts") / "rubric_library"
    rubrics = {}
    for entry in folder.iterdir():
        if entry.name.endswith(".yaml"):
            data = yaml.safe_load(entry.read_text(encoding="utf-8"))
            rubrics[entry.name.removesuffix(".yaml")] = rubric_from_mapping(data, strict=True)
    return dict(sorted(rubrics.items()))
