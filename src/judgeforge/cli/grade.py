"""``judgeforge grade`` and ``judgeforge compare``: streaming, resumable batch runs (see docs/runner.md).

Exit codes: 0 every row graded; 1 some rows were bad input (see OUT.errors.jsonl) or failed to grade;
2 a usage or configuration error.
"""

from __future__ import annotations

import argparse
import gc
import sys
from typing import Any

from judgeforge.cli._interrupts import RESUMABLE
from judgeforge.cli.common import add_backend_options, add_prompt_options, add_report_option, add_run_options
from judgeforge.cli.ray_options import add_ray_options


def register(subparsers: Any) -> None:
    for name, mode, help_text in (
        ("grade", "absolute", "direct assessment: a score (1-5, or the rubric's own scale) per response"),
        ("compare", "relative", "pairwise ranking: A, B (or a tie, in families that have one) per pair"),
    ):
        parser = subparsers.add_parser(name, help=help_text)
        parser.add_argument("input", help="JSONL/CSV/TSV/Parquet file, saved dataset folder or dataset id")
        parser.add_argument("-o", "--output", required=True, help="results JSONL (appended; resumable)")
        parser.add_argument("--rubric", default=None, help="rubric for rows without one (name or file)")
        parser.add_argument("--map", action="append", default=[], metavar="OURS=THEIRS", help="field mapping")
        parser.add_argument(
            "--strict-columns",
            action="store_true",
            help="a column the run does not use makes its row a bad row (default: only likely typos warn)",
        )
        parser.add_argument("--input-format", default="auto", help="auto|jsonl|csv|tsv|parquet|hf")
        parser.add_argument("--split", default="train", help="dataset split (hf input)")
        add_run_options(parser)
        parser.add_argument(
            "--price-per-1k-tokens", type=float, default=None, help="price of 1,000 tokens, for the cost"
        )
        parser.add_argument("--currency", default="USD", help="the price's currency, shown with the cost")
        parser.add_argument("--quiet", action="store_true", help="no progress bar, no summary")
        if mode == "relative":
            parser.add_argument("--both-orders", action="store_true", help="judge (A,B) and (B,A)")
            parser.add_argument("--order-policy", default="tie", help="tie | abstain | logprob")
        add_prompt_options(parser)
        add_backend_options(parser)
        add_ray_options(parser)
        add_report_option(parser)
        parser.set_defaults(func=run, mode=mode, interrupted=RESUMABLE)


def run(args: argparse.Namespace) -> int:
    from judgeforge.cli.common import judge_options, required_backend, run_settings, write_report_if_asked
    from judgeforge.judge import Judge
    from judgeforge.prompts.rubrics import load_rubric
    from judgeforge.runner import RunOptions, run_grading

    required_backend(args)
    options = RunOptions(
        mode=args.mode,
        rubric=load_rubric(args.rubric) if args.rubric else None,
        field_map=_field_map(args.map),
        input_format=args.input_format,
        split=args.split,
        **run_settings(args),
        both_orders=getattr(args, "both_orders", False),
        order_policy=getattr(args, "order_policy", "tie"),
        price_per_1k_tokens=args.price_per_1k_tokens,
        strict_columns=args.strict_columns,
    )
    if args.ray is not None:  # each Ray actor builds its own judge (and model) from the options
        from judgeforge.cli.ray_options import run_ray

        report = run_ray(args, options)
    else:
        judge = Judge(
            args.backend,
            **judge_options(args),
            max_attempts=args.max_attempts,
            samples=args.samples,
            aggregate=args.aggregate,
        )
        # Everything imported so far lives for the whole run: keeping it out of the cyclic GC's scans
        # saves ~25% CPU on fast backends (measured by benchmarks/runner_overhead.py).
        gc.freeze()
        report = run_grading(args.input, args.output, judge, options)
    if not args.quiet:
        from judgeforge.cli._summaries import print_run_summary

        print_run_summary(report, args.command, args.currency)
    elif report.exit_code:
        print(f"some rows failed or were bad input: see {report.errors}", file=sys.stderr)
    write_report_if_asked(args, report.output, report.output.with_suffix(".html"))
    return report.exit_code


def _field_map(pairs: list[str]) -> dict[str, str]:
    from judgeforge.errors import ConfigError

    mapping = {}
    for pair in pairs:
        ours, sep, theirs = pair.partition("=")
        if not sep or not ours.strip() or not theirs.strip():
            raise ConfigError(f"--map must look like ours=theirs, got {pair!r}")
        mapping[ours.strip()] = theirs.strip()
    return mapping
