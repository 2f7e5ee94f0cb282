"""``judgeforge grade`` and ``judgeforge compare``: grade JSONL items with a judge, JSONL verdicts out."""

from __future__ import annotations

import argparse
import json
from typing import Any

from judgeforge.cli.common import (
    add_backend_options,
    add_prompt_options,
    load_tokenizer,
    open_output,
    parse_sampling,
    read_jsonl,
)


def register(subparsers: Any) -> None:
    for name, mode, help_text in (
        ("grade", "absolute", "direct assessment: a score 1-5 per response"),
        ("compare", "relative", "pairwise ranking: A or B per pair"),
    ):
        parser = subparsers.add_parser(name, help=help_text)
        parser.add_argument("input", help="JSONL of items ('-' for stdin)")
        parser.add_argument("-o", "--output", default=None, help="JSONL output (default: stdout)")
        parser.add_argument("--rubric", default=None, help="rubric for rows without one (name or file)")
        parser.add_argument("--samples", type=int, default=1, help="verdicts per item")
        parser.add_argument("--max-attempts", type=int, default=3, help="regenerations on a parse failure")
        add_prompt_options(parser)
        add_backend_options(parser)
        parser.set_defaults(func=run, mode=mode)


def run(args: argparse.Namespace) -> int:
    from judgeforge.backends import parse_option_pairs
    from judgeforge.inputs import item_from_row
    from judgeforge.judge import Judge
    from judgeforge.records import DirectItem, PairItem
    from judgeforge.rubrics import load_rubric

    rubric = load_rubric(args.rubric) if args.rubric else None
    judge = Judge(
        args.backend,
        args.template_set,
        args.chat_format,
        sampling=parse_sampling(args.sampling),
        max_attempts=args.max_attempts,
        samples=args.samples,
        tokenizer=load_tokenizer(args.tokenizer),
        backend_options=parse_option_pairs(args.backend_option),
    )
    items = [
        item_from_row(row, record=f"line {number + 1}", mode=args.mode, rubric=rubric).model_copy(
            update={"id": row.get("id") if isinstance(row.get("id"), str) else str(row.get("id", number))}
        )
        for number, row in read_jsonl(args.input)
    ]
    if args.mode == "absolute":
        judgments = judge.grade_many([item for item in items if isinstance(item, DirectItem)])
    else:
        judgments = judge.compare_many([item for item in items if isinstance(item, PairItem)])
    with open_output(args.output) as out:
        for judgment in judgments:
            out.write(json.dumps(judgment.model_dump(mode="json"), ensure_ascii=False) + "\n")
    return 1 if any(j.failure for j in judgments) else 0
