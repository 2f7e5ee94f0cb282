"""Ray Data grading: the same results as a local run, on a tiny local model with 2 CPU actors; resumable."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from judgeforge.distributed import JudgeSpec, RayOptions, run_grading_on_ray
from judgeforge.distributed.ray_grading import connect
from judgeforge.runner import RunOptions, run_grading

ray = pytest.importorskip("ray")
pytest.importorskip("transformers")
pytest.importorskip("judgeforge.backends.hf")  # the in-process transformers backend (issue 3)

WORDS = ["rice", "water", "salt", "boil", "minutes", "cover", "stir", "serve"]
RAY_OPTIONS = RayOptions(actors=2, cpus_per_actor=1, num_cpus=2, object_store_mb=200)


@pytest.fixture(scope="module")
def ray_runtime() -> Iterator[None]:
    """One small local runtime (2 CPUs, 200 MB object store) for the module; jobs reuse it."""
    started = connect(ray, RAY_OPTIONS)
    yield
    if started:
        ray.shutdown()


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from judgeforge.toy.tiny import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "model", hidden_size=32, num_layers=1)


def write_rows(path: Path, rows: list[Any]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def direct_rows(count: int) -> list[Any]:
    rows: list[Any] = [
        {
            "id": f"r{i}",
            "instruction": f"How do I cook {WORDS[i % len(WORDS)]}?",
            "response": " ".join(WORDS[(i + k) % len(WORDS)] for k in range(2 + i % 4)),
            "rubric": "helpfulness",
        }
        for i in range(count)
    ]
    rows.insert(3, {"id": "bad", "instruction": "no response here", "rubric": "helpfulness"})
    return rows


def by_id(path: Path) -> dict[str, dict[str, Any]]:
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    keyed = {str(line["id"]): line for line in lines}
    assert len(keyed) == len(lines), "an id was written twice"
    return keyed


def test_ray_job_with_two_actors_matches_a_local_run_and_resumes(
    ray_runtime: None, tiny_model: Path, tmp_path: Path
) -> None:
    source = write_rows(tmp_path / "rows.jsonl", direct_rows(10))
    # batch_size=1 in the backend: no padding, so a row's greedy output cannot depend on its batch-mates.
    spec = JudgeSpec(
        backend="transformers",
        backend_options={"model": str(tiny_model), "device": "cpu", "batch_size": 1},
        sampling={"temperature": 0.0, "max_tokens": 8, "seed": 0},
        max_attempts=1,
    )
    options = RunOptions(batch_size=3, use_cache=False)

    local = run_grading(source, tmp_path / "local.jsonl", spec.build(), options)
    remote = run_grading_on_ray(source, tmp_path / "ray.jsonl", spec, options, RAY_OPTIONS)

    expected = by_id(local.output)
    assert len(expected) == 10 and by_id(remote.output) == expected
    assert remote.errors.read_text() == local.errors.read_text() != ""
    for key in ("rows", "graded", "failed", "bad_rows", "distribution", "tokens_in", "tokens_out"):
        assert remote.summary[key] == local.summary[key], key
    assert remote.summary["this_run"]["graded"] == 10
    assert remote.manifest["executor"] == "ray" and remote.manifest["ray"]["actors"] == 2

    # a killed run: 4 finished lines and half of a fifth; the re-run grades only the other 6
    lines = remote.output.read_text(encoding="utf-8").splitlines(keepends=True)
    remote.output.write_text("".join(lines[:4]) + lines[4][:20], encoding="utf-8")
    resumed = run_grading_on_ray(
        source, remote.output, spec, options, RAY_OPTIONS.model_copy(update={"actors": 1})
    )

    assert resumed.summary["this_run"]["graded"] == 6
    assert resumed.summary["this_run"]["skipped_done"] == 4
    assert by_id(resumed.output) == expected
    assert not (tmp_path / "ray.ray-pending.jsonl").exists()


def test_pairs_in_both_orders_match_a_local_run(ray_runtime: None, tmp_path: Path) -> None:
    rows = [
        {
            "id": i,
            "instruction": "How do I cook rice?",
            "response_a": "Rinse, boil, simmer covered." if i % 2 else "Stir.",
            "response_b": "Stir." if i % 2 else "Rinse the rice, boil water, simmer covered for 15 minutes.",
            "reference_answer": "Rinse the rice, boil water, simmer covered for 15 minutes.",
            "rubric": "helpfulness",
        }
        for i in range(8)
    ]
    source = write_rows(tmp_path / "pairs.jsonl", rows)
    spec = JudgeSpec(backend="fake", sampling={"seed": 5}, samples=2)
    options = RunOptions(mode="relative", batch_size=3, both_orders=True, use_cache=False)

    local = run_grading(source, tmp_path / "local.jsonl", spec.build(), options)
    remote = run_grading_on_ray(
        source, tmp_path / "ray.jsonl", spec, options, RAY_OPTIONS.model_copy(update={"actors": 1})
    )

    assert by_id(remote.output) == by_id(local.output)
    assert all("verdicts_swapped" in line for line in by_id(remote.output).values())
    assert remote.summary["both_orders"] == local.summary["both_orders"]


def test_a_local_run_resumes_on_ray_and_a_ray_run_resumes_locally(ray_runtime: None, tmp_path: Path) -> None:
    """One bookkeeping: the settings hash does not depend on the executor."""
    source = write_rows(tmp_path / "rows.jsonl", direct_rows(10))
    options = RunOptions(use_cache=False, batch_size=3)
    spec = JudgeSpec(sampling={"seed": 1})
    whole = run_grading(source, tmp_path / "whole.jsonl", spec.build(), options)
    expected = by_id(whole.output)
    for first, name in (("local", "local-then-ray"), ("ray", "ray-then-local")):
        out = tmp_path / f"{name}.jsonl"
        if first == "local":
            run_grading(source, out, spec.build(), options)
        else:
            run_grading_on_ray(source, out, spec, options, RAY_OPTIONS.model_copy(update={"actors": 1}))
        lines = out.read_text(encoding="utf-8").splitlines(keepends=True)
        out.write_text("".join(lines[:4]) + lines[4][:20], encoding="utf-8")  # killed mid-write
        if first == "local":
            resumed = run_grading_on_ray(
                source, out, spec, options, RAY_OPTIONS.model_copy(update={"actors": 1})
            )
        else:
            resumed = run_grading(source, out, spec.build(), options)
        assert resumed.summary["this_run"]["skipped_done"] == 4, name
        assert by_id(out) == expected, name


def test_a_ray_run_refuses_to_append_to_another_judges_results(tmp_path: Path) -> None:
    from judgeforge.errors import ConfigError

    source = write_rows(tmp_path / "rows.jsonl", direct_rows(2))
    options = RunOptions(use_cache=False)
    local = run_grading(source, tmp_path / "out.jsonl", JudgeSpec(sampling={"seed": 1}).build(), options)
    before = local.output.read_bytes()
    # checked before any Ray work starts: two judges' lines never mix
    with pytest.raises(ConfigError, match="other settings"):
        run_grading_on_ray(source, local.output, JudgeSpec(sampling={"seed": 2}), options, RAY_OPTIONS)
    assert local.output.read_bytes() == before


def test_grade_command_with_ray_writes_what_the_local_command_writes(
    ray_runtime: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from judgeforge.cli.main import main

    monkeypatch.setenv("JUDGEFORGE_CACHE_DIR", str(tmp_path / "cache"))
    source = write_rows(tmp_path / "rows.jsonl", direct_rows(5))
    common = [str(source), "--backend", "fake", "--sampling", "seed=3", "--samples", "2", "--quiet"]

    # exit code 1: the bad row, reported the same way by both
    assert main(["grade", *common, "-o", str(tmp_path / "local.jsonl")]) == 1
    assert main(["grade", *common, "-o", str(tmp_path / "ray.jsonl"), "--ray", "--ray-actors", "1"]) == 1

    assert by_id(tmp_path / "ray.jsonl") == by_id(tmp_path / "local.jsonl")
    assert (tmp_path / "ray.errors.jsonl").read_text() == (tmp_path / "local.errors.jsonl").read_text()
    manifest = json.loads((tmp_path / "ray.manifest.json").read_text())
    assert manifest["executor"] == "ray" and manifest["judge"]["samples"] == 2
