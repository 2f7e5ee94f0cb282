"""Bounded memory: a 200,000-row run with the fake backend at zero latency stays under 300 MB peak RSS."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from runner_helpers import cli_command

ROWS = 200_000
LIMIT_MB = 300
# Runs the CLI as a grandchild and reports its peak RSS (ru_maxrss of the waited-for children, in KiB).
MEASURE = (
    "import resource, subprocess, sys; "
    "code = subprocess.run(sys.argv[1:]).returncode; "
    "print(code, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)


@pytest.mark.slow
def test_200k_rows_peak_rss_under_300_mb(tmp_path: Path, cli_env: dict[str, str]) -> None:
    source = tmp_path / "big.jsonl"
    with source.open("w", encoding="utf-8") as handle:
        for index in range(ROWS):
            row = {
                "id": f"row-{index}",
                "instruction": f"Question {index}?",
                "response": f"Answer {index % 97}.",
            }
            handle.write(json.dumps(row) + "\n")
    out = tmp_path / "out.jsonl"
    command = cli_command(
        "grade", str(source), "-o", str(out), "--rubric", "helpfulness", "--backend", "fake"
    )
    command += ["--no-cache", "--batch-size", "256", "--quiet"]
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, *command], env=cli_env, capture_output=True, text=True, timeout=900
    )
    code, peak_kib = (int(value) for value in done.stdout.split())
    assert code == 0, done.stderr
    with out.open("rb") as handle:
        assert sum(1 for _ in handle) == ROWS
    peak_mb = peak_kib / 1024
    print(f"peak RSS of a {ROWS}-row run: {peak_mb:.0f} MB")
    assert peak_mb < LIMIT_MB
