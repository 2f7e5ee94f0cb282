"""Grading a protocol's rows through the batch runner, and reading its result lines back as observations.

Each protocol writes its rows to ``<output>/<protocol>/items.jsonl`` and calls
:func:`judgeforge.runner.run_grading` on it into ``<output>/<protocol>/results.jsonl``: the runner's resume
(a killed run continues where it stopped), completion cache, retries and summary apply as they are. Lines
are read back by id and sorted by id, so the statistics do not depend on the order the runner finished in.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from judgeforge.judge import Judge
from judgeforge.leaderboard.inputs import ResponseSet
from judgeforge.leaderboard.schedule import Planned
from judgeforge.records import Mode
from judgeforge.runner import RunOptions, run_grading
from judgeforge.runner.jsonlines import dumps_line, loads_line

OUTCOMES = {"A": 1.0, "B": 0.0, "tie": 0.5}


@dataclass(frozen=True, slots=True)
class Graded:
    """A direct verdict: ``score`` 1..5 (a mean when several samples), None when none could be read.

    ``length`` is the response's length in characters; ``verdicts``/``failed_verdicts`` count the samples
    (and parse attempts that ended in failure) behind the row.
    """

    instruction_id: str
    model: str
    score: float | None
    length: int
    verdicts: int = 1
    failed_verdicts: int = 0


@dataclass(frozen=True, slots=True)
class Compared:
    """A pairwise verdict from A's side: ``outcome`` 1 (A better), 0.5 (tie), 0 (B better) or None (no
    verdict). ``swap_consistent`` is whether both orders agreed (None: not judged in both orders)."""

    instruction_id: str
    model_a: str
    model_b: str
    outcome: float | None
    length_a: int
    length_b: int
    swap_consistent: bool | None = None
    verdicts: int = 1
    failed_verdicts: int = 0


@dataclass(frozen=True)
class ProtocolRun:
    """What grading one protocol produced: the final line of each planned row (by id), the run summary."""

    lines: dict[str, dict[str, Any]]
    summary: dict[str, Any]
    results: Path


def grade_plan(
    planned: Sequence[Planned], folder: Path, judge: Judge, options: RunOptions, mode: Mode
) -> ProtocolRun:
    """Write the rows to ``folder/items.jsonl`` and grade them into ``folder/results.jsonl`` (resumable)."""
    folder.mkdir(parents=True, exist_ok=True)
    items = folder / "items.jsonl"
    write_rows(items, [item.row for item in planned])
    options = options.model_copy(
        update={"mode": mode, "input_format": "jsonl", "field_map": {}, "rubric": None}
    )
    report = run_grading(items, folder / "results.jsonl", judge, options)
    wanted = {item.id for item in planned}
    return ProtocolRun(read_lines(report.output, wanted), report.summary, report.output)


def write_rows(path: Path, rows: Sequence[dict[str, Any]]) -> None:
    """Write JSON lines atomically, leaving an identical file untouched (so its time stamp says when the
    plan last changed)."""
    blob = b"".join(dumps_line(row) for row in rows)
    if path.is_file() and path.stat().st_size == len(blob) and path.read_bytes() == blob:
        return
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_bytes(blob)
    os.replace(temporary, path)


def read_lines(path: Path, wanted: set[str]) -> dict[str, dict[str, Any]]:
    """The last line of each wanted id (lines of rows no longer planned are left out)."""
    lines: dict[str, dict[str, Any]] = {}
    if not path.is_file():
        return lines
    with path.open("rb") as handle:
        for raw in handle:
            if raw.strip():
                line = loads_line(raw)
                if str(line.get("id")) in wanted:
                    lines[str(line["id"])] = line
    return lines


def direct_observations(
    planned: Sequence[Planned], lines: dict[str, dict[str, Any]], data: ResponseSet
) -> list[Graded]:
    """One :class:`Graded` per planned row, sorted by id; a row without a line (bad input) has no score."""
    observations = []
    for item in sorted(planned, key=lambda p: p.id):
        line = lines.get(item.id) or {}
        verdicts = line.get("verdicts") or [{}]
        score = line.get("score") if line.get("failure") is None else None
        length = len(data.responses[item.instruction_id, item.models[0]])
        failed = _failed(verdicts) if line else 1
        observations.append(Graded(item.instruction_id, item.models[0], score, length, len(verdicts), failed))
    return observations


def pair_observations(
    planned: Sequence[Planned], lines: dict[str, dict[str, Any]], data: ResponseSet
) -> list[Compared]:
    """One :class:`Compared` per planned pair row, sorted by id."""
    observations = []
    for item in sorted(planned, key=lambda p: p.id):
        a, b = item.models
        line = lines.get(item.id) or {}
        verdicts = [*(line.get("verdicts") or [{}]), *(line.get("verdicts_swapped") or [])]
        outcome = OUTCOMES.get(line.get("winner") or "") if line.get("failure") is None else None
        length_a = len(data.responses[item.instruction_id, a])
        length_b = len(data.responses[item.instruction_id, b])
        failed = _failed(verdicts) if line else 1
        consistent = line.get("swap_consistent")
        observations.append(
            Compared(
                item.instruction_id, a, b, outcome, length_a, length_b, consistent, len(verdicts), failed
            )
        )
    return observations


def _failed(verdicts: Sequence[dict[str, Any]]) -> int:
    return sum(1 for verdict in verdicts if verdict.get("failure") is not None)
