"""The rows each protocol grades: which response (or which two) for which instruction, and their ids.

A row's id names what it judges, so a results file can be read back without the plan: ``"<instruction id> |
<model>"`` for a direct row and ``"<instruction id> | <model A> vs <model B>"`` for a pair, A being the
response shown first in the forward order. Which model of a pair is shown first is a coin drawn from the
pair's instruction and models and the seed (SHA-256), so it does not depend on the rest of the schedule.

A ``pairs`` schedule with a budget takes comparisons round-robin over the model pairs (pair order and each
pair's instructions shuffled with the seed), so every pair gets a share within one comparison of the others,
and raising the budget keeps every comparison of the smaller one (their results are reused on resume).
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import combinations
from typing import Any

from judgeforge.errors import ConfigError
from judgeforge.leaderboard.inputs import Instruction, ResponseSet


@dataclass(frozen=True, slots=True)
class Planned:
    """One row to grade: its id, instruction and models (one for a direct row, (A, B) for a pair)."""

    id: str
    instruction_id: str
    models: tuple[str, ...]
    row: dict[str, Any]


def row_id(instruction_id: str, models: tuple[str, ...]) -> str:
    return f"{instruction_id} | {' vs '.join(models)}"


def direct_plan(data: ResponseSet) -> list[Planned]:
    """Every response, graded alone."""
    planned = []
    for key, instruction in data.instructions.items():
        for model in data.models:
            response = data.responses.get((key, model))
            if response is not None:
                planned.append(_planned(instruction, (model,), {"response": response}))
    return _unique(planned)


def baseline_plan(data: ResponseSet, baseline: str, seed: int) -> list[Planned]:
    """Every other model against ``baseline`` on each instruction both answered."""
    if baseline not in data.models:
        raise ConfigError(f"baseline {baseline!r} is not one of the models: {', '.join(data.models)}")
    pairs = [
        (key, model, baseline)
        for model in data.models
        if model != baseline
        for key in data.common(model, baseline)
    ]
    return _pair_rows(data, pairs, seed)


def pairs_plan(data: ResponseSet, budget: int | None, seed: int) -> list[Planned]:
    """All model pairs on every instruction both answered, or ``budget`` of them (see the module docstring)."""
    if len(data.models) < 2:
        raise ConfigError("pairwise protocols need at least two models")
    rng = random.Random(seed)
    queues = []
    for first, second in combinations(data.models, 2):
        keys = data.common(first, second)
        rng.shuffle(keys)
        queues.append([(key, first, second) for key in keys])
    rng.shuffle(queues)
    chosen = list(_round_robin(queues))
    if budget is not None:
        chosen = chosen[:budget]
    return _pair_rows(data, sorted(chosen), seed)


def _round_robin(queues: list[list[tuple[str, str, str]]]) -> Iterator[tuple[str, str, str]]:
    for depth in range(max((len(queue) for queue in queues), default=0)):
        for queue in queues:
            if depth < len(queue):
                yield queue[depth]


def _pair_rows(data: ResponseSet, pairs: list[tuple[str, str, str]], seed: int) -> list[Planned]:
    planned = []
    for key, first, second in pairs:
        a, b = (second, first) if _coin(seed, key, first, second) else (first, second)
        responses = {"response_a": data.responses[key, a], "response_b": data.responses[key, b]}
        planned.append(_planned(data.instructions[key], (a, b), responses))
    return _unique(planned)


def _coin(seed: int, key: str, first: str, second: str) -> bool:
    low, high = sorted((first, second))
    digest = hashlib.sha256(f"{seed}\x1f{key}\x1f{low}\x1f{high}".encode()).digest()
    return bool(digest[0] & 1)


def _planned(instruction: Instruction, models: tuple[str, ...], responses: dict[str, str]) -> Planned:
    identifier = row_id(instruction.id, models)
    row: dict[str, Any] = {"id": identifier, "instruction": instruction.text, **responses}
    row["rubric"] = instruction.rubric.model_dump()
    if instruction.reference is not None:
        row["reference_answer"] = instruction.reference
    return Planned(identifier, instruction.id, models, row)


def _unique(planned: list[Planned]) -> list[Planned]:
    seen: set[str] = set()
    for item in planned:
        if item.id in seen:  # only names built to collide can get here (a model called "x vs y")
            raise ConfigError(f"two rows would share the id {item.id!r}: rename a model or an instruction id")
        seen.add(item.id)
    return planned
