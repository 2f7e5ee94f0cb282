"""How the engine runs tensor jobs: which run side by side, within what memory budget, on how many threads."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import torch
from safetensors.torch import save_file

from judgeforge.merge import merge_models, parse_config, schedule
from judgeforge.merge.chunked import footprint, whole_footprint
from judgeforge.merge.draws import DrawKey
from judgeforge.merge.io import ShardedWriter
from judgeforge.merge.methods import METHODS, TensorInputs
from judgeforge.merge.schedule import run_bounded


@dataclass(frozen=True)
class Job:  # what _run_bounded needs of a TensorJob: something to hand back to fn and to cost
    name: str
    cost: int


def _cost(job: Any) -> int:
    return int(job.cost)


def test_a_slow_job_does_not_hold_back_the_jobs_after_it() -> None:
    """The first job finishes only once the third has run: waiting for the oldest job would stall."""
    third_ran = threading.Event()
    stalled: list[str] = []

    def run(job: Any) -> None:
        if job.name == "first" and not third_ran.wait(timeout=10):
            stalled.append(job.name)
        if job.name == "third":
            third_ran.set()

    jobs = [Job("first", 1), Job("second", 1), Job("third", 1)]
    run_bounded(run, jobs, 2, None, _cost, budget=10)  # type: ignore[arg-type]
    assert not stalled


def _concurrency(costs: list[int], budget: int) -> list[set[str]]:
    """The sets of jobs seen running together."""
    running: set[str] = set()
    seen: list[set[str]] = []
    lock = threading.Lock()

    def run(job: Any) -> None:
        with lock:
            running.add(job.name)
            seen.append(set(running))
        threading.Event().wait(0.05)
        with lock:
            running.discard(job.name)

    jobs = [Job(f"j{i}", cost) for i, cost in enumerate(costs)]
    run_bounded(run, jobs, 2, None, _cost, budget)  # type: ignore[arg-type]
    return seen


def test_a_job_that_takes_the_whole_budget_runs_alone() -> None:
    seen = _concurrency([10, 1, 1, 10], budget=10)
    assert all(len(together) == 1 for together in seen if {"j0", "j3"} & together)


def test_jobs_within_the_budget_run_side_by_side() -> None:
    seen = _concurrency([4, 4, 4, 4], budget=10)
    assert max(len(together) for together in seen) == 2


def _inputs(method: str, **shared: Any) -> TensorInputs:
    n = 1 << 24  # a huge tensor: the chunk buffers are small beside it
    base = torch.zeros(n, dtype=torch.bfloat16)
    resolved = {p: spec.default for p, spec in METHODS.get(method).params.items() if spec.scope == "shared"}
    return TensorInputs(
        (base, base.clone()),
        ({}, {"weight": 1.0, "density": 0.5}),
        {**resolved, **shared},
        0,
        None,
        torch.float32,
        torch.bfloat16,
        DrawKey(0, "t"),
    )


def test_a_streamed_merge_is_charged_about_its_output_and_a_whole_one_its_fp32_copies() -> None:
    streamed = _inputs("dare_linear")
    whole = _inputs("dare_linear", random_stream="torch")  # --mergekit-dare: whole tensors, in order
    n = streamed.tensors[0].numel()
    assert whole_footprint(streamed) == n * 4 * 4  # two inputs and two temporaries, fp32
    assert footprint(METHODS.get("dare_linear"), whole) == whole_footprint(whole)
    charged = footprint(METHODS.get("dare_linear"), streamed)
    assert n * 2 <= charged < n * 3  # the bf16 output, packed masks and chunk buffers
    # so two streamed huge tensors fit in the budget of one merged whole
    assert 2 * charged <= whole_footprint(streamed)
    # TIES's candidate band may hold every magnitude twice in fp32 (many equal ones): charged for it
    ties = _inputs("ties")
    assert footprint(METHODS.get("ties"), ties) >= n * 2 + n * 8


def _config(models: dict[str, Path], method: str, **parameters: Any) -> Any:
    """``method`` over the base and model a (linear: both weighted 0.5; others: a weighted 0.5 over the base)."""
    if method == "linear":
        weighted = [{"model": str(models[m]), "parameters": {"weight": 0.5}} for m in ("base", "a")]
        return parse_config({"merge_method": method, "models": weighted, "parameters": parameters})
    return parse_config(
        {
            "merge_method": method,
            "base_model": str(models["base"]),
            "models": [{"model": str(models["a"]), "parameters": {"weight": 0.5, "density": 0.5}}],
            "parameters": parameters,
        }
    )


def _threads_during(models: dict[str, Path], out: Path, method: str, **parameters: Any) -> set[int]:
    config = _config(models, method, **parameters)
    during: set[int] = set()
    merge_models(config, out, workers=2, progress=lambda done, total: during.add(torch.get_num_threads()))
    return during


def test_several_workers_run_chunked_merges_on_one_torch_thread_each_and_restore_the_setting(
    make_model: Callable[..., Path], tmp_path: Path
) -> None:
    models = {name: make_model(name, seed) for seed, name in enumerate(("base", "a"))}
    before = torch.get_num_threads()
    if before < 2:
        pytest.skip("needs torch to run on two or more threads to see the setting change")
    assert _threads_during(models, tmp_path / "linear", "linear") == {1}
    assert torch.get_num_threads() == before
    # whole-tensor reductions round by the thread count: it must not depend on --workers
    assert _threads_during(models, tmp_path / "ties", "ties", rescale=True) == {before}


def _wide(directory: Path, seed: int) -> Path:
    """The model rewritten as one large tensor (the memory budget) and many small ones."""
    g = torch.Generator().manual_seed(seed)
    tensors = {"model.embed_tokens.weight": torch.randn(16384, 64, generator=g)}  # above one chunk
    tensors |= {f"model.layers.{i}.mlp.up_proj.weight": torch.randn(64, 64, generator=g) for i in range(12)}
    save_file(tensors, str(directory / "model.safetensors"))
    return directory


@pytest.mark.parametrize(
    ("method", "executor"),
    [("linear", "merge_tensor"), ("task_arithmetic", "merge_array")],  # with torch, and without it
)
def test_both_workers_keep_computing_while_two_slow_writes_are_in_flight(
    make_model: Callable[..., Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    method: str,
    executor: str,
) -> None:
    """A slow disk holds two writes at once; neither takes a computing slot from the other tensors."""
    models = {name: _wide(make_model(name, seed), seed) for seed, name in enumerate(("base", "a"))}
    lock = threading.Lock()
    state = {"computing": 0, "writing": 0}
    seen: list[tuple[int, int]] = []
    both_writing, both_computing = threading.Event(), threading.Event()

    def enter(key: str) -> None:
        with lock:
            state[key] += 1
            seen.append((state["computing"], state["writing"]))
            if state["writing"] == 2:
                both_writing.set()
            if state["computing"] == 2 and state["writing"] == 2:
                both_computing.set()

    def leave(key: str) -> None:
        with lock:
            state[key] -= 1

    real_merge, real_write = getattr(schedule, executor), ShardedWriter.write

    def computing(*args: Any, **kwargs: Any) -> Any:
        enter("computing")
        try:
            both_computing.wait(timeout=0.2)  # hold the slot until two writes and two computations overlap
            return real_merge(*args, **kwargs)
        finally:
            leave("computing")

    def writing(self: ShardedWriter, name: str, tensor: Any) -> None:
        enter("writing")
        try:
            both_writing.wait(timeout=5)  # the disk at its slowest: the first write waits for a second
            both_computing.wait(timeout=5)  # and both for two computations meanwhile (or time out)
            real_write(self, name, tensor)
        finally:
            leave("writing")

    monkeypatch.setattr(schedule, executor, computing)
    monkeypatch.setattr(ShardedWriter, "write", writing)
    merge_models(_config(models, method), tmp_path / "out", workers=2)
    assert max(c for c, _ in seen) == 2  # never more computing than workers
    assert (2, 2) in seen  # two writes in flight while both workers compute
