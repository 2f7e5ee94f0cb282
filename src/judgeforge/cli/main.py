"""The ``judgeforge`` command line: thin; each command parses options and calls one library function.

Commands are discovered: every module of this package that defines ``register(subparsers)`` adds its own.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence

from judgeforge.errors import JudgeforgeError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="judgeforge", description=__doc__.splitlines()[0] if __doc__ else ""
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    package = importlib.import_module("judgeforge.cli")
    for module_info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if module_info.name.startswith("_") or module_info.name in ("main", "common"):
            continue
        module = importlib.import_module(f"judgeforge.cli.{module_info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "func"):
        parser.print_help()
        return 2
    try:
        return int(args.func(args))
    except JudgeforgeError as exc:
        print(f"judgeforge {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
