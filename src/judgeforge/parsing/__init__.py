"""Parsers: judge output text -> :class:`~judgeforge.records.Verdict`. See :mod:`judgeforge.parsing.verdict`."""

from __future__ import annotations

from collections.abc import Callable

from judgeforge.parsing.verdict import clean_feedback, parse_verdict
from judgeforge.records import Mode, Verdict
from judgeforge.registry import Registry

Parser = Callable[[str, Mode], Verdict]
parsers: Registry[Parser] = Registry("parser")
parsers.add("prometheus", parse_verdict)

__all__ = ["Parser", "clean_feedback", "parse_verdict", "parsers"]
