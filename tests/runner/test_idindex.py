"""The memory-bounded id index: exact across the spill to disk, and runs that spill resume and catch
duplicates as runs that do not."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from runner_helpers import good_row, read_lines, write_jsonl

from judgeforge.judge import Judge
from judgeforge.runner import RunOptions, idindex, run_grading
from judgeforge.runner.idindex import IdIndex


def test_the_index_is_an_exact_map_before_and_after_spilling(tmp_path: Path) -> None:
    rng = random.Random(3)
    expected: dict[str, int] = {}
    with IdIndex(memory_limit=50, folder=tmp_path) as index:
        for _ in range(1_000):
            key = f"id-{rng.randrange(400)}"
            value = rng.randrange(5)
            index[key] = value
            expected[key] = value
        assert index.recent and len(index.recent) < 50  # most entries left memory
        assert len(index) == len(expected)
        for number in range(450):
            key = f"id-{number}"
            assert (key in index) == (key in expected)
            assert index.get(key) == expected.get(key)
        assert list(tmp_path.glob("judgeforge-ids-*"))
    assert not list(tmp_path.glob("judgeforge-ids-*"))  # closed: the spill file is gone


@pytest.fixture
def tiny_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(idindex, "DEFAULT_MEMORY_LIMIT", 4)


def test_a_spilling_run_resumes_and_reports_duplicates_like_any(tmp_path: Path, tiny_memory: None) -> None:
    rows = [good_row(i, id=f"r{i}") for i in range(30)] + [good_row(99, id="r7")]  # one duplicate id
    source = write_jsonl(tmp_path / "in.jsonl", rows)
    whole = run_grading(
        source, tmp_path / "whole.jsonl", Judge("fake"), RunOptions(use_cache=False, batch_size=4)
    )
    assert whole.summary["graded"] == 30 and whole.summary["bad_rows"] == 1
    [duplicate] = read_lines(whole.errors)
    assert duplicate["id"] == "r7" and "duplicate" in duplicate["message"]
    out = tmp_path / "part.jsonl"
    lines = whole.output.read_text(encoding="utf-8").splitlines(keepends=True)
    out.write_text("".join(lines[:17]) + lines[17][:10], encoding="utf-8")  # killed mid-write
    resumed = run_grading(source, out, Judge("fake"), RunOptions(use_cache=False, batch_size=4))
    assert resumed.summary["this_run"]["skipped_done"] == 17 and resumed.summary["this_run"]["graded"] == 13
    by_id = {line["id"]: line for line in read_lines(out)}
    assert len(by_id) == 30 == len(read_lines(out))
    assert by_id == {line["id"]: line for line in read_lines(whole.output)}
