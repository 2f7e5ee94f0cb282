"""Help texts are plain words: no reST markup leaks into any command's --help."""

from __future__ import annotations

import pytest

from judgeforge.cli.main import build_parser

PARSER = build_parser()
COMMANDS = sorted(PARSER._subparsers._group_actions[0].choices)  # type: ignore[union-attr]


@pytest.mark.parametrize("command", ["", *COMMANDS])
def test_help_has_no_rest_markup(command: str) -> None:
    parser = PARSER if not command else PARSER._subparsers._group_actions[0].choices[command]  # type: ignore[union-attr]
    text = parser.format_help()
    assert "``" not in text and ":class:" not in text and ":func:" not in text, command


def test_grade_help_lists_the_choices() -> None:
    text = " ".join(PARSER._subparsers._group_actions[0].choices["grade"].format_help().split())  # type: ignore[union-attr]
    for choice in (
        "openai_compat",
        "transformers",
        "llama_cpp",
        "vllm",
        "prometheus2",
        "mistral-inst",
        "temperature",
        "top_p",
    ):
        assert choice in text, choice
