"""``judgeforge report``: one self-contained HTML report of a grading run, benchmark run, leaderboard or merge
sweep."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("report", help="write an HTML report (plus optional PNGs and markdown)")
    parser.add_argument(
        "source",
        help="grading output .jsonl, a bench output folder, a leaderboard folder, or a merge-sweep folder",
    )
    parser.add_argument(
        "-o",
        "--output",
        default=None,
        help="HTML file to write (default: next to the source: X.jsonl -> X.html, DIR -> DIR/report.html)",
    )
    parser.add_argument("--png-dir", default=None, help="also write each chart as PNG here")
    parser.add_argument("--markdown", default=None, help="also write a markdown summary here")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from judgeforge.report import build_report, default_output

    output = args.output or default_output(args.source)
    path = build_report(args.source, output, png_dir=args.png_dir, markdown=args.markdown)
    print(f"wrote {path}")
    return 0
