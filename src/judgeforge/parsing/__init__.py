"""Parsers: judge output text -> :class:`~judgeforge.records.Verdict`, one per judge family.

A parser is ``parse(text, mode, scale=None) -> Verdict``: ``scale`` is the values a direct-assessment verdict may
take (the rubric's levels; None for the family's default). Each template set names its parser; the rules of
each family are in its module and in docs/parsing.md. A failure is data (``Verdict(failure=...)``), never a
default value.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from judgeforge.parsing.arena_hard import parse_arena_hard_v01, parse_arena_hard_v2
from judgeforge.parsing.auto_j import parse_auto_j, parse_auto_j_zh
from judgeforge.parsing.flow_judge import parse_flow_judge
from judgeforge.parsing.judgelm import parse_judgelm
from judgeforge.parsing.mt_bench import parse_mt_bench
from judgeforge.parsing.prometheus1 import parse_prometheus1
from judgeforge.parsing.selene import parse_selene
from judgeforge.parsing.short_answers import parse_offsetbias, parse_pandalm
from judgeforge.parsing.verdict import clean_feedback, parse_verdict
from judgeforge.records import Mode, Verdict
from judgeforge.registry import Registry


class Parser(Protocol):
    def __call__(self, text: str, mode: Mode, scale: Sequence[str] | None = None) -> Verdict: ...


parsers: Registry[Parser] = Registry("parser")
for _name, _parser in (
    ("prometheus", parse_verdict),
    ("prometheus1", parse_prometheus1),
    ("mt-bench", parse_mt_bench),
    ("arena-hard-v0.1", parse_arena_hard_v01),
    ("arena-hard-v2.0", parse_arena_hard_v2),
    ("flow-judge", parse_flow_judge),
    ("auto-j", parse_auto_j),
    ("auto-j-zh", parse_auto_j_zh),
    ("judgelm", parse_judgelm),
    ("selene", parse_selene),
    ("offsetbias", parse_offsetbias),
    ("pandalm", parse_pandalm),
):
    parsers.add(_name, _parser)

__all__ = ["Parser", "clean_feedback", "parse_verdict", "parsers"]
