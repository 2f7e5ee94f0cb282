"""Options and helpers shared by several commands."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from judgeforge.errors import ConfigError, InputError


class _Default(str):
    """A parser default, told apart from the same value typed by the user (so a preset may replace it)."""

    __slots__ = ()


def add_prompt_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--template-set",
        default=_Default("prometheus2"),
        help="template set name or folder (prometheus2, mt-bench, arena-hard-v2.0, flow-judge, auto-j, ...; "
        "docs/prompts.md lists them)",
    )
    parser.add_argument(
        "--chat-format",
        default=_Default("mistral-inst"),
        help="mistral-inst | tokenizer | llama2 | judgelm | none (default: the preset's, else the one the "
        "template set's family reads: mistral-inst for prometheus2)",
    )
    parser.add_argument(
        "--preset",
        default=None,
        help="judge-family preset (e.g. prometheus2-7b, flow-judge-v0.1, autoj-13b): sets template set and "
        "chat format unless given explicitly",
    )
    parser.add_argument(
        "--tokenizer", default=None, help="local tokenizer path (for --chat-format tokenizer)"
    )


BACKEND_EXAMPLE = "openai_compat --{flag}-option base_url=http://127.0.0.1:8000/v1 --{flag}-option model=NAME"


def add_run_options(parser: argparse.ArgumentParser) -> None:
    """How a batch run judges and schedules (grade, compare, leaderboard): samples and their aggregate, parse
    attempts, concurrency, batch size, the retry policy, failed-row regrading and the completion cache."""
    parser.add_argument("--samples", type=int, default=1, help="verdicts per item")
    parser.add_argument("--aggregate", default="mean", help="mean | median | majority")
    parser.add_argument("--max-attempts", type=int, default=3, help="regenerations on a parse failure")
    parser.add_argument("--concurrency", type=int, default=8, help="judge calls in flight")
    parser.add_argument("--batch-size", type=int, default=32, help="rows per judge call")
    parser.add_argument("--retries", type=int, default=5, help="retries of a prompt a retry can fix")
    parser.add_argument("--retry-backoff", type=float, default=0.5, help="first retry delay (s)")
    parser.add_argument("--retry-failed", action="store_true", help="regrade rows that failed before")
    parser.add_argument("--no-cache", action="store_true", help="do not read or write the cache")
    parser.add_argument("--cache", default=None, help="cache file (default: ~/.cache/judgeforge)")


def run_settings(args: argparse.Namespace) -> dict[str, Any]:
    """The RunOptions fields that :func:`add_run_options` set (batching, cache, retries, progress)."""
    from judgeforge.backends.retry import RetryPolicy

    return {
        "batch_size": args.batch_size,
        "concurrency": args.concurrency,
        "use_cache": not args.no_cache,
        "cache": args.cache,
        "retry_failed": args.retry_failed,
        "retry": RetryPolicy(max_retries=args.retries, initial_delay=args.retry_backoff),
        "progress": not args.quiet and sys.stderr.isatty(),
    }


def add_backend_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--backend",
        default=None,
        help="backend name, no default: openai_compat, openai_pool, transformers, llama_cpp, vllm "
        "(fake: canned verdicts, for a dry run)",
    )
    parser.add_argument(
        "--backend-option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="backend option (repeatable); each backend's options are listed in docs/backends.md",
    )
    parser.add_argument(
        "--sampling",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="sampling override, e.g. temperature=0 (repeatable; merges with the paper's defaults); keys: "
        "max_tokens (1024), temperature (1.0), top_p (0.9), repetition_penalty (1.03), seed, stop",
    )
    parser.add_argument(
        "--logprobs",
        action="store_true",
        help="also record the probability of each allowed verdict after the judge's [RESULT] (expected score)",
    )
    parser.add_argument(
        "--score-only",
        action="store_true",
        help="different, faster protocol: no feedback; read the verdict distribution after a forced [RESULT]",
    )


def required_backend(args: argparse.Namespace, flag: str = "backend") -> str:
    """The backend named with ``--<flag>``: there is no default, so canned ``fake`` output never lands in
    results or training data unasked."""
    name = getattr(args, flag.replace("-", "_"), None)
    if not name:
        example = BACKEND_EXAMPLE.format(flag=flag)
        raise ConfigError(f"--{flag} is required (e.g. --{flag} {example}; --{flag} fake for a dry run)")
    return str(name)


def prompt_settings(args: argparse.Namespace) -> tuple[str, str]:
    """(template set, chat format): explicit options, else the preset's, else the defaults (the chat format
    the template set's family reads)."""
    template_set, chat_format = str(args.template_set), str(args.chat_format)
    if getattr(args, "preset", None):
        from judgeforge.prompts.presets import resolve

        return resolve(
            args.preset,
            None if isinstance(args.template_set, _Default) else template_set,
            None if isinstance(args.chat_format, _Default) else chat_format,
        )
    if isinstance(args.chat_format, _Default):
        from judgeforge.prompts import default_chat_format, get_template_set

        return template_set, default_chat_format(get_template_set(template_set), None)
    return template_set, chat_format


