"""Helpers for runner tests: input files, CLI runs in a subprocess, reading results."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

RUBRIC = "helpfulness"
WORDS = [
    "rice",
    "water",
    "boil",
    "salt",
    "cover",
    "simmer",
    "rest",
    "fluff",
    "pot",
    "heat",
    "stove",
    "minutes",
    "cup",
    "rinse",
]


def good_row(index: int, **extra: Any) -> dict[str, Any]:
    words = [WORDS[(index * 7 + k * 3) % len(WORDS)] for k in range(12)]
    row = {
        "instruction": f"How do I cook rice, question {index}?",
        "response": " ".join(words),
        "rubric": RUBRIC,
    }
    if index % 3 == 0:
        row["reference_answer"] = " ".join(reversed(words))
    row.update(extra)
    return row


def pair_row(index: int, **extra: Any) -> dict[str, Any]:
    row = good_row(index)
    row["response_a"] = row.pop("response")
    row["response_b"] = " ".join(WORDS[(index + k) % len(WORDS)] for k in range(9))
    row.update(extra)
    return row


def write_jsonl(path: Path, rows: list[Any]) -> Path:
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write((row if isinstance(row, str) else json.dumps(row)) + "\n")
    return path


def read_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def verdict_pairs(path: Path) -> list[tuple[str, Any]]:
    """(id, aggregate verdict) per line, sorted: the multiset compared across runs."""
    pairs = [(str(line["id"]), line.get("score", line.get("winner"))) for line in read_lines(path)]
    return sorted(pairs)


def cli_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "judgeforge", *args]


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cli_command(*args), env=env, capture_output=True, text=True, timeout=600)
