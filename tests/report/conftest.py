"""Runs to report on, made here with the fake backend: a grading run, a grading run with parse failures,
a benchmark run with a judge that has verdicts for 20% of the items and one that has none, and a
leaderboard run with every protocol."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from judgeforge.cli.main import main
from paths import REPO


def cli(*args: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "judgeforge", *args], cwd=REPO, capture_output=True, text=True
    )
    assert result.returncode in (0, 1), result.stderr


@pytest.fixture(scope="session")
def grading_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("grading") / "graded.jsonl"
    cli("grade", "examples/direct.jsonl", "-o", str(out), "--samples", "3", "--quiet", "--no-cache",
        "--backend", "fake")  # fmt: skip
    return out


@pytest.fixture(scope="session")
def failing_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """20 rows, 2 samples each, ~30% of outputs unparseable and no parse retries."""
    root = tmp_path_factory.mktemp("failing")
    rows = [json.loads(line) for line in (REPO / "examples" / "direct.jsonl").read_text().splitlines()]
    source = root / "input.jsonl"
    source.write_text("".join(json.dumps({**rows[i % 4], "id": f"row-{i}"}) + "\n" for i in range(20)))
    out = root / "graded.jsonl"
    cli("grade", str(source), "-o", str(out), "--backend", "fake", "--backend-option", "garbage_rate=0.3",
        "--max-attempts", "1", "--samples", "2", "--quiet", "--no-cache")  # fmt: skip
    return out


def _bench_data(root: Path, items: int) -> tuple[Path, Path]:
    from judgeforge.prompts import PromptRenderer
    from judgeforge.prompts.rubrics import load_rubric
    from judgeforge.records import DirectItem

    renderer = PromptRenderer("prometheus2", "none")
    records = []
    for i in range(items):
        item = DirectItem(
            instruction=f"Name {i % 5 + 1} colours.",
            response="red " * (i % 5 + 1),
            rubric=load_rubric("helpfulness"),
            reference_answer="red green blue yellow pink",
        )
        records.append({"idx": str(i), "category": "colours" if i % 2 else "shapes",
                        "instruction": renderer.direct(item).user, "gpt4_score": [i % 5 + 1],
                        "gpt4_feedback": ["ok"], "response_source": "toy"})  # fmt: skip
    direct, pairs = root / "direct.json", root / "pairs.jsonl"
    direct.write_text(json.dumps(records), encoding="utf-8")
    pair_rows = [
        {"instruction": f"Say hello number {i}", "chosen": f"hello {i}", "rejected": "no", "source": "toy"}
        for i in range(6)
    ]
    pairs.write_text("".join(json.dumps(r) + "\n" for r in pair_rows), encoding="utf-8")
    return direct, pairs


def run_bench(root: Path, items: int) -> Path:
    direct, pairs = _bench_data(root, items)
    out = root / "out"
    argv = ["bench", "vicuna", "pairwise", "--data", f"vicuna={direct}", "--data", f"pairwise={pairs}",
            "--backend", "fake", "--judge", "length", "--resamples", "20", "-o", str(out)]  # fmt: skip
    assert main(argv) == 0
    return out


@pytest.fixture(scope="session")
def bench_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return run_bench(tmp_path_factory.mktemp("bench"), 12)


def _drop_verdicts(rows: list[dict[str, Any]], keep: int) -> list[dict[str, Any]]:
    """Rows as a judge that could not be parsed on all but the first ``keep`` items would leave them."""
    failed = {"score": None, "winner": None, "feedback": "", "failure": "no [RESULT] marker", "raw": "Hmm."}
    for row in rows[keep:]:
        runs = len(row.get("scores") or row.get("verdicts") or [1])
        row.update(score=None, scores=[None] * runs, verdicts=[dict(failed)] * runs)
        if "winner" in row:
            row["winner"] = None
    return rows


@pytest.fixture(scope="session")
def sparse_bench_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """20 direct items: ``length`` parsed all, ``sparse`` 4 of 20 (20%), ``silent`` none."""
    out = run_bench(tmp_path_factory.mktemp("sparse"), 20)
    results = out / "results"
    for judge, keep in (("sparse", 4), ("silent", 0)):
        shutil.copytree(results / "length", results / judge)
        for path in (results / judge).glob("*/*.jsonl"):
            rows = [json.loads(line) for line in path.read_text().splitlines()]
            path.write_text("".join(json.dumps(r) + "\n" for r in _drop_verdicts(rows, keep)))
    assert main(["bench", "score", str(out), "--resamples", "20"]) == 0
    return out


LEADERBOARD_MODELS = {"steady": 3, "weak": 1, "strong-model": 5, "good": 4}  # a long name: slanted labels


@pytest.fixture(scope="session")
def leaderboard_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four models of known quality on 10 instructions (two categories, two rubrics), ranked by the fake
    judge with every protocol (baseline: ``steady``) through the library; the run's folder."""
    from support.leaderboard_rows import fake_board

    root = tmp_path_factory.mktemp("leaderboard")
    result = fake_board(
        root, LEADERBOARD_MODELS, instructions=10, baseline="steady", length_control=True, resamples=100
    )
    assert result.exit_code == 0
    return root / "board"