def judge_settings(args: argparse.Namespace) -> dict[str, Any]:
    """Keyword arguments for :class:`judgeforge.Judge` from the shared prompt and backend options."""
    template_set, chat_format = prompt_settings(args)
    return {
        "template_set": template_set,
        "chat_format": chat_format,
        "logprobs": bool(getattr(args, "logprobs", False)),
        "score_only": bool(getattr(args, "score_only", False)),
        "check_preset": not getattr(args, "preset", None),
    }


def judge_options(args: argparse.Namespace) -> dict[str, Any]:
    """Every :class:`judgeforge.Judge` keyword set by the shared options (prompt, preset, backend, sampling,
    logprob protocol), so that grade, serve and bench build their judge the same way."""
    from judgeforge.backends import parse_option_pairs

    return {
        **judge_settings(args),
        "sampling": parse_sampling(args.sampling),
        "tokenizer": load_tokenizer(args.tokenizer),
        "backend_options": parse_option_pairs(args.backend_option),
    }


def load_tokenizer(path: str | None) -> Any:
    from judgeforge.prompts.chat import load_tokenizer as load

    return load(path)


def parse_sampling(pairs: list[str]) -> dict[str, Any]:
    overrides: dict[str, Any] = {}
    for pair in pairs:
        key, _, value = pair.partition("=")
        try:
            overrides[key] = json.loads(value)
        except json.JSONDecodeError:
            overrides[key] = value
    return overrides


def read_jsonl(path: str) -> Iterator[tuple[int, Any]]:
    """(0-based line number, parsed object) per non-blank line; a bad line raises InputError."""
    if path == "-":
        yield from _parse_lines(sys.stdin)
        return
    with Path(path).open(encoding="utf-8") as handle:
        yield from _parse_lines(handle)


def _parse_lines(handle: IO[str]) -> Iterator[tuple[int, Any]]:
    for number, line in enumerate(handle):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"invalid JSON: {exc.msg}", record=f"line {number + 1}") from exc


def open_output(path: str | None) -> contextlib.AbstractContextManager[IO[str]]:
    """For ``with``: stdout for None or ``-`` (left open afterwards); else the file, its folder created."""
    if path is None or path == "-":
        return contextlib.nullcontext(sys.stdout)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return Path(path).open("w", encoding="utf-8")


def add_report_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--report",
        nargs="?",
        const="",
        default=None,
        metavar="HTML",
        help="write the HTML report at the end (default file: next to the output)",
    )


def write_report_if_asked(args: argparse.Namespace, source: str | Path, default: str | Path) -> None:
    """``--report [HTML]``: write the report of ``source`` (to ``default`` when no file was given)."""
    if args.report is None:
        return
    from judgeforge.report import build_report

    path = build_report(source, args.report or default)
    print(f"wrote report {path}", file=sys.stderr)
