"""End to end through ``judgeforge bench``: fake LM judge, baselines side by side, resume, offline scoring."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from judgeforge.cli.main import main


def lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_bench_vicuna_with_fake_backend_resumes_and_rescores(shared_dir: Path, tmp_path: Path) -> None:
    data = shared_dir / "benchmarks" / "prometheus-eval" / "vicuna_eval.json"
    out = tmp_path / "out"
    common = ["--backend", "fake", "-o", str(out), "--resamples", "20", "--data", f"vicuna={data}"]
    assert main(["bench", "vicuna", "--limit", "2", *common]) == 0
    results = out / "results" / "lm-fake" / "vicuna" / "direct.jsonl"
    first = lines(results)
    assert len(first) == 2 and all(len(row["scores"]) == 3 for row in first)  # type: ignore[arg-type]
    assert main(["bench", "vicuna", "--limit", "4", *common]) == 0
    second = lines(results)
    assert len(second) == 4 and second[:2] == first  # resumed: the first two rows were not redone
    summary = json.loads((out / "summary.json").read_text())
    metrics = summary["results"]["lm-fake"]["vicuna"]["direct"]
    assert metrics["items"] == 4 and "pearson" in metrics["vs_gpt4"]
    assert "| vicuna | direct | Pearson vs gpt4" in (out / "report.md").read_text()
    (out / "summary.json").unlink()
    assert main(["bench", "score", str(out), "--resamples", "20"]) == 0
    assert json.loads((out / "summary.json").read_text()) == summary


def test_bench_pairs_all_modes_several_judges(chosen_rejected_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["bench", "pairwise", "--data", f"pairwise={chosen_rejected_file}", "-o", str(out)]
    args += [
        "--backend",
        "fake",
        "--judge",
        "length",
        "--judge",
        "rouge-l",
        "--runs",
        "1",
        "--resamples",
        "0",
    ]
    args += ["--mode", "relative", "--mode", "a2r", "--mode", "both"]
    assert main(args) == 0
    summary = json.loads((out / "summary.json").read_text())["results"]
    assert sorted(summary) == ["length", "lm-fake", "rouge-l"]
    for judge in ("length", "rouge-l"):
        metrics = summary[judge]["pairwise"]
        # the chosen responses are the longer ones and the closer to the reference: baselines get all right
        assert metrics["relative"]["accuracy_ties_counted"] == 1.0
        assert metrics["both"]["swap_consistency"] == 1.0
        assert metrics["cross"]["pairs"] == 6
        assert set(metrics["relative"]["by_category_ties_counted"]) == {"geo", "misc"}
    fake = summary["lm-fake"]["pairwise"]
    assert fake["a2r"]["items"] == 6 and fake["both"]["swap_consistency"] is not None
    report = (out / "report.md").read_text()
    assert "| Benchmark | Mode | Metric | length | lm-fake | rouge-l |" in report


def test_bench_rejects_unknown_benchmark_and_missing_judge(tmp_path: Path) -> None:
    assert main(["bench", "nope", "--judge", "length", "-o", str(tmp_path)]) == 2
    assert main(["bench", "vicuna", "-o", str(tmp_path)]) == 2


def test_bench_list(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "list"]) == 0
    names = [line.split("\t")[0] for line in capsys.readouterr().out.splitlines()]
    for name in ("vicuna", "mt-bench", "flask", "feedback-bench", "hhh", "mt-bench-human", "autoj"):
        assert name in names
    assert "preference-bench" in names and "judgebench" in names and "pairwise" in names
