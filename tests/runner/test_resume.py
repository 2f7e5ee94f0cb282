"""Crash safety: kill -9 at random points and resume; partial lines; cache reuse; --retry-failed."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import time
from pathlib import Path

import pytest
from runner_helpers import cli_command, good_row, read_lines, run_cli, verdict_pairs, write_jsonl

from judgeforge.errors import ConfigError
from judgeforge.judge import Judge
from judgeforge.runner import RetryPolicy, RunOptions, run_grading
from judgeforge.runner.output import repair_tail

ROWS = 1200
SLOW = (
    "--backend",
    "fake",
    "--backend-option",
    "latency_ms=3",
    "--batch-size",
    "4",
    "--concurrency",
    "2",
    "--quiet",
)


def _count_lines(path: Path) -> int:
    return path.read_bytes().count(b"\n") if path.exists() else 0


def _kill_midway(args: list[str], out: Path, env: dict[str, str], target: int) -> bool:
    """Start the CLI, SIGKILL it once ``out`` holds ``target`` lines; False if it finished first."""
    process = subprocess.Popen(cli_command(*args), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while process.poll() is None and time.monotonic() < deadline:
        if _count_lines(out) >= target:
            process.send_signal(signal.SIGKILL)
            process.wait()
            return True
        time.sleep(0.005)
    process.wait()
    return False


def test_sigkill_at_random_points_then_resume_matches_uninterrupted_run(
    tmp_path: Path, cli_env: dict[str, str]
) -> None:
    rows = [good_row(i, id=f"r{i}") if i % 5 else good_row(i) for i in range(ROWS)]
    rows[17] = "{broken"  # bad rows are reported on every run, never graded
    source = write_jsonl(tmp_path / "in.jsonl", rows)
    reference = tmp_path / "reference.jsonl"
    # the reference run does not fill the cache: the killed runs below must call the backend themselves
    done = run_cli(
        "grade", str(source), "-o", str(reference), "--samples", "2", "--no-cache", *SLOW, env=cli_env
    )
    assert done.returncode == 1, done.stderr  # 1: the bad row
    out = tmp_path / "killed.jsonl"
    args = ["grade", str(source), "-o", str(out), "--samples", "2", *SLOW]
    rng = random.Random(4)
    kills = 0
    for _ in range(4):
        already = _count_lines(out)
        if _kill_midway(args, out, cli_env, already + rng.randint(20, (ROWS - already) // 3)):
            kills += 1
    assert kills >= 3
    assert _count_lines(out) < ROWS - 1
    final = run_cli(*args, env=cli_env)
    assert final.returncode == 1, final.stderr
    lines = read_lines(out)
    ids = [str(line["id"]) for line in lines]
    assert len(ids) == len(set(ids)) == ROWS - 1
    assert verdict_pairs(out) == verdict_pairs(reference)
    errors = read_lines(tmp_path / "killed.errors.jsonl")
    assert [error["line"] for error in errors] == [18]
    summary = json.loads((tmp_path / "killed.summary.json").read_text())
    assert summary["rows"] == ROWS - 1 and summary["this_run"]["graded"] < ROWS - 1
    assert summary["this_run"]["backend_calls"] > 0


def test_partial_last_line_is_dropped_and_regraded(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", [good_row(i) for i in range(10)])
    out = tmp_path / "out.jsonl"
    run_grading(source, out, Judge("fake"), RunOptions())
    complete = out.read_bytes()
    lines = complete.splitlines(keepends=True)
    out.write_bytes(b"".join(lines[:6]) + lines[6][:25])  # a kill in the middle of a write
    report = run_grading(source, out, Judge("fake"), RunOptions())
    assert report.summary["this_run"]["repaired_bytes"] == 25
    assert report.summary["this_run"]["graded"] == 4
    assert sorted(out.read_bytes().splitlines()) == sorted(complete.splitlines())


def test_repair_tail_edge_cases(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"no newline at all")
    assert repair_tail(path) == 17 and path.read_bytes() == b""
    path.write_bytes(b'{"id": 1}\n')
    assert repair_tail(path) == 0
    path.write_bytes(b"x" * 200_000 + b"\n" + b"y" * 100_000)
    assert repair_tail(path) == 100_000 and path.stat().st_size == 200_001


def test_cache_makes_a_new_run_free_and_no_cache_skips_it(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", [good_row(i) for i in range(40)])
    first = run_grading(source, tmp_path / "a.jsonl", Judge("fake"), RunOptions())
    second = run_grading(source, tmp_path / "b.jsonl", Judge("fake"), RunOptions())
    assert first.summary["this_run"]["cache"]["misses"] == 40
    assert second.summary["this_run"]["cache"] == {
        **first.summary["this_run"]["cache"],
        "hits": 40,
        "misses": 0,
    }
    assert second.summary["this_run"]["backend_calls"] == 0
    assert verdict_pairs(tmp_path / "a.jsonl") == verdict_pairs(tmp_path / "b.jsonl")
    other_seed = Judge("fake", sampling={"seed": 5})
    third = run_grading(source, tmp_path / "c.jsonl", other_seed, RunOptions())
    assert third.summary["this_run"]["cache"]["hits"] == 0  # the seed is part of the key
    fourth = run_grading(source, tmp_path / "d.jsonl", Judge("fake"), RunOptions(use_cache=False))
    assert "cache" not in fourth.summary["this_run"] and fourth.summary["this_run"]["backend_calls"] == 2


def test_rerun_of_a_finished_run_does_nothing(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", [good_row(i) for i in range(12)])
    out = tmp_path / "out.jsonl"
    run_grading(source, out, Judge("fake"), RunOptions(use_cache=False))
    before = out.read_bytes()
    again = run_grading(source, out, Judge("fake"), RunOptions(use_cache=False))
    assert out.read_bytes() == before
    assert again.summary["this_run"]["graded"] == 0 and again.summary["rows"] == 12


def test_failed_rows_are_kept_then_regraded_with_retry_failed(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", [good_row(i, id=f"r{i}") for i in range(30)])
    out = tmp_path / "out.jsonl"
    broken = Judge("fake", backend_options={"fail_rate": 1.0}, max_attempts=1)
    options = RunOptions(use_cache=False, batch_size=8)
    first = run_grading(
        source, out, broken, options.model_copy(update={"retry": RetryPolicy(max_retries=1, initial_delay=0)})
    )
    assert first.exit_code == 1
    assert first.summary["failures_by_reason"] == {"backend error": 30}
    assert all(line["failure"].startswith("backend error") for line in read_lines(out))
    plain = run_grading(source, out, Judge("fake"), options)
    assert plain.summary["this_run"]["graded"] == 0 and plain.exit_code == 1
    retried = run_grading(source, out, Judge("fake"), options.model_copy(update={"retry_failed": True}))
    assert retried.summary["this_run"]["graded"] == 30 and retried.exit_code == 0
    lines = read_lines(out)
    assert len(lines) == 30 and all(line["failure"] is None for line in lines)


def test_retry_failed_regrades_only_failed_rows(tmp_path: Path) -> None:
    rows = [good_row(i, id=f"r{i}") for i in range(20)]
    source = write_jsonl(tmp_path / "in.jsonl", rows)
    out = tmp_path / "out.jsonl"
    run_grading(source, out, Judge("fake"), RunOptions(use_cache=False))
    lines = read_lines(out)
    lines[3]["failure"] = "backend error: timeout"
    lines[3]["score"] = None
    write_jsonl(out, lines)
    report = run_grading(source, out, Judge("fake"), RunOptions(use_cache=False, retry_failed=True))
    assert report.summary["this_run"]["graded"] == 1
    assert [line["id"] for line in read_lines(out)].count("r3") == 1


def test_refuses_to_mix_settings_in_one_output(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", [good_row(i) for i in range(3)])
    out = tmp_path / "out.jsonl"
    run_grading(source, out, Judge("fake"), RunOptions(use_cache=False))
    with pytest.raises(ConfigError, match="other settings"):
        run_grading(source, out, Judge("fake", samples=2), RunOptions(use_cache=False))
