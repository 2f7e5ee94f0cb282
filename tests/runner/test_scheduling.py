"""Concurrency window, batching, progress bar and dataset-folder input."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

import pytest
from runner_helpers import good_row, read_lines, verdict_pairs, write_jsonl

from judgeforge.backends.base import Backend
from judgeforge.judge import Judge
from judgeforge.records import Completion, Prompt
from judgeforge.runner import RunOptions, run_grading
from judgeforge.runner.progress import Progress
from judgeforge.sampling import SamplingParams


class Tracking(Backend):
    """Records the size of each call and the most calls ever in flight at once."""

    name: ClassVar[str] = "tracking"

    def __init__(self) -> None:
        self.in_flight = 0
        self.peak = 0
        self.sizes: list[int] = []

    def identity(self) -> dict[str, str]:
        return {"backend": self.name}

    async def generate(self, prompts: Sequence[Prompt], params: SamplingParams) -> list[Completion]:
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        self.sizes.append(len(prompts))
        await asyncio.sleep(0.01)
        self.in_flight -= 1
        return [Completion(text="Fine. [RESULT] 3")] * len(prompts)


@pytest.mark.parametrize("concurrency", [1, 3])
def test_window_bounds_calls_in_flight_and_batches_rows(tmp_path: Path, concurrency: int) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", [good_row(i) for i in range(50)])
    backend = Tracking()
    options = RunOptions(batch_size=8, concurrency=concurrency, use_cache=False)
    report = run_grading(source, tmp_path / "out.jsonl", Judge(backend), options)
    assert report.exit_code == 0
    assert backend.peak == concurrency
    assert sorted(backend.sizes) == sorted([8] * 6 + [2])
    assert len(read_lines(report.output)) == 50


def test_progress_bar_draws_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    from rich.console import Console

    stream = io.StringIO()
    monkeypatch.setattr(
        "rich.progress.get_console", lambda: Console(file=stream, force_terminal=True, width=120)
    )
    progress = Progress(True, total=10, done=2)
    progress.advance(5)
    progress.close()
    assert "7/10" in stream.getvalue() and "rows/s" in stream.getvalue()
    Progress(False, total=None).advance(3)  # disabled: draws nothing, costs nothing


def test_dataset_folder_of_data_files_is_read_with_datasets(tmp_path: Path) -> None:
    pytest.importorskip("datasets")
    folder = tmp_path / "my_dataset"
    folder.mkdir()
    rows = [good_row(i, id=f"r{i}") for i in range(5)]
    write_jsonl(folder / "train.jsonl", rows)
    report = run_grading(folder, tmp_path / "out.jsonl", Judge("fake"), RunOptions(use_cache=False))
    assert report.exit_code == 0, read_lines(report.errors)
    plain = run_grading(
        folder / "train.jsonl", tmp_path / "plain.jsonl", Judge("fake"), RunOptions(use_cache=False)
    )
    assert verdict_pairs(report.output) == verdict_pairs(plain.output)
