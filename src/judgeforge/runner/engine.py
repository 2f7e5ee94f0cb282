"""The streaming run: read rows -> check -> render -> judge in batches -> append results.

Rows are read lazily and grouped into batches of ``batch_size``; each batch is one ``Judge.judge_rendered``
call (so per-row asyncio overhead is nil) and at most ``concurrency`` batches are in flight, which bounds
memory whatever the input size. Finished batches are appended to the results file at once.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from judgeforge.backends.middleware import ReliableBackend
from judgeforge.errors import InputError
from judgeforge.judge import Judge
from judgeforge.records import Prompt
from judgeforge.runner.idindex import IdIndex
from judgeforge.runner.options import RunOptions
from judgeforge.runner.output import LineWriter, Scan
from judgeforge.runner.progress import Progress
from judgeforge.runner.readers import RawRow
from judgeforge.runner.results import result_lines
from judgeforge.runner.rows import RowChecker, ValidRow
from judgeforge.runner.summary import SummaryAccumulator


@dataclass(slots=True)
class Work:
    rows: list[ValidRow]
    prompts: list[list[Prompt]]  # per row: one prompt, or forward and swapped


@dataclass
class Counters:
    read: int = 0
    skipped: int = 0  # done by an earlier run
    bad: int = 0
    graded: int = 0
    bad_by_field: dict[str, int] = field(default_factory=dict)


class Engine:
    """One run over one input; ``judge`` must already carry the run's calls (cache and retries)."""

    def __init__(
        self,
        judge: Judge,
        options: RunOptions,
        writer: LineWriter,
        errors: LineWriter,
        summary: SummaryAccumulator,
        done: Scan,
        progress: Progress,
    ) -> None:
        self.judge = judge
        self.options = options
        self.writer = writer
        self.errors = errors
        self.summary = summary
        self.done = done
        self.progress = progress
        self.checker = RowChecker(
            options.mode, options.rubric, options.field_map, strict_columns=options.strict_columns
        )
        self.both_orders = options.both_orders and options.mode == "relative"
        self.counters = Counters()
        self._seen = IdIndex()  # every id of this run, for duplicates: memory-bounded
        self._resuming = done.lines > 0

    def close(self) -> None:
        self._seen.close()

    async def run(self, rows: Iterator[RawRow]) -> Counters:
        slots = asyncio.Semaphore(self.options.concurrency)
        tasks: set[asyncio.Task[None]] = set()
        failures: list[BaseException] = []

        def finished(task: asyncio.Task[None]) -> None:
            tasks.discard(task)
            slots.release()
            if not task.cancelled() and task.exception() is not None:
                failures.append(task.exception())  # type: ignore[arg-type]

        for work in self._batches(rows):
            await slots.acquire()
            if failures:
                break
            task = asyncio.create_task(self._judge(work))
            tasks.add(task)
            task.add_done_callback(finished)
        if tasks:
            await asyncio.wait(list(tasks))
        if failures:
            raise failures[0]
        return self.counters

    def _batches(self, rows: Iterator[RawRow]) -> Iterator[Work]:
        size = self.options.batch_size
        work = Work([], [])
        bad: list[dict[str, Any]] = []
        for raw in rows:
            self.counters.read += 1
            self._accept(raw, work, bad)
            if len(work.rows) >= size:
                self._flush_errors(bad)
                yield work
                work = Work([], [])
        self._flush_errors(bad)
        if work.rows:
            yield work

    def _accept(self, raw: RawRow, work: Work, bad: list[dict[str, Any]]) -> None:
        try:
            if raw.error is not None:
                raise raw.error
            row = self.checker.check(raw.row, raw.index)
            if not self._seen.add(row.key):
                raise InputError(f"duplicate id {row.id!r}", field="id")
            if self._resuming and self.done.finished(row.key):
                self.counters.skipped += 1
                return
            prompts = self.judge.render(row.item, self.both_orders)
        except InputError as exc:
            bad.append(self._error_line(raw, exc))
            return
        work.rows.append(row)
        work.prompts.append(prompts)

    def _error_line(self, raw: RawRow, exc: InputError) -> dict[str, Any]:
        self.counters.bad += 1
        key = exc.field or "row"
        self.counters.bad_by_field[key] = self.counters.bad_by_field.get(key, 0) + 1
        row_id = raw.row.get("id") if isinstance(raw.row, dict) else None
        if not isinstance(row_id, str | int) or isinstance(row_id, bool):
            row_id = None
        return {"line": raw.line, "row": raw.index, "id": row_id, "field": exc.field, "message": exc.reason}

    def _flush_errors(self, bad: list[dict[str, Any]]) -> None:
        self.errors.write_many(bad)
        bad.clear()

    async def _judge(self, work: Work) -> None:
        keys: list[str | None] = [row.key for row in work.rows]
        judged = await self.judge.judge_rendered(work.prompts, keys)
        lines = result_lines([row.id for row in work.rows], judged, self.options.order_policy)
        count = len(work.rows)
        self.writer.write_many(lines)
        for line in lines:
            self.summary.add(line)
        self.counters.graded += count
        self.progress.advance(count)


def run_judge(judge: Judge, calls: ReliableBackend) -> Judge:
    """A shallow copy of ``judge`` whose backend calls go through ``calls`` (the user's Judge is untouched)."""
    clone = copy.copy(judge)
    clone.calls = calls
    return clone
