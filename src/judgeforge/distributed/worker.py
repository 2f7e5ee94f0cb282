"""The actor side of a Ray grading job: one Judge per actor, one Judge call per Ray Data batch.

:func:`judge_rows` is plain Python (no Ray) and turns spooled rows into the exact result lines a local run
writes (:mod:`judgeforge.runner.results`); :class:`JudgeWorker` is the callable class given to
``Dataset.map_batches``.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from judgeforge.backends.middleware import ReliableBackend
from judgeforge.backends.retry import RetryPolicy
from judgeforge.errors import InputError
from judgeforge.judge import Judge
from judgeforge.records import DirectItem, Mode, PairItem, Prompt
from judgeforge.runner.engine import run_judge
from judgeforge.runner.options import OrderPolicy
from judgeforge.runner.results import result_lines

RESULT, ERROR = "result", "error"


def judge_rows(
    judge: Judge, rows: list[dict[str, Any]], mode: Mode, both_orders: bool, order_policy: OrderPolicy
) -> list[tuple[str, dict[str, Any]]]:
    """``(kind, line)`` per spooled row: a result line, or an error line for a row that cannot be rendered.

    The same pipeline as a local run: :meth:`Judge.render`, :meth:`Judge.judge_rendered`, result lines.
    """
    both = both_orders and mode == "relative"
    item_type = DirectItem if mode == "absolute" else PairItem
    kept: list[dict[str, Any]] = []
    rendered: list[list[Prompt]] = []
    out: list[tuple[str, dict[str, Any]]] = []
    for row in rows:
        try:
            prompts = judge.render(item_type.model_validate(row["item"]), both)
        except InputError as exc:
            out.append((ERROR, _error_line(row, exc)))
            continue
        kept.append(row)
        rendered.append(prompts)
    if not kept:
        return out
    judged = asyncio.run(judge.judge_rendered(rendered, [row["key"] for row in kept]))
    lines = result_lines([row["id"] for row in kept], judged, order_policy)
    return out + [(RESULT, line) for line in lines]


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

    Backend faults are retried with the run's :class:`~judgeforge.backends.retry.RetryPolicy`, as locally.
    Output columns: ``kind`` (``result`` or ``error``) and ``line`` (the JSON line to write).
    """

    def __init__(
        self, spec_json: str, mode: Mode, both_orders: bool, order_policy: OrderPolicy, retry_json: str
    ) -> None:
        from judgeforge.distributed.spec import JudgeSpec

        judge = JudgeSpec.model_validate_json(spec_json).build()
        retry = RetryPolicy.model_validate_json(retry_json) if retry_json else judge.calls.policy
        self.judge = run_judge(judge, ReliableBackend(judge.backend, retry))
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
