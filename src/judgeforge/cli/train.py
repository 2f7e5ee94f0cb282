"""``judgeforge train``: SFT of evaluator LMs from a recipe or config (DA, PR, joint; full or LoRA)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "train",
        help="train an evaluator LM with a recipe (DA, PR or joint SFT on TRL)",
        description="Train from CONFIG (a built-in recipe name or a YAML file). "
        "Multi-process: `accelerate launch ... -m judgeforge train CONFIG`, or --launch.",
    )
    parser.add_argument("config", nargs="?", help="recipe name (see --list-recipes) or YAML config path")
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a config key, e.g. training.learning_rate=2e-5 (repeatable; values are YAML)",
    )
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--dry-run", action="store_true", help="validate config, model and data; no training")
    action.add_argument("--launch", action="store_true", help="run the config's `accelerate launch` command")
    action.add_argument("--print-launch", action="store_true", help="print that command and exit")
    action.add_argument("--list-recipes", action="store_true", help="list the built-in recipes")
    action.add_argument(
        "--export-merged",
        nargs=2,
        metavar=("ADAPTER_DIR", "OUT_DIR"),
        help="merge a trained LoRA adapter into its base and save a full checkpoint (no training)",
    )
    parser.add_argument("--merge-lora", action="store_true", help="with a LoRA config: also export merged")
    parser.add_argument("--base", default=None, help="base model for --export-merged (default: recorded)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from judgeforge.train import commands

    if args.list_recipes:
        return commands.list_recipes(sys.stdout)
    if args.export_merged:
        adapter, out = args.export_merged
        return commands.export_merged(adapter, out, args.base, sys.stdout)
    if args.config is None:
        print("judgeforge train: error: CONFIG is required", file=sys.stderr)
        return 2
    overrides = commands.with_merge_flag(args.config, args.overrides, args.merge_lora)
    if args.dry_run:
        report = commands.dry_run(args.config, overrides)
        print(json.dumps(report, indent=2, ensure_ascii=False))
        return 0
    if args.launch or args.print_launch:
        return commands.launch(args.config, overrides, print_only=args.print_launch, out=sys.stdout)
    return commands.train(args.config, overrides, sys.stdout)
