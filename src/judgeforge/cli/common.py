"""Options and helpers shared by several commands."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from judgeforge.errors import InputError


def add_prompt_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--template-set", default="prometheus2", help="template set name or folder")
    parser.add_argument(
        "--chat-format",
        default="mistral-inst",
        help="mistral-inst | tokenizer | none (default: mistral-inst)",
    )
    parser.add_argument(
        "--tokenizer", default=None, help="local tokenizer path (for --chat-format tokenizer)"
    )


def add_backend_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--backend", default="fake", help="backend name (default: fake)")
    parser.add_argument(
        "--backend-option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="backend option (repeatable)",
    )
    parser.add_argument(
        "--sampling",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="sampling override, e.g. temperature=0 (repeatable; merges with the paper's defaults)",
    )


def load_tokenizer(path: str | None) -> Any:
    if path is None:
        return None
    from judgeforge.lazy import require

    transformers = require("transformers", "hf")
    return transformers.AutoTokenizer.from_pretrained(path)


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


def open_output(path: str | None) -> IO[str]:
    if path is None or path == "-":
        return sys.stdout
    return Path(path).open("w", encoding="utf-8")
