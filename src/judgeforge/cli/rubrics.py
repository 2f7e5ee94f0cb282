"""``judgeforge rubrics list|show|lint``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("rubrics", help="list, show and lint rubrics")
    actions = parser.add_subparsers(dest="action", required=True)
    actions.add_parser("list", help="list the library rubrics").set_defaults(func=list_rubrics)
    show = actions.add_parser("show", help="show a rubric as rendered for grading")
    show.add_argument("rubric", help="library name or file")
    show.add_argument("--relative", action="store_true", help="render as for pairwise ranking")
    show.set_defaults(func=show_rubric)
    lint = actions.add_parser("lint", help="check rubric files; reports every problem")
    lint.add_argument("files", nargs="+")
    lint.set_defaults(func=lint_rubrics)


def list_rubrics(args: argparse.Namespace) -> int:
    from judgeforge.prompts.rubrics import library_rubrics

    for name, rubric in library_rubrics().items():
        print(f"{name}\t{rubric.criteria}")
    return 0


def show_rubric(args: argparse.Namespace) -> int:
    from judgeforge.prompts.rubrics import load_rubric

    rubric = load_rubric(args.rubric)
    print(rubric.render_relative() if args.relative else rubric.render_absolute())
    return 0


def lint_rubrics(args: argparse.Namespace) -> int:
    from judgeforge.errors import RubricError
    from judgeforge.prompts.rubrics import lint_rubric, read_rubric_file

    failed = 0
    for name in args.files:
        try:
            problems = lint_rubric(read_rubric_file(Path(name)))
        except RubricError as exc:
            problems = [str(exc)]
        for problem in problems:
            print(f"{name}: {problem}")
        failed += bool(problems)
        if not problems:
            print(f"{name}: ok")
    return 1 if failed else 0
