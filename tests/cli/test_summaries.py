"""End-of-run summaries: grade/compare say what they did, cost and wrote; bench ends with its table; serve
says where it listens and its limits."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

from judgeforge.cli.main import main

ROW = {"instruction": "Cook rice?", "response": "Boil it.", "rubric": "helpfulness"}


def test_grade_ends_with_counts_tokens_cost_retries_and_files(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    source = tmp_path / "in.jsonl"
    source.write_text(
        json.dumps(ROW) + "\n" + json.dumps({"instruction": "no response"}) + "\n", encoding="utf-8"
    )
    out = tmp_path / "out" / "results.jsonl"
    code = main(
        ["grade", str(source), "-o", str(out), "--backend", "fake", "--no-cache",
         "--price-per-1k-tokens", "2", "--currency", "EUR"]
    )  # fmt: skip
    error = capsys.readouterr().err
    summary = json.loads((tmp_path / "out" / "results.summary.json").read_text())
    assert code == 1
    assert "1 graded, 0 failed, 1 bad input; this run read 2 rows and graded 1 in" in error
    assert (
        f"{summary['tokens_in']:,} in, {summary['tokens_out']:,} out; cost {summary['cost']:,.4f} EUR"
        in error
    )
    assert "0 retries" in error and " s (" in error  # duration and speed
    for path in (out, out.with_name("results.errors.jsonl"), out.with_name("results.summary.json")):
        assert str(path) in error


def test_bench_ends_with_the_judges_by_benchmarks_table(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    pairs = tmp_path / "pairs.jsonl"
    rows = [
        {
            "instruction": f"Q{i}?",
            "chosen": "A thorough, correct answer.",
            "rejected": "No.",
            "rubric": "helpfulness",
        }
        for i in range(4)
    ]
    pairs.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    code = main(["bench", "pairwise", "--data", f"pairwise={pairs}", "--judge", "length", "-o", str(tmp_path / "b"),
                 "--resamples", "0"])  # fmt: skip
    error = capsys.readouterr().err
    assert code == 0
    assert "benchmark" in error and "coverage" in error and "95% CI" in error
    assert "length" in error and "pairwise" in error and "4/4" in error


def test_serve_says_where_it_listens_and_its_limits(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "judgeforge", "serve", "--port", str(port), "--backend", "fake",
               "--insecure-no-auth", "--max-items", "5"]  # fmt: skip
    env = {**os.environ, "JUDGEFORGE_API_KEYS": ""}
    process = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stderr is not None
        first = process.stderr.readline()
    finally:
        process.terminate()
        process.communicate(timeout=30)
    assert f"http://127.0.0.1:{port}/v1" in first and "5 items per request" in first
    assert "no authentication" in first
