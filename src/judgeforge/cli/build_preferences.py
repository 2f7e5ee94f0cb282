"""``judgeforge build-preferences``: a Preference Collection from a Feedback Collection."""

from __future__ import annotations

import argparse
import json
from typing import Any

INTERRUPTED = "interrupted: finished pairs are saved in {output}; run the same command again to resume"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "build-preferences", help="pair a Feedback Collection and have a teacher write comparative feedback"
    )
    parser.add_argument(
        "feedback", help="Feedback Collection: JSONL/Parquet/CSV, a saved dataset, or a dataset id"
    )
    parser.add_argument(
        "-o", "--output", required=True, help="Preference Collection JSONL (appended; resumable)"
    )
    parser.add_argument(
        "--teacher-backend",
        default=None,
        help="backend of the teacher LM, no default (fake: canned feedback, for a dry run only)",
    )
    parser.add_argument("--teacher-backend-option", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--template-set", default="prometheus2", help="wording of the training prompts")
    parser.add_argument("--seed", type=int, default=0, help="seed of the A/B assignment and the teacher")
    parser.add_argument(
        "--max-attempts", type=int, default=3, help="teacher retries before a pair is dropped"
    )
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--no-cache", action="store_true", help="do not read or write the completion cache")
    parser.add_argument(
        "--cache", default=None, help="cache file (default: the runner's, ~/.cache/judgeforge)"
    )
    parser.add_argument("--export-dataset", default=None, metavar="DIR", help="also save a DatasetDict here")
    parser.add_argument("--test-size", type=float, default=0.1, help="test share of the exported split")
    parser.set_defaults(func=run, interrupted=INTERRUPTED)


def run(args: argparse.Namespace) -> int:
    from judgeforge.backends import create_backend, parse_option_pairs
    from judgeforge.cli.common import required_backend
    from judgeforge.data.preferences import build_preferences, export_dataset

    name = required_backend(args, "teacher-backend")
    teacher = create_backend(name, parse_option_pairs(args.teacher_backend_option))
    summary = build_preferences(
        args.feedback,
        args.output,
        teacher,
        template_set=args.template_set,
        seed=args.seed,
        max_attempts=args.max_attempts,
        batch_size=args.batch_size,
        use_cache=not args.no_cache,
        cache_path=args.cache,
    )
    print(json.dumps(summary.model_dump(), indent=2, ensure_ascii=False))
    if args.export_dataset:
        export_dataset(args.output, args.export_dataset, test_size=args.test_size, seed=args.seed)
    return 1 if summary.bad_rows or summary.dropped else 0
