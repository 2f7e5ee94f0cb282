"""``judgeforge render``: JSONL items in -> JSONL rendered prompts out (system, user, text)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from judgeforge.cli.common import add_prompt_options, load_tokenizer, open_output, prompt_settings, read_jsonl


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("render", help="render items into exact judge prompts")
    parser.add_argument("input", help="JSONL of items ('-' for stdin)")
    parser.add_argument("-o", "--output", default=None, help="JSONL output (default: stdout)")
    add_prompt_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from judgeforge.inputs import item_from_row
    from judgeforge.prompts import PromptRenderer
    from judgeforge.records import DirectItem

    template_set, chat_format = prompt_settings(args)  # explicit options, else the preset's, else defaults
    renderer = PromptRenderer(template_set, chat_format, load_tokenizer(args.tokenizer))
    with open_output(args.output) as out:
        for number, row in read_jsonl(args.input):
            item = item_from_row(row, record=f"line {number + 1}", allow_empty_responses=True)
            prompt = renderer.direct(item) if isinstance(item, DirectItem) else renderer.pair(item)
            line = {"mode": prompt.mode, "system": prompt.system, "user": prompt.user, "text": prompt.text}
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
    return 0
