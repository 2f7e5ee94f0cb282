"""The ``judgeforge`` command line: thin; each command parses options and calls one library function.

Commands are discovered: every module of this package that defines ``register(subparsers)`` adds its own.
Ctrl-C (exit 130) and SIGTERM (exit 143) stop any command with one line on stderr (see ``_interrupts``).
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence

from judgeforge.cli._exit import leave_now
from judgeforge.cli._interrupts import interrupted_message, sigterm_as_interrupt
from judgeforge.errors import JudgeforgeError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="judgeforge",
        description="Evaluator language models the Prometheus 2 way: grade responses, build preference data, "
        "train and merge judges, meta-evaluate them and rank models. `judgeforge COMMAND --help` for a command.",
    )
    parser.add_argument("--version", action=_VersionAction, help="show the version and exit")
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


class _VersionAction(argparse.Action):
    """``--version``: the installed version, looked up only when asked (package metadata costs ~0.1 s)."""

    def __init__(self, option_strings: Sequence[str], dest: str, help: str | None = None) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help=help)

    def __call__(self, parser: argparse.ArgumentParser, *args: object) -> None:
        sys.stdout.write(f"judgeforge {_version()}\n")
        parser.exit()


def _version() -> str:
    from importlib import metadata

    try:
        return metadata.version("judgeforge")
    except metadata.PackageNotFoundError:
        return "unknown (not installed)"


def main(argv: Sequence[str] | None = None, *, leave_early: bool = False) -> int:
    """Run one command; its exit code.

    ``leave_early`` (the installed ``judgeforge`` command and ``python -m``): when a command that declares
    ``leaves_early`` succeeds, end the process at once, without the interpreter's teardown (``_exit``).
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "func"):
        parser.print_help()
        return 2
    with sigterm_as_interrupt() as received:
        try:
            code = int(args.func(args))
            if code == 0 and leave_early and getattr(args, "leaves_early", False):
                leave_now(code)
            return code
        except JudgeforgeError as exc:
            print(f"judgeforge {args.command}: error: {exc}", file=sys.stderr)
            return 2
        except BrokenPipeError:
            return 0
        except KeyboardInterrupt:
            print(f"judgeforge {args.command}: {interrupted_message(args)}", file=sys.stderr)
            return received.exit_code


def entry() -> int:
    """The installed ``judgeforge`` command."""
    return main(leave_early=True)


if __name__ == "__main__":
    raise SystemExit(main(leave_early=True))
