"""Synthetic models of known quality for the leaderboard and its report: responses whose word overlap with
the reference answer (what the fake judge scores) is set by a quality level 1..5."""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

WORDS_PER_ANSWER = 20
VOCABULARY = [f"term{index}" for index in range(400)]
FILLER = [f"fill{index}" for index in range(400)]


def quality_response(reference: Sequence[str], quality: int, rng: random.Random) -> str:
    """A response sharing (quality - 1) / 4 of the reference's words, padded to the same word count."""
    shared = round((quality - 1) / 4 * len(reference))
    words = list(reference[:shared]) + rng.sample(FILLER, len(reference) - shared)
    rng.shuffle(words)
    return " ".join(words)


def quality_rows(levels: dict[str, int], instructions: int, seed: int = 0) -> list[dict[str, Any]]:
    """One row per (instruction, model) with a ``model`` column, a reference answer and a category."""
    rng = random.Random(seed)
    rows = []
    for index in range(instructions):
        reference = rng.sample(VOCABULARY, WORDS_PER_ANSWER)
        for model, quality in levels.items():
            rows.append(
                {
                    "instruction": f"Question {index}: explain the topic in full.",
                    "model": model,
                    "response": quality_response(reference, quality, rng),
                    "reference_answer": " ".join(reference),
                    "category": "even" if index % 2 == 0 else "odd",
                }
            )
    return rows


def write_jsonl(path: Path, rows: Sequence[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def fake_board(root: Path, levels: dict[str, int], instructions: int, baseline: str, **options: Any) -> Any:
    """A leaderboard run in ``root / "board"`` with every protocol, ranked by the fake judge through the library:
    ``levels`` models of known quality on ``instructions`` instructions, two categories (even/odd) with one
    rubric each (helpfulness/honesty); ``options`` go to LeaderboardOptions. The LeaderboardResult."""
    from judgeforge.judge import Judge
    from judgeforge.leaderboard import LeaderboardOptions, run_leaderboard
    from judgeforge.runner import RunOptions

    rows = quality_rows(levels, instructions=instructions)
    for row in rows:
        row["rubric"] = "helpfulness" if row["category"] == "even" else "honesty"
    source = write_jsonl(root / "responses.jsonl", rows)
    settings = LeaderboardOptions(
        protocols=("direct", "baseline", "pairs"),
        baseline=baseline,
        run=RunOptions(use_cache=False),
        **options,
    )
    return run_leaderboard([source], root / "board", Judge("fake", check_preset=False), settings)
