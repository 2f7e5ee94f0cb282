"""A real leaderboard run: the committed toy judges rank the toy world's five response levels.

The toy world writes, for each task, five responses whose true scores are 1..5 (docs/toy_reproduction.md).
Each level becomes a "model" (``score1`` .. ``score5``); the committed joint toy judge (direct assessment and
pairwise ranking, through the in-process transformers backend, greedy) ranks them with the ``direct`` and
``pairs`` protocols. Prints the leaderboard tables and whether each protocol's ranking is the true order.

    .venv/bin/python benchmarks/leaderboard_toy.py [--judge toy/models/joint] [--groups 8] [-o leaderboard-toy]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from judgeforge.bench.registry import benchmarks
from judgeforge.judge import Judge
from judgeforge.leaderboard import LeaderboardOptions, run_leaderboard
from judgeforge.toy.dataset import WorldSpec, write_world

TRUE_ORDER = ["score5", "score4", "score3", "score2", "score1"]


def model_rows(world: Path) -> list[dict[str, object]]:
    """One row per (task, level): the toy direct test set, parsed back into items."""
    items = benchmarks.get("toy-direct").load(world / "bench" / "toy_direct.json")
    return [
        {
            "model": item.meta["response_source"],
            "instruction": item.instruction,
            "output": item.response,
            "rubric": item.rubric.model_dump(),
            "reference_answer": item.reference_answer,
            "category": item.category,
        }
        for item in items
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--judge", default="toy/models/joint")
    parser.add_argument("--groups", type=int, default=8, help="toy tasks per family")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("-o", "--output", default="leaderboard-toy")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        world = Path(tmp) / "world"
        write_world(
            world, WorldSpec(seed=args.seed, train_groups=1, test_groups=args.groups, pretrain_groups=1)
        )
        responses = Path(args.output) / "responses.jsonl"
        responses.parent.mkdir(parents=True, exist_ok=True)
        responses.write_text("".join(json.dumps(row) + "\n" for row in model_rows(world)), encoding="utf-8")
    judge = Judge(
        "transformers",
        backend_options={"model": args.judge, "dtype": "float32", "batch_size": 64},
        chat_format="tokenizer",
        sampling={"temperature": 0.0, "repetition_penalty": 1.0, "max_tokens": 200},
        check_preset=False,
    )
    options = LeaderboardOptions(protocols=("direct", "pairs"), seed=args.seed, resamples=1000)
    result = run_leaderboard([str(responses)], args.output, judge, options)
    board = result.board
    print(json.dumps({key: board[key] for key in ("models", "instructions")}, indent=1))
    for protocol in ("direct", "pairs"):
        ranking = [row["model"] for row in board[protocol]["ranking"]]
        verdict = "the true order" if ranking == TRUE_ORDER else "NOT the true order"
        print(f"{protocol}: {' > '.join(ranking)} ({verdict})")


if __name__ == "__main__":
    main()
