"""``run_grading_on_ray``: a batch run on Ray Data (read -> map_batches with judge actors -> write).

The driver streams the input once (checking rows, reporting bad ones, skipping rows already in the results
file) into a spool file; Ray Data reads the spool, a pool of :class:`JudgeWorker` actors (each holding its
own Judge and in-process model) grades it batch by batch, and the driver appends each finished batch to the
results file as it arrives. The results, errors, summary and manifest files have the local runner's format
(:func:`judgeforge.runner.run_grading`), and re-running the same call resumes where a killed run stopped.

Without an address a local Ray runtime is started (``num_cpus`` and a small object store) and shut down at the
end; with one (``"auto"``, ``"ray://head:10001"``) the job joins that cluster, which must have judgeforge and the
backend's extra installed on every node. The completion cache is not used on Ray (it is a local SQLite file);
resume works per row through the results file. Settings, manifest and resume are the local runner's
(:mod:`judgeforge.runner.bookkeeping`), so a run started locally can be resumed on Ray and the other way round.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from judgeforge.distributed.spec import JudgeSpec
from judgeforge.distributed.spool import SpoolCounts, spool_pending
from judgeforge.distributed.worker import RESULT, JudgeWorker
from judgeforge.errors import BackendError
from judgeforge.lazy import require
from judgeforge.runner.api import RunReport
from judgeforge.runner.bookkeeping import (
    Resumed,
    finish_run,
    new_manifest,
    resume_run,
    run_settings,
    sibling,
)
from judgeforge.runner.options import RunOptions
from judgeforge.runner.output import LineWriter, compact
from judgeforge.runner.progress import Progress
from judgeforge.runner.summary import SummaryAccumulator


class RayOptions(BaseModel):
    """Where a Ray job runs and how wide: ``actors`` judge replicas of ``cpus_per_actor``/``gpus_per_actor``.

    ``address`` None starts a local runtime of ``num_cpus`` CPUs (default: what the actors need) with an
    object store of ``object_store_mb``; any other value (``"auto"``, ``"ray://host:10001"``) connects.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    address: str | None = None
    actors: int = Field(2, ge=1)
    cpus_per_actor: float = Field(1.0, ge=0)
    gpus_per_actor: float = Field(0.0, ge=0)
    num_cpus: int | None = Field(None, ge=1)
    object_store_mb: int = Field(200, ge=64)


class _Sinks:
    """Where the driver puts what comes back from the actors."""

    def __init__(self, out: Path, summary: SummaryAccumulator, progress: Progress) -> None:
        self.results = LineWriter(out)
        self.errors = LineWriter(sibling(out, ".errors.jsonl"), append=False)
        self.summary = summary
        self.progress = progress
        self.graded = 0
        self.render_errors = 0

    def take(self, kinds: Any, lines: Any) -> None:
        results: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        for kind, text in zip(kinds, lines):
            (results if kind == RESULT else errors).append(json.loads(text))
        self.results.write_many(results)
        self.errors.write_many(errors)
        for line in results:
            self.summary.add(line)
        self.graded += len(results)
        self.render_errors += len(errors)
        self.progress.advance(len(results) + len(errors))

    def close(self) -> None:
        self.progress.close()
        self.results.close()
        self.errors.close()


