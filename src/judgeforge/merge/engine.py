"""The streaming merge engine: plan, compute tensor by tensor, write shards, move into place atomically.

Output is built in a hidden sibling directory ``.<OUT_DIR>.partial-<id>`` and renamed to ``OUT_DIR`` only
after every shard was fsynced and the index written, so a killed merge never leaves an ``OUT_DIR`` that
looks complete. Memory is bounded by the tensors in flight (about one largest tensor's working set).

A merge whose every tensor the method can compute without torch (``MergeMethod.without_torch``: task
arithmetic and DARE-linear in an fp32 compute dtype over bf16/fp16/fp32 checkpoints) runs on numpy arrays
and never imports torch, which saves torch's start-up (seconds); any other merge runs on torch tensors.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import sys
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

import numpy as np
import yaml
from numpy.typing import NDArray

from judgeforge.errors import MergeError
from judgeforge.merge.chunked import (
    footprint,
    merge_array,
    merge_tensor,
    streamed_footprint,
    streams,
    whole_footprint,
)
from judgeforge.merge.config import MergeConfig
from judgeforge.merge.draws import DrawKey
from judgeforge.merge.dtypes import DTYPES, torch_dtype
from judgeforge.merge.io import ShardedWriter
from judgeforge.merge.lora import materialize_inputs
from judgeforge.merge.methods import TensorInputs
from judgeforge.merge.methods.base import ArrayInputs
from judgeforge.merge.params import check_method, ignored_parameters
from judgeforge.merge.plan import MergePlan, TensorJob, build_plan

if TYPE_CHECKING:
    import torch

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
# Dtypes the torch-free path reads and writes (each converts to fp32 exactly); it computes in fp32 only.
ARRAY_DTYPES = ("F32", "F16", "BF16")
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


def _inputs(plan: MergePlan, job: TensorJob, seed: int, generator: torch.Generator | None) -> TensorInputs:
    """What the method sees for one output tensor (the inputs are memory-mapped views: nothing is read)."""
    name = job.output.name
    sequential = plan.method.sequential_draws(job.shared)
    return TensorInputs(
        tuple(reader.get(name) for reader in plan.readers),
        job.params,
        job.shared,
        plan.base_index,
        generator if sequential else None,
        None if plan.compute_dtype is None else torch_dtype(plan.compute_dtype),
        torch_dtype(job.output.dtype),
        DrawKey(seed, name) if plan.method.random else None,
    )


def _array_inputs(plan: MergePlan, seed: int) -> dict[str, ArrayInputs] | None:
    """What the method's torch-free arithmetic sees for each floating tensor, or None where one of them
    needs torch (a dtype or setting the arithmetic does not take, or ``ml_dtypes`` missing for bf16: said
    in a ``UserWarning``)."""
    arithmetic = plan.method.without_torch
    floating = [job for job in plan.jobs if job.floating]
    dtypes = _array_dtypes(plan, floating)
    if arithmetic is None or dtypes is None:
        return None

    def inputs(job: TensorJob, arrays: tuple[NDArray[Any], ...]) -> ArrayInputs:
        draws = DrawKey(seed, job.output.name) if plan.method.random else None
        return ArrayInputs(arrays, job.params, job.shared, plan.base_index, draws)

    unread = tuple(np.empty(0, dtype=np.float32) for _ in plan.readers)
    if not all(arithmetic.applies(inputs(job, unread)) for job in floating):
        return None
    if "BF16" in dtypes and not _imports("ml_dtypes"):
        warnings.warn(
            "ml_dtypes is not installed, so this bf16 merge runs on torch (seconds more to start): "
            "pip install ml_dtypes",
            UserWarning,
            stacklevel=caller_stacklevel(),
        )
        return None
    return {job.output.name: inputs(job, _arrays(plan, job.output.name)) for job in floating}


def _array_dtypes(plan: MergePlan, floating: list[TensorJob]) -> set[str] | None:
    """The stored and output dtypes of the floating tensors, or None unless the arithmetic is fp32 over
    :data:`ARRAY_DTYPES` (the torch-free path's only case)."""
    stored = {reader.tensors[job.output.name].dtype for job in floating for reader in plan.readers}
    if plan.compute_dtype not in (None, "F32") or (plan.compute_dtype is None and stored - {"F32"}):
        return None
    found = stored | {job.output.dtype for job in floating}
    return found if found <= set(ARRAY_DTYPES) else None


def _arrays(plan: MergePlan, name: str) -> tuple[NDArray[Any], ...]:
    return tuple(reader.array(name) for reader in plan.readers)


def _imports(module: str) -> bool:
    """Whether ``module`` can be imported (it is, then)."""
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


def _compute(
    plan: MergePlan,
    job: TensorJob,
    seed: int,
    generator: torch.Generator | None,
    empty: Callable[[], torch.Tensor] | None = None,
) -> torch.Tensor:
    x = _inputs(plan, job, seed, generator)
    if not job.floating:
        # Integer buffers are not merged: taken from the donor (base, else first model).
        return x.tensors[plan.base_index or 0]
    return merge_tensor(plan.method, x, empty=empty).to(torch_dtype(job.output.dtype))


@dataclass(frozen=True)
class _Schedule:
    """How the jobs of one merge run: what computes a job, its memory cost, the budget, the threads."""

    compute: Callable[[TensorJob], torch.Tensor | NDArray[Any]]  # in the planned dtype
    costs: dict[str, int]
    budget: int
    workers: int
    threads: AbstractContextManager[None]


def _array_schedule(plan: MergePlan, writer: ShardedWriter, seed: int, workers: int) -> _Schedule | None:
    """Every tensor on numpy arrays (no torch imported), or None where some tensor needs torch."""
    inputs = _array_inputs(plan, seed)
    if inputs is None:
        return None
    method = plan.method

    def compute(job: TensorJob) -> NDArray[Any]:
        name = job.output.name
        if not job.floating:  # integer buffers are not merged: taken from the donor (base, else first)
            return plan.readers[plan.base_index or 0].array(name)
        out = writer.array_buffer(name)
        merge_array(method, inputs[name], out)
        return out

    holds = method.streamed.holds if method.streamed is not None else (lambda x: 0)
    costs = {job.output.name: job.output.nbytes for job in plan.jobs}
    costs |= {
        name: streamed_footprint(x.entries, x.inputs, costs[name], holds(x)) for name, x in inputs.items()
    }
    return _Schedule(compute, costs, _budget(inputs.values(), costs), workers, nullcontext())


def _budget(inputs: Iterable[TensorInputs | ArrayInputs], costs: dict[str, int]) -> int:
    """What the largest job would hold merged whole: the memory the jobs in flight share (``_run_bounded``)."""
    return max([whole_footprint(x) for x in inputs] + list(costs.values()), default=0)


def caller_stacklevel() -> int:
    """The ``warnings.warn`` stack level of the first caller outside this package (the user's code).

    Warnings about a merge config point there whether the merge came through :func:`merge_models`, the
    package's wrapper, a sweep or the CLI.
    """
    package = str(Path(__file__).parent)
    frame: FrameType | None = sys._getframe(1)  # the function that warns
    level = 1
    while frame is not None and frame.f_code.co_filename.startswith(package):
        frame, level = frame.f_back, level + 1
    return level


def _torch_schedule(plan: MergePlan, writer: ShardedWriter, seed: int, workers: int) -> _Schedule:
    import torch

    generator: torch.Generator | None = None
    if any(plan.method.sequential_draws(job.shared) for job in plan.jobs):
        generator = torch.Generator().manual_seed(seed)
        workers = 1  # mergekit's stream: one generator, drawn in traversal order

    def compute(job: TensorJob) -> torch.Tensor:
        return _compute(plan, job, seed, generator, lambda: writer.buffer(job.output.name))

    inputs = {job.output.name: _inputs(plan, job, seed, None) for job in plan.jobs if job.floating}
    costs = {job.output.name: job.output.nbytes for job in plan.jobs if not job.floating}
    costs |= {name: footprint(plan.method, x) for name, x in inputs.items()}
    budget = _budget(inputs.values(), costs)
    # One torch thread per worker only when every tensor is chunked: chunked arithmetic is elementwise
    # (the same bits on any number of threads), while whole-tensor reductions (slerp's norms, TIES's
    # rescale sums) round by torch's thread count, which must not depend on --workers.
    all_chunked = all(streams(plan.method, x) for x in inputs.values())
    threads = torch_threads(1 if workers > 1 and all_chunked else None)
    return _Schedule(compute, costs, budget, workers, threads)


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
        schedule = _array_schedule(plan, writer, key, n_workers) or _torch_schedule(
            plan, writer, key, n_workers
        )
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
            _run_bounded(
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


@contextmanager
def torch_threads(count: int | None) -> Iterator[None]:
    """Run torch's kernels on ``count`` threads inside the block (``None``: leave the setting alone).

    Tensors already run in parallel, one per worker: intra-op threads on top of that oversubscribe the
    cores.
    """
    if count is None:
        yield
        return
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _run_bounded(
    fn: Callable[[TensorJob], None],
    jobs: list[TensorJob],
    workers: int,
    progress: Callable[[int, int], None] | None,
    cost: Callable[[TensorJob], int],
    budget: int,
) -> None:
    """Run jobs in order, at most ``workers`` at once and, together, within ``budget`` bytes of ``cost``.

    The budget is what the largest tensor would hold merged whole: a huge tensor that is merged whole
    (embeddings, LM head) runs alone while the many layer tensors run in parallel, so peak memory is about
    one largest job whatever the parallelism; a streamed job holds little more than its output, so
    streamed huge tensors run side by side.
    """
    done = 0

    def finished() -> None:
        nonlocal done
        done += 1
        if progress:
            progress(done, len(jobs))

    if workers <= 1:
        for job in jobs:
            fn(job)
            finished()
        return
    in_flight: dict[Future[None], int] = {}
    load = 0

    def reap() -> None:  # wait for whichever job finishes first, not the oldest
        nonlocal load
        done_now, _ = wait(in_flight, return_when=FIRST_COMPLETED)
        for future in done_now:
            future.result()
            load -= in_flight.pop(future)
            finished()

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="merge") as pool:
        for job in jobs:
            needed = cost(job)
            while in_flight and (len(in_flight) >= workers or load + needed > budget):
                reap()
            in_flight[pool.submit(fn, job)] = needed
            load += needed
        while in_flight:
            reap()


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
