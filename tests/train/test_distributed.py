"""A 2-process data-parallel CPU run through `accelerate launch` (gloo), and the CLI around it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from judgeforge.cli.main import main

pytest.importorskip("trl")
pytest.importorskip("accelerate")

REPO = Path(__file__).resolve().parents[2]


def test_two_cpu_processes_train_data_parallel_and_finish_cleanly(
    overrides: Callable[[str, Path], list[str]], tmp_path: Path
) -> None:
    out = tmp_path / "ddp"
    command = [sys.executable, "-m", "judgeforge", "train", "tiny-da", "--launch"]
    for item in [*overrides("tiny-da", out), "training.max_steps=2"]:
        command += ["--set", item]
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "OMP_NUM_THREADS": "1"}
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-4000:]
    markers = [json.loads(path.read_text()) for path in sorted((out / "ranks").glob("rank-*.json"))]
    assert [(m["rank"], m["world_size"], m["global_step"]) for m in markers] == [(0, 2, 2), (1, 2, 2)]
    assert markers[0]["pid"] != markers[1]["pid"]  # two processes, not one process told it has two ranks
    summary = json.loads((out / "train_summary.json").read_text())
    assert summary["world_size"] == 2 and summary["final_loss"] is not None
    assert (out / "model.safetensors").is_file()
    final = json.loads(done.stdout.strip().splitlines()[-1])  # only rank 0 reports
    assert final["world_size"] == 2 and done.stdout.count('"output_dir"') == 1
    assert "destroy_process_group() was not called" not in done.stderr


def test_cli_dry_run_resolves_model_and_data_without_training(
    overrides: Callable[[str, Path], list[str]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "never"
    args = ["train", "tiny-joint", "--dry-run"]
    for item in overrides("tiny-joint", out):
        args += ["--set", item]
    assert main(args) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["model"]["source"] == "local"
    assert report["data"]["rows"] == {"feedback": 10, "preference": 20}
    assert report["data"]["instruction_mismatches"] == {"feedback": 0, "preference": 0}
    assert report["examples"] == 30 and report["lengths"]["over_max_length"] == 0
    assert "accelerate.commands.launch" in report["launch"] and not out.exists()


def test_cli_errors_are_reported_not_raised(
    overrides: Callable[[str, Path], list[str]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = overrides("tiny-da", tmp_path / "x")
    assert main(["train", "tiny-da", "--dry-run", *_sets([*base, "data.feedback.path=nope.jsonl"])]) == 2
    assert "nope.jsonl" in capsys.readouterr().err
    assert main(["train", "tiny-da", "--dry-run", *_sets([*base, "training.lr=1"])]) == 2
    assert "unknown SFTConfig arguments: lr" in capsys.readouterr().err
    assert main(["train", "tiny-da", "--merge-lora", *_sets(base)]) == 2
    assert "lora section" in capsys.readouterr().err


def _sets(items: list[str]) -> list[str]:
    return [arg for item in items for arg in ("--set", item)]