def run_grading_on_ray(
    source: str | Path,
    output: str | Path,
    spec: JudgeSpec,
    options: RunOptions | None = None,
    ray_options: RayOptions | None = None,
) -> RunReport:
    """Grade (or compare) every row of ``source`` into ``output`` on Ray Data; resumable.

    Same inputs, options and output files as :func:`judgeforge.runner.run_grading`, except that the judge is
    given as a :class:`JudgeSpec` (each actor builds its own) and ``options.use_cache``/``concurrency`` do not
    apply (``ray_options.actors`` sets the parallelism, ``options.batch_size`` the rows per actor call).
    """
    options = options or RunOptions()
    ray_options = ray_options or RayOptions()
    ray = require("ray", "ray")
    out = Path(output)
    manifest = new_manifest(
        run_settings(spec.settings(), options),
        options,
        str(source),
        executor="ray",
        ray=ray_options.model_dump(mode="json"),
        ray_version=_ray_version(),
    )
    resumed = resume_run(out, manifest, options.retry_failed)
    spool = sibling(out, ".ray-pending.jsonl")
    started = time.perf_counter()
    sinks = _Sinks(out, resumed.summary, Progress(False, None))
    try:
        counts = spool_pending(source, options, resumed.scan, spool, sinks.errors)
        sinks.progress = Progress(options.progress, counts.pending)
        if counts.pending:
            _run_dataset(ray, spool, spec, options, ray_options, sinks)
    finally:
        sinks.close()
    spool.unlink(missing_ok=True)
    if options.retry_failed and resumed.scan.failed:
        compact(out)
    report = _summary(resumed, counts, sinks, options, ray_options, time.perf_counter() - started)
    finish_run(resumed, manifest, report)
    return RunReport(
        output=out,
        errors=sinks.errors.path,
        summary_path=resumed.summary_path,
        manifest_path=resumed.manifest_path,
        summary=report,
        manifest=manifest,
    )


def _run_dataset(
    ray: Any, spool: Path, spec: JudgeSpec, options: RunOptions, ray_options: RayOptions, sinks: _Sinks
) -> None:
    started_runtime = connect(ray, ray_options)
    try:
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = options.progress
        # On a cluster, "local://" reads the spool on the driver's node, so it needs no shared filesystem
        # (Ray marks the scheme deprecated after January 2027; OUT on shared storage is the alternative).
        path = str(spool.resolve())
        dataset = ray.data.read_text(path if ray_options.address is None else f"local://{path}", num_cpus=0)
        dataset = dataset.map_batches(
            JudgeWorker,
            fn_constructor_kwargs={
                "spec_json": spec.model_dump_json(),
                "mode": options.mode,
                "both_orders": options.both_orders,
                "order_policy": options.order_policy,
                "retry_json": options.retry.model_dump_json() if options.retry else "",
            },
            batch_size=options.batch_size,
            batch_format="numpy",
            compute=ray.data.ActorPoolStrategy(size=ray_options.actors),
            num_cpus=ray_options.cpus_per_actor,
            num_gpus=ray_options.gpus_per_actor,
        )
        for batch in dataset.iter_batches(batch_size=None, batch_format="numpy"):
            sinks.take(batch["kind"], batch["line"])
    except ray.exceptions.RayError as exc:
        # What finished is already in the results file; a re-run resumes from there.
        raise BackendError(f"ray grading job failed: {exc}", retryable=False) from exc
    finally:
        if started_runtime:
            ray.shutdown()


def connect(ray: Any, ray_options: RayOptions) -> bool:
    """Join ``ray_options.address`` or start a small local runtime; True when this call started one."""
    if ray.is_initialized():
        return False
    if ray_options.address:
        ray.init(address=ray_options.address, log_to_driver=False)
        return False
    needed = math.ceil(ray_options.actors * ray_options.cpus_per_actor) or 1
    ray.init(
        num_cpus=ray_options.num_cpus or needed,
        object_store_memory=ray_options.object_store_mb * 1024 * 1024,
        include_dashboard=False,
        log_to_driver=False,
    )
    return True


def _summary(
    resumed: Resumed,
    counts: SpoolCounts,
    sinks: _Sinks,
    options: RunOptions,
    ray_options: RayOptions,
    elapsed: float,
) -> dict[str, Any]:
    report = resumed.summary.report(options.mode, options.price_per_1k_tokens)
    report["bad_rows"] = counts.bad + sinks.render_errors
    report["bad_rows_by_field"] = dict(sorted(counts.bad_by_field.items()))
    report["this_run"] = {
        "rows_read": counts.read,
        "graded": sinks.graded,
        "skipped_done": counts.skipped,
        "repaired_bytes": resumed.scan.repaired_bytes,
        "seconds": round(elapsed, 3),
        "items_per_s": round(sinks.graded / elapsed, 1) if elapsed > 0 else None,
        "executor": "ray",
        "actors": ray_options.actors,
    }
    return report


def _ray_version() -> dict[str, str]:
    from importlib import metadata

    try:
        return {"ray": metadata.version("ray")}
    except metadata.PackageNotFoundError:
        return {}
