"""``judgeforge demo``: the main job of ``make demo``.

Until the toy world's committed judge exists, it grades ``examples/`` with the ``fake`` backend (a scripted
judge, not a language model) and says so.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("demo", help="grade the bundled examples end to end")
    parser.add_argument("--examples", default="examples", help="folder with direct.jsonl and pairs.jsonl")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from judgeforge.cli.common import read_jsonl
    from judgeforge.inputs import item_from_row
    from judgeforge.judge import Judge
    from judgeforge.records import DirectItem, PairItem

    console = Console()
    console.print(
        "[bold]judgeforge demo[/bold]: grading examples/ with the [yellow]fake[/yellow] backend "
        "(a deterministic scripted judge, not a language model)."
    )
    folder = Path(args.examples)
    judge = Judge("fake")
    direct = [item_from_row(row, record=n + 1) for n, row in read_jsonl(str(folder / "direct.jsonl"))]
    pairs = [item_from_row(row, record=n + 1) for n, row in read_jsonl(str(folder / "pairs.jsonl"))]
    graded = judge.grade_many([item for item in direct if isinstance(item, DirectItem)])
    compared = judge.compare_many([item for item in pairs if isinstance(item, PairItem)])
    table = Table("id", "score", "feedback", title="Direct assessment (1-5)")
    for judgment in graded:
        table.add_row(judgment.item_id, f"{judgment.score}", judgment.verdicts[0].feedback)
    console.print(table)
    table = Table("id", "winner", "feedback", title="Pairwise ranking (A or B)")
    for judgment in compared:
        table.add_row(judgment.item_id, f"{judgment.winner}", judgment.verdicts[0].feedback)
    console.print(table)
    return 0
