"""``judgeforge bench``: meta-evaluate judges on benchmarks; ``bench score DIR`` re-scores saved outputs.

judgeforge bench vicuna hhh --backend fake --judge rouge-l --judge length -o out/
judgeforge bench score out/
judgeforge bench list
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from judgeforge.cli.common import (
    add_backend_options,
    add_prompt_options,
    add_report_option,
    write_report_if_asked,
)
from judgeforge.cli.ray_options import add_ray_options


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "bench",
        help="meta-evaluate judges on benchmarks (or: bench score DIR, bench list)",
        description=__doc__.replace("``", "") if __doc__ else None,  # the module doc, without reST quotes
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("names", nargs="+", metavar="NAME", help="benchmarks; or 'score DIR'; or 'list'")
    parser.add_argument("-o", "--output", default="bench-out", help="output folder (default: bench-out)")
    parser.add_argument(
        "--judge", action="append", default=[], metavar="SPEC", help="judge NAME[:k=v,...] (repeatable)"
    )
    parser.add_argument(
        "--mode", action="append", default=[], help="direct | relative | a2r | both (repeatable)"
    )
    parser.add_argument("--runs", type=int, default=3, help="verdicts per item (paper: 3 for direct)")
    parser.add_argument("--seed", type=int, default=0, help="seed for A/B sides, sampling and bootstrap")
    parser.add_argument("--tie-retries", type=int, default=2, help="a2r: re-runs of tied scores")
    parser.add_argument("--limit", type=int, default=None, help="first N items of each benchmark")
    parser.add_argument("--data", action="append", default=[], metavar="NAME=PATH", help="benchmark file")
    parser.add_argument("--resamples", type=int, default=1000, help="bootstrap resamples (0: no CIs)")
    add_prompt_options(parser)
    add_backend_options(parser)
    add_report_option(parser)
    add_ray_options(parser)
    parser.set_defaults(func=run, backend=None)


def run(args: argparse.Namespace) -> int:
    from judgeforge.bench import ModeConfig, benchmarks, make_judge, run_bench, score_dir
    from judgeforge.errors import ConfigError

    if args.names[0] == "list":
        for name in benchmarks.names():
            spec = benchmarks.get(name)
            print(f"{name}\t{spec.kind}\t{spec.title}\t{spec.default_file or '(give --data)'}")
        return 0
    if args.names[0] == "score":
        if len(args.names) != 2:
            raise ConfigError("usage: judgeforge bench score DIR")
        score_dir(args.names[1], resamples=args.resamples, seed=args.seed)
        print(f"wrote {args.names[1]}/summary.json and report.md", file=sys.stderr)
        return 0
    judges = [make_judge(spec) for spec in args.judge]
    if args.backend is not None:
        backend = "ray" if args.ray is not None else args.backend
        judges.insert(0, make_judge(f"lm:backend={backend}", **_lm_options(args)))
    if not judges:
        raise ConfigError("give at least one --judge or a --backend")
    paths = dict(pair.split("=", 1) for pair in args.data if "=" in pair)
    config = ModeConfig(runs=args.runs, seed=args.seed, tie_retries=args.tie_retries)
    summary = run_bench(
        args.names, judges, args.output, requested_modes=args.mode or None, config=config,
        paths=paths, limit=args.limit, resamples=args.resamples,
    )  # fmt: skip
    from judgeforge.cli._summaries import print_bench_summary

    print_bench_summary(summary, args.output)
    write_report_if_asked(args, args.output, Path(args.output) / "report.html")
    return 0


def _lm_options(args: argparse.Namespace) -> dict[str, Any]:
    from judgeforge.cli.common import judge_options

    options = judge_options(args)
    if args.ray is not None:  # the LM judge's generation on Ray actors, each holding its own backend
        from judgeforge.cli.ray_options import LOCAL

        options["backend_options"] = {
            "backend": args.backend,
            "backend_options": options["backend_options"],
            "actors": args.ray_actors,
            "cpus_per_actor": args.ray_cpus_per_actor,
            "gpus_per_actor": args.ray_gpus_per_actor,
            "num_cpus": args.ray_num_cpus,
            "address": None if args.ray == LOCAL else args.ray,
        }
    return {key: value or None for key, value in options.items()}
