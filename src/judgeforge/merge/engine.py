"""The streaming merge engine: plan, compute tensor by tensor, write shards, move into place atomically.

Output is built in a hidden sibling directory ``.<OUT_DIR>.partial-<id>`` and renamed to ``OUT_DIR`` only
after every shard was fsynced and the index written, so a killed merge never leaves an ``OUT_DIR`` that
looks complete. Memory is bounded by the tensors in flight (about one largest tensor's working set).

How the tensors are computed (on numpy arrays without torch where the method can, else on torch tensors),
how many at once and within what memory is :mod:`judgeforge.merge.schedule`'s decision.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
import uuid
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from judgeforge.errors import MergeError
from judgeforge.merge.config import MergeConfig
from judgeforge.merge.dtypes import DTYPES
from judgeforge.merge.io import ShardedWriter
from judgeforge.merge.lora import materialize_inputs
from judgeforge.merge.params import check_method, ignored_parameters
from judgeforge.merge.plan import MergePlan, TensorJob, build_plan
from judgeforge.merge.schedule import caller_stacklevel, run_bounded, schedule_for

# Files copied verbatim from the donor model (the base model, else the first one), as mergekit does.
AUX_FILES = (
    "generation_config.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "tokenizer.json",
    "tokenizer.model",
    "added_tokens.json",
    "vocab.json",
    "merges.txt",
    "chat_template.jinja",
    "chat_template.json",
)
DEFAULT_SHARD_BYTES = 2 * 1024**3
_WRITING = 2  # threads beyond the computing ones, for writes in flight
# Test-only throttle: seconds to sleep after each tensor, so a test can kill a merge mid-way.
_DELAY_ENV = "JUDGEFORGE_MERGE_TEST_DELAY_S"


@dataclass(frozen=True)
class MergeResult:
    """What a finished merge wrote."""

    out_dir: Path
    tensors: int
    shards: int
    seconds: float


def merge_models(
    config: MergeConfig,
    out_dir: str | Path,
    *,
    seed: int | None = None,
    workers: int | None = None,
    overwrite: bool = False,
    max_shard_bytes: int = DEFAULT_SHARD_BYTES,
    progress: Callable[[int, int], None] | None = None,
) -> MergeResult:
    """Merge the models of ``config`` into ``out_dir`` (safetensors shards + index + config/tokenizer).

    ``seed`` (or the config's ``random_seed``) seeds the draws of random methods (DARE); unseeded
    random merges draw a fresh seed. Everything is validated before anything is written; ``MergeError``
    or ``ConfigError`` is raised on a bad config or mismatched inputs and ``out_dir`` is left untouched.
    Parameters the method does not take are ignored with a ``UserWarning``, as mergekit ignores them.
    """
    started = time.perf_counter()
    out = Path(out_dir)
    if workers is not None and workers < 1:
        raise MergeError(f"workers must be 1 or more, got {workers}")
    if max_shard_bytes < 1:
        raise MergeError(f"max_shard_bytes must be 1 or more, got {max_shard_bytes}")
    method = check_method(config)
    for message in ignored_parameters(config, method):
        warnings.warn(message, UserWarning, stacklevel=caller_stacklevel())
    if (out.exists() or out.is_symlink()) and not overwrite:
        raise MergeError(f"{out} already exists (pass overwrite=True / --overwrite to replace it)")
    directories = [config.resolve_path(m.path) for m in config.inputs]
    for label, d in zip((m.path for m in config.inputs), directories, strict=True):
        if "+" not in label and not d.is_dir():
            raise MergeError(f"model directory not found: {d}")
    out.parent.mkdir(parents=True, exist_ok=True)
    scratch = out.parent / f".{out.name}.lora-{uuid.uuid4().hex[:8]}"
    try:
        directories = materialize_inputs(config, directories, scratch)
        plan = build_plan(config, method, directories)
        staging = out.parent / f".{out.name}.partial-{uuid.uuid4().hex[:8]}"
        staging.mkdir()
        try:
            shards = _write(plan, staging, seed, workers, max_shard_bytes, progress)
            _copy_aux(plan, staging)
            _publish(staging, out, overwrite)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        finally:
            for reader in plan.readers:
                reader.close()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return MergeResult(out, len(plan.jobs), shards, time.perf_counter() - started)


def _write(
    plan: MergePlan,
    staging: Path,
    seed: int | None,
    workers: int | None,
    max_shard_bytes: int,
    progress: Callable[[int, int], None] | None,
) -> int:
    writer = ShardedWriter(staging, [j.output for j in plan.jobs], max_shard_bytes)
    delay = float(os.environ.get(_DELAY_ENV, "0") or 0)
    chosen = seed if seed is not None else plan.config.random_seed
    key = chosen if chosen is not None else int.from_bytes(os.urandom(7), "little")
    n_workers = workers or min(4, os.cpu_count() or 1)
    try:
        schedule = schedule_for(plan, writer, key, n_workers)
        # Writes wait on the disk, not the CPU: with several workers ``_WRITING`` more threads run, and at
        # most ``workers`` of them compute at once, so finished tensors' writes overlap the next
        # computations (two writes at once happen when the disk slows: both cores keep computing).
        computing = threading.BoundedSemaphore(schedule.workers)
        threads = schedule.workers + _WRITING if schedule.workers > 1 else 1

        def run(job: TensorJob) -> None:
            with computing:
                result = schedule.compute(job)
            writer.write(job.output.name, result)
            if delay:
                time.sleep(delay)

        with schedule.threads:
            run_bounded(
                run,
                plan.jobs,
                threads,
                progress,
                lambda job: schedule.costs[job.output.name],
                schedule.budget,
            )
        writer.finish()
    finally:
        writer.close()
    return len(writer.files)


def _copy_aux(plan: MergePlan, staging: Path) -> None:
    donor = plan.donor
    for name in AUX_FILES:
        if (donor / name).is_file():
            shutil.copy2(donor / name, staging / name)
    cfg_path = donor / "config.json"
    if cfg_path.is_file():
        cfg = json.loads(cfg_path.read_text(encoding="utf-8"))
        floats = {DTYPES[j.output.dtype].name for j in plan.jobs if j.floating}
        if len(floats) == 1:
            # The output dtype may differ from the donor's (dtype/out_dtype); keep config.json truthful.
            cfg["torch_dtype"] = floats.pop()
            if "dtype" in cfg:
                cfg["dtype"] = cfg["torch_dtype"]
        (staging / "config.json").write_text(json.dumps(cfg, indent=2) + "\n", encoding="utf-8")
    (staging / "merge_config.yml").write_text(yaml.safe_dump(_config_dict(plan.config)), encoding="utf-8")


def _config_dict(config: MergeConfig) -> dict[str, object]:
    data: dict[str, object] = {
        "merge_method": config.merge_method,
        "models": [{"model": m.path, "parameters": dict(m.parameters)} for m in config.models],
    }
    for key in ("base_model", "dtype", "out_dtype", "random_seed"):
        if getattr(config, key) is not None:
            data[key] = getattr(config, key)
    if config.parameters:
        data["parameters"] = dict(config.parameters)
    return data


def _publish(staging: Path, out: Path, overwrite: bool) -> None:
    """Rename the complete staging directory to ``out`` (replacing an old one only if asked)."""
    trash: Path | None = None
    if out.exists() or out.is_symlink():
        if not overwrite:
            raise MergeError(f"{out} appeared while merging; nothing was replaced")
        trash = out.parent / f".{out.name}.old-{uuid.uuid4().hex[:8]}"
        out.rename(trash)
    staging.rename(out)
    dir_fd = os.open(out.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    if trash is not None:
        shutil.rmtree(trash, ignore_errors=True)
