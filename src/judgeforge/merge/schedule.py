"""How the tensor jobs of one merge run: on numpy arrays or torch tensors, at what memory cost, how many at once.

:func:`schedule_for` picks the arithmetic: a merge whose every floating tensor the method can compute without
torch (``MergeMethod.without_torch``: task arithmetic and DARE-linear in an fp32 compute dtype over
:data:`ARRAY_DTYPES` checkpoints) runs on numpy arrays and never imports torch, which saves its start-up
(seconds); any other merge runs on torch tensors. Either way a :class:`Schedule` says what computes a job,
what each job costs in memory and the budget they share, which :func:`run_bounded` enforces.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from judgeforge.errors import MissingDependencyError
from judgeforge.lazy import require
from judgeforge.merge.chunked import (
    footprint,
    merge_array,
    merge_tensor,
    streamed_footprint,
    streams,
    whole_footprint,
)
from judgeforge.merge.draws import DrawKey
from judgeforge.merge.dtypes import torch_dtype
from judgeforge.merge.io import ShardedWriter
from judgeforge.merge.methods import TensorInputs
from judgeforge.merge.methods.base import ArrayInputs
from judgeforge.merge.plan import MergePlan, TensorJob

if TYPE_CHECKING:
    import torch

# Dtypes the torch-free path reads and writes (each converts to fp32 exactly); it computes in fp32 only.
ARRAY_DTYPES = ("F32", "F16", "BF16")


def schedule_for(plan: MergePlan, writer: ShardedWriter, seed: int, workers: int) -> Schedule:
    """The numpy schedule where every tensor qualifies (see the module), else the torch one.

    ``seed`` keys the random draws; ``workers``: tensors computed at once (1 for mergekit's sequential
    draws, whatever is asked). Computed outputs go into ``writer``'s lent buffers.
    """
    return array_schedule(plan, writer, seed, workers) or torch_schedule(plan, writer, seed, workers)


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
    if "BF16" in dtypes:
        try:
            require("ml_dtypes", "merge")
        except MissingDependencyError as missing:
            warnings.warn(
                f"this bf16 merge runs on torch (seconds more to start): {missing}",
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
class Schedule:
    """How the jobs of one merge run: what computes a job, its memory cost, the budget, the threads."""

    compute: Callable[[TensorJob], torch.Tensor | NDArray[Any]]  # in the planned dtype
    costs: dict[str, int]
    budget: int
    workers: int
    threads: AbstractContextManager[None]


def array_schedule(plan: MergePlan, writer: ShardedWriter, seed: int, workers: int) -> Schedule | None:
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
    return Schedule(compute, costs, _budget(inputs.values(), costs), workers, nullcontext())


def _budget(inputs: Iterable[TensorInputs | ArrayInputs], costs: dict[str, int]) -> int:
    """What the largest job would hold merged whole: the memory the jobs in flight share (``run_bounded``)."""
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


def torch_schedule(plan: MergePlan, writer: ShardedWriter, seed: int, workers: int) -> Schedule:
    """Every tensor on torch tensors (imports torch); one worker for mergekit's sequential draws."""
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
    return Schedule(compute, costs, budget, workers, threads)


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


def run_bounded(
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
