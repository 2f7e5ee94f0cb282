"""Loaders for the published benchmark files: rows -> :mod:`judgeforge.bench.items` records.

Formats (as published by prometheus-eval, Auto-J and JudgeBench):

- *prometheus direct* (Vicuna Bench, MT Bench, FLASK, Feedback Bench): a JSON list; each row has the rendered
  absolute prompt in ``instruction``, ``gpt4_score`` (a list of scores, or one score for Feedback Bench),
  optionally ``human_score`` (FLASK), ``idx``, ``response_source``, ``category``, ``gpt4_feedback``.
- *prometheus pairwise* (HHH Alignment, MT Bench Human Judgments, Preference Bench): rendered absolute prompts
  of the better and the worse response in ``chosen_instruction``/``rejected_instruction``, optionally
  ``tie`` (1 = a tie) and ``source`` (HHH: helpful/harmless/honest/other).
- *Auto-J pairwise*: JSON lines with ``prompt``, ``response 1``, ``response 2``, ``label`` (0: response 1 is
  better, 1: response 2, 2: tie) and ``scenario``. It has no rubric; the harness's coarse HHH rubric is used.
- *JudgeBench*: JSON lines with ``pair_id``, ``question``, ``response_A``, ``response_B``, ``label``
  (``A>B``/``B>A``) and ``source``.
- *chosen/rejected files*: JSON or JSON lines with ``chosen`` and ``rejected`` plus ``prompt``/``instruction``/
  ``question``; optional ``rubric`` (mapping or library name), ``reference_answer``, ``id``, ``category``,
  ``tie``.

Rendered prompts are parsed back into their parts with :mod:`judgeforge.prompts.parse_back`, so any
template set can re-render the same items.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from judgeforge.bench.items import DirectBenchItem, PairBenchItem
from judgeforge.errors import InputError
from judgeforge.prompts.parse_back import item_from_rendered
from judgeforge.prompts.rubrics import load_rubric, rubric_from_mapping
from judgeforge.records import DirectItem, Rubric


def read_rows(path: Path) -> list[dict[str, Any]]:
    """A JSON array, or JSON lines (some published ``.json`` files are JSON lines)."""
    text = path.read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        data = [_json_line(line, number) for number, line in enumerate(text.splitlines()) if line.strip()]
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list) or not all(isinstance(row, dict) for row in data):
        raise InputError("expected a list of objects", record=str(path))
    return data


def _json_line(line: str, number: int) -> Any:
    try:
        return json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON: {exc.msg}", record=f"line {number + 1}") from exc


@cache
def packaged_rubric(name: str) -> Rubric:
    """A rubric shipped in ``judgeforge/bench/data`` (e.g. ``autoj_coarse``)."""
    text = (resources.files("judgeforge.bench") / "data" / f"{name}.yaml").read_text(encoding="utf-8")
    return rubric_from_mapping(yaml.safe_load(text), strict=True)


def _direct_from_prompt(prompt: Any, record: str) -> DirectItem:
    if not isinstance(prompt, str):
        raise InputError("rendered prompt must be a string", record=record, field="instruction")
    try:
        item = item_from_rendered(prompt)
    except InputError as exc:
        raise InputError(exc.reason, record=record, field="instruction") from exc
    if not isinstance(item, DirectItem):
        raise InputError("expected an absolute (direct assessment) prompt", record=record)
    return item


def _scores(value: Any, record: str, field: str) -> tuple[float, ...]:
    values = value if isinstance(value, list) else [value]
    if not values or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        raise InputError("expected a number or a list of numbers", record=record, field=field)
    return tuple(float(v) for v in values)


def _unique_ids(ids: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    unique = []
    for item_id in ids:
        count = seen.get(item_id, 0)
        seen[item_id] = count + 1
        unique.append(item_id if count == 0 else f"{item_id}#{count}")
    return unique


def _row_id(row: Mapping[str, Any], index: int, *fields: str) -> str:
    parts = [str(row[field]) for field in fields if row.get(field) is not None]
    return "-".join(parts) if parts else str(index)


def load_prometheus_direct(path: Path, benchmark: str) -> list[DirectBenchItem]:
    """Vicuna Bench, MT Bench, FLASK and Feedback Bench files."""
    rows = read_rows(path)
    ids = _unique_ids([_row_id(row, i, "idx", "response_source") for i, row in enumerate(rows)])
    items = []
    for index, (row, item_id) in enumerate(zip(rows, ids)):
        record = f"{path.name} row {index}"
        parsed = _direct_from_prompt(row.get("instruction"), record)
        gold = {"gpt4": _scores(row.get("gpt4_score"), record, "gpt4_score")}
        if row.get("human_score") is not None:
            gold["human"] = _scores(row["human_score"], record, "human_score")
        meta = {key: row[key] for key in ("gpt4_feedback", "response_source", "idx") if key in row}
        items.append(
            DirectBenchItem(
                id=item_id,
                benchmark=benchmark,
                instruction=parsed.instruction,
                response=parsed.response,
                rubric=parsed.rubric,
                reference_answer=parsed.reference_answer,
                gold=gold,
                category=row.get("category"),
                meta=meta,
            )
        )
    return items


def group_key(instruction: str, rubric: Rubric, reference: str | None) -> str:
    """Pairs sharing instruction, rubric and reference come from one response group."""
    blob = json.dumps([instruction, rubric.criteria, reference])
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


def load_prometheus_pairwise(path: Path, benchmark: str) -> list[PairBenchItem]:
    """HHH Alignment, MT Bench Human Judgments and Preference Bench files."""
    items = []
    for index, row in enumerate(read_rows(path)):
        record = f"{path.name} row {index}"
        chosen = _direct_from_prompt(row.get("chosen_instruction"), record)
        rejected = _direct_from_prompt(row.get("rejected_instruction"), record)
        for field in ("instruction", "rubric", "reference_answer"):
            if getattr(chosen, field) != getattr(rejected, field):
                raise InputError(
                    "chosen and rejected prompts differ outside the response", record=record, field=field
                )
        items.append(
            PairBenchItem(
                id=str(row.get("id", index)),
                benchmark=benchmark,
                instruction=chosen.instruction,
                chosen=chosen.response,
                rejected=rejected.response,
                rubric=chosen.rubric,
                reference_answer=chosen.reference_answer,
                tie=bool(row.get("tie", 0)),
                category=row.get("source", row.get("category")),
                group=group_key(chosen.instruction, chosen.rubric, chosen.reference_answer),
            )
        )
    return items


def load_autoj(path: Path, benchmark: str = "autoj") -> list[PairBenchItem]:
    """Auto-J Eval pairwise test set (label 0: response 1 better, 1: response 2 better, 2: tie)."""
    rubric = packaged_rubric("autoj_coarse")
    items = []
    for index, row in enumerate(read_rows(path)):
        record = f"{path.name} row {index}"
        label = row.get("label")
        if label not in (0, 1, 2):
            raise InputError(f"label must be 0, 1 or 2, got {label!r}", record=record, field="label")
        first, second = _text(row, "response 1", record), _text(row, "response 2", record)
        chosen, rejected = (second, first) if label == 1 else (first, second)
        items.append(
            PairBenchItem(
                id=str(row.get("id", index)),
                benchmark=benchmark,
                instruction=_text(row, "prompt", record),
                chosen=chosen,
                rejected=rejected,
                rubric=rubric,
                tie=label == 2,
                category=row.get("scenario"),
            )
        )
    return items


def load_judgebench(path: Path, benchmark: str = "judgebench") -> list[PairBenchItem]:
    """JudgeBench pairs (``A>B``/``B>A``; ``A=B`` read as a tie); category: mmlu-pro, livebench-*, ..."""
    rubric = packaged_rubric("judgebench_correctness")
    items = []
    for index, row in enumerate(read_rows(path)):
        record = f"{path.name} row {index}"
        label = row.get("label")
        if label not in ("A>B", "B>A", "A=B"):
            raise InputError(f"label must be A>B, B>A or A=B, got {label!r}", record=record, field="label")
        a, b = _text(row, "response_A", record), _text(row, "response_B", record)
        source = str(row.get("source", ""))
        items.append(
            PairBenchItem(
                id=str(row.get("pair_id", index)),
                benchmark=benchmark,
                instruction=_text(row, "question", record),
                chosen=b if label == "B>A" else a,
                rejected=a if label == "B>A" else b,
                rubric=rubric,
                tie=label == "A=B",
                category="mmlu-pro" if source.startswith("mmlu-pro") else source or None,
            )
        )
    return items


def load_chosen_rejected(path: Path, benchmark: str = "pairwise") -> list[PairBenchItem]:
    """Any file with ``chosen``/``rejected`` responses (see the module docstring for optional fields)."""
    items = []
    for index, row in enumerate(read_rows(path)):
        record = f"{path.name} row {index}"
        prompt_field = next((f for f in ("instruction", "prompt", "question") if f in row), "instruction")
        rubric = load_rubric(row.get("rubric") or "helpfulness", record=record)
        instruction = _text(row, prompt_field, record)
        reference = row.get("reference_answer")
        items.append(
            PairBenchItem(
                id=str(row.get("id", index)),
                benchmark=benchmark,
                instruction=instruction,
                chosen=_text(row, "chosen", record),
                rejected=_text(row, "rejected", record),
                rubric=rubric,
                reference_answer=reference,
                tie=bool(row.get("tie", False)),
                category=row.get("category"),
                group=group_key(instruction, rubric, reference),
            )
        )
    return items


def _text(row: Mapping[str, Any], field: str, record: str) -> str:
    value = row.get(field)
    if not isinstance(value, str):
        raise InputError("missing or not a string", record=record, field=field)
    return value


def iter_lines(path: Path) -> Iterator[dict[str, Any]]:
    """Rows of a JSON lines results file (blank lines skipped)."""
    if not path.is_file():
        return
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle):
            if line.strip():
                yield _json_line(line, number)
