"""``run_grading``: the Python entry point of batch runs (the CLI's ``grade``/``compare`` call it)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from judgeforge.backends.cache import CompletionCache
from judgeforge.backends.middleware import ReliableBackend
from judgeforge.judge import Judge
from judgeforge.runner.bookkeeping import (
    Resumed,
    finish_run,
    new_manifest,
    resume_run,
    run_settings,
    sibling,
)
from judgeforge.runner.engine import Counters, Engine, run_judge
from judgeforge.runner.options import RunOptions
from judgeforge.runner.output import LineWriter, compact
from judgeforge.runner.progress import Progress
from judgeforge.runner.readers import count_rows, read_rows


class RunReport(BaseModel):
    """Where a run wrote its files, its summary and manifest, and its exit code.

    ``exit_code`` is 0 when every input row was graded, 1 when any row was bad input or failed to grade.
    """

    model_config = ConfigDict(frozen=True)

    output: Path
    errors: Path
    summary_path: Path
    manifest_path: Path
    summary: dict[str, Any]
    manifest: dict[str, Any]

    @property
    def exit_code(self) -> int:
        return 1 if self.summary["bad_rows"] or self.summary["failed"] else 0


def run_grading(
    source: str | Path, output: str | Path, judge: Judge, options: RunOptions | None = None
) -> RunReport:
    """Grade (or compare) every row of ``source`` into ``output`` with ``judge``; resumable.

    ``source`` is a JSONL/CSV/TSV/Parquet file, a folder saved with ``datasets`` or a dataset id. Results go
    to ``output`` (one JSON line per valid row), bad rows to ``<output>.errors.jsonl``, the summary and
    the manifest to ``<output>.summary.json`` and ``<output>.manifest.json``. Running the same call again
    continues where a crashed or killed run stopped; completions are cached (``options.use_cache``).
    Must not be called from a running event loop (use :func:`arun_grading` there).
    """
    return asyncio.run(arun_grading(source, output, judge, options))


async def arun_grading(
    source: str | Path, output: str | Path, judge: Judge, options: RunOptions | None = None
) -> RunReport:
    """The async form of :func:`run_grading`."""
    options = options or RunOptions()
    out = Path(output)
    settings = run_settings(judge.settings(), options)
    manifest = new_manifest(
        settings, options, str(source), executor="local", identity=judge.backend.identity()
    )
    resumed = resume_run(out, manifest, options.retry_failed)
    cache_path = options.cache_path()
    cache = CompletionCache(cache_path) if cache_path is not None else None
    calls = ReliableBackend(judge.backend, options.retry or judge.calls.policy, cache)
    total = count_rows(source, options.input_format) if options.progress else None
    progress = Progress(options.progress, total, done=resumed.scan.resumed)
    writer = LineWriter(out)
    errors = LineWriter(sibling(out, ".errors.jsonl"), append=False)
    engine = Engine(run_judge(judge, calls), options, writer, errors, resumed.summary, resumed.scan, progress)
    started = time.perf_counter()
    try:
        with fewer_gc_passes():
            counters = await engine.run(read_rows(source, options.input_format, options.split))
    finally:
        engine.close()
        progress.close()
        writer.close()
        errors.close()
        if cache is not None:
            cache.close()
    elapsed = time.perf_counter() - started
    if options.retry_failed and resumed.scan.failed:
        compact(out)
    report = _summary(resumed, counters, calls, options, elapsed)
    finish_run(resumed, manifest, report)
    _warn_on_missing_logprobs(report)
    return RunReport(
        output=out,
        errors=errors.path,
        summary_path=resumed.summary_path,
        manifest_path=resumed.manifest_path,
        summary=report,
        manifest=manifest,
    )


@contextlib.contextmanager
def fewer_gc_passes(first_generation: int = 20_000) -> Iterator[None]:
    """Run the cyclic garbage collector less often while a run streams rows.

    A run allocates a few dozen short-lived containers per row and creates almost no reference cycles, so
    CPython's default (a young-generation pass every 700 net allocations, a full pass every 100 of those)
    spends time scanning objects that plain reference counting frees anyway: a 50,000-row run with the
    fake backend made 1,800 young and 14 full passes. Raising the first threshold (never lowering it) keeps
    cycles bounded while cutting that to under 100 passes (5-15% less CPU, benchmarks/runner_overhead.py).
    The thresholds are restored afterwards.
    """
    before = gc.get_threshold()
    gc.set_threshold(max(before[0], first_generation), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


def _summary(
    resumed: Resumed, counters: Counters, calls: ReliableBackend, options: RunOptions, elapsed: float
) -> dict[str, Any]:
    report = resumed.summary.report(options.mode, options.price_per_1k_tokens)
    report["bad_rows"] = counters.bad
    report["bad_rows_by_field"] = dict(sorted(counters.bad_by_field.items()))
    stats = calls.stats
    report["this_run"] = {
        "rows_read": counters.read,
        "graded": counters.graded,
        "skipped_done": counters.skipped,
        "repaired_bytes": resumed.scan.repaired_bytes,
        "seconds": round(elapsed, 3),
        "items_per_s": round(counters.graded / elapsed, 1) if elapsed > 0 else None,
        "backend_calls": stats.calls,
        "prompts_sent": stats.prompts_sent,
        "backend_retries": stats.retries,
        "generation_failures": dict(stats.failures),
    }
    if calls.cache is not None:
        report["this_run"]["cache"] = {
            "path": str(calls.cache.path),
            "hits": calls.cache.hits,
            "misses": calls.cache.misses,
        }
    return report


def _warn_on_missing_logprobs(report: dict[str, Any]) -> None:
    """One warning line when logprobs were asked for and some verdicts came without them."""
    missing = report.get("logprobs_missing") or 0
    if missing:
        reasons = "; ".join(
            f"{reason}: {count}" for reason, count in report["logprobs_missing_by_reason"].items()
        )
        warnings.warn(
            f"{missing} verdicts have no logprob distribution ({reasons}); their rows say why "
            "(verdicts[].logprobs_missing)",
            UserWarning,
            stacklevel=3,
        )
