"""The actor side of a Ray grading job: one Judge per actor, one Judge call per Ray Data batch.

:func:`judge_rows` is plain Python (no Ray) and turns spooled rows into the exact result lines a local run
writes (:mod:`judgeforge.runner.results`); :class:`JudgeWorker` is the callable class given to
``Dataset.map_batches``.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from judgeforge.errors import InputError
from judgeforge.judge import Judge
from judgeforge.records import DirectItem, Mode, PairItem, Prompt
from judgeforge.runner.backend import RunBackend
from judgeforge.runner.engine import run_judge
from judgeforge.runner.options import OrderPolicy, RetryPolicy
from judgeforge.runner.results import both_orders_line, judgment_line

RESULT, ERROR = "result", "error"


def judge_rows(
    judge: Judge, rows: list[dict[str, Any]], mode: Mode, both_orders: bool, order_policy: OrderPolicy
) -> list[tuple[str, dict[str, Any]]]:
    """``(kind, line)`` per spooled row: a result line, or an error line for a row that cannot be rendered."""
    both = both_orders and mode == "relative"
    kept: list[dict[str, Any]] = []
    forward: list[Prompt] = []
    swapped: list[Prompt] = []
    out: list[tuple[str, dict[str, Any]]] = []
    for row in rows:
        try:
            prompts = _render(judge, row, mode, both)
        except InputError as exc:
            out.append((ERROR, _error_line(row, exc)))
            continue
        kept.append(row)
        forward.append(prompts[0])
        swapped.extend(prompts[1:])
    if not kept:
        return out
    keys: list[str | None] = [row["key"] for row in kept]
    # One judge call covers both orders (forward prompts first), as in the local engine.
    judgments = asyncio.run(judge.judge_prompts(forward + swapped, keys + keys if both else keys))
    count = len(kept)
    for i, row in enumerate(kept):
        if both:
            line = both_orders_line(row["id"], judgments[i], judgments[count + i], order_policy)
        else:
            line = judgment_line(row["id"], judgments[i])
        out.append((RESULT, line))
    return out


def _render(judge: Judge, row: dict[str, Any], mode: Mode, both: bool) -> list[Prompt]:
    renderer = judge.renderer
    if mode == "absolute":
        return [renderer.direct(DirectItem.model_validate(row["item"]))]
    item = PairItem.model_validate(row["item"])
    prompts = [renderer.pair(item)]
    if both:
        prompts.append(
            renderer.pair(
                item.model_copy(update={"response_a": item.response_b, "response_b": item.response_a})
            )
        )
    return prompts


def _error_line(row: dict[str, Any], exc: InputError) -> dict[str, Any]:
    return {
        "line": row["line"],
        "row": row["index"],
        "id": row["raw_id"],
        "field": exc.field,
        "message": exc.reason,
    }


class JudgeWorker:
    """A ``map_batches`` callable class: builds its Judge once (model load) and grades batches of spooled rows.

    Backend faults are retried with the run's :class:`~judgeforge.runner.options.RetryPolicy`, as locally.
    Output columns: ``kind`` (``result`` or ``error``) and ``line`` (the JSON line to write).
    """

    def __init__(
        self, spec_json: str, mode: Mode, both_orders: bool, order_policy: OrderPolicy, retry_json: str
    ) -> None:
        from judgeforge.distributed.spec import JudgeSpec

        judge = JudgeSpec.model_validate_json(spec_json).build()
        retry = RetryPolicy.model_validate_json(retry_json)
        self.judge = run_judge(judge, RunBackend(judge.backend, None, "", retry))
        self.mode: Mode = mode
        self.both_orders = both_orders
        self.order_policy: OrderPolicy = order_policy

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        import numpy as np

        rows = [json.loads(text) for text in batch["text"]]
        results = judge_rows(self.judge, rows, self.mode, self.both_orders, self.order_policy)
        return {
            "kind": np.array([kind for kind, _ in results], dtype=object),
            "line": np.array([json.dumps(line, ensure_ascii=False) for _, line in results], dtype=object),
        }
