"""``judgeforge leaderboard``: rank models from a judge's verdicts on their responses (docs/leaderboard.md).

Exit codes: 0 the board was built and every planned row has a verdict; 1 the board was built but some rows
have none (failed to grade; see the protocol folder's results.errors.jsonl and results.summary.json); 2 a
usage, configuration or input error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from judgeforge.cli._interrupts import RESUMABLE
from judgeforge.cli.common import (
    add_backend_options,
    add_prompt_options,
    add_report_option,
    add_run_options,
)

if TYPE_CHECKING:
    from judgeforge.leaderboard import LeaderboardOptions


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("leaderboard", help="rank models from judge verdicts on their responses")
    parser.add_argument(
        "inputs",
        nargs="+",
        metavar="INPUT",
        help="responses: one file per model (PATH or NAME=PATH) or one file with a model/generator column",
    )
    parser.add_argument("-o", "--output", required=True, help="output folder (resumable; leaderboard.json)")
    parser.add_argument(
        "--protocol",
        action="append",
        choices=("direct", "baseline", "pairs"),
        default=None,
        help="direct (scores 1-5), baseline (win rate against --baseline), pairs (Bradley-Terry); repeatable "
        "(default: direct)",
    )
    parser.add_argument("--baseline", default=None, help="the model the baseline protocol compares against")
    parser.add_argument("--budget", type=int, default=None, help="pairs: at most this many comparisons")
    parser.add_argument("--seed", type=int, default=0, help="pair schedule, order coin and bootstrap seed")
    parser.add_argument("--resamples", type=int, default=1000, help="bootstrap resamples over instructions")
    parser.add_argument("--confidence", type=float, default=0.95, help="interval level")
    parser.add_argument(
        "--length-control",
        action="store_true",
        help="length-controlled win rate (baseline) and length covariate (pairs)",
    )
    parser.add_argument(
        "--single-order", action="store_true", help="judge each pair once, not as (A,B) and (B,A)"
    )
    parser.add_argument(
        "--solver",
        default="auto",
        choices=("auto", "sklearn", "scipy"),
        help="logistic fits (auto: sklearn if installed)",
    )
    _add_input_options(parser)
    _add_run_options(parser)
    add_prompt_options(parser)
    add_backend_options(parser)
    parser.set_defaults(func=run, interrupted=RESUMABLE)


def _add_input_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rubric", default=None, help="rubric for instructions without one (name or file)")
    parser.add_argument(
        "--references", default=None, help="file of reference answers (instruction_id or instruction)"
    )
    parser.add_argument("--input-format", default="auto", help="auto|jsonl|csv|tsv|parquet")


def _add_run_options(parser: argparse.ArgumentParser) -> None:
    add_run_options(parser)
    parser.add_argument("--quiet", action="store_true", help="no progress bar, no table")
    add_report_option(parser)


def run(args: argparse.Namespace) -> int:
    from judgeforge.cli.common import judge_options, required_backend, write_report_if_asked
    from judgeforge.judge import Judge
    from judgeforge.leaderboard import print_board, run_leaderboard

    required_backend(args)
    options = _options(args)
    judge = Judge(
        args.backend,
        **judge_options(args),
        max_attempts=args.max_attempts,
        samples=args.samples,
        aggregate=args.aggregate,
    )
    result = run_leaderboard(args.inputs, args.output, judge, options)
    if not args.quiet:
        print_board(result.board)
        print(f"wrote {result.path}", file=sys.stderr)
    write_report_if_asked(args, args.output, Path(args.output) / "report.html")
    if result.failed_rows:
        print(
            f"{result.failed_rows} rows have no verdict: see the protocol folders in {args.output}",
            file=sys.stderr,
        )
    return result.exit_code


def _options(args: argparse.Namespace) -> LeaderboardOptions:
    """LeaderboardOptions from the parsed options; an invalid value is a usage error naming the option."""
    from pydantic import ValidationError

    from judgeforge.cli.common import run_settings
    from judgeforge.errors import ConfigError
    from judgeforge.leaderboard import LeaderboardOptions
    from judgeforge.runner import RunOptions

    try:
        return LeaderboardOptions(
            protocols=tuple(args.protocol or ("direct",)),
            baseline=args.baseline,
            budget=args.budget,
            seed=args.seed,
            resamples=args.resamples,
            confidence=args.confidence,
            length_control=args.length_control,
            both_orders=not args.single_order,
            solver=args.solver,
            rubric=args.rubric,
            references=args.references,
            input_format=args.input_format,
            run=RunOptions(**run_settings(args)),
        )
    except ValidationError as exc:
        error = exc.errors()[0]
        where = "--" + "-".join(str(part) for part in error["loc"]).replace("_", "-")
        raise ConfigError(f"{where}: {error['msg']}") from exc
