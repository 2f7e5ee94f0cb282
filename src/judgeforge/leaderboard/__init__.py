"""Leaderboards from judge verdicts: which of several models answers a set of instructions best.

Three protocols, each graded through the batch runner (resumable, cached): ``direct`` (every response
scored 1-5, mean per model), ``baseline`` (every model against one baseline, win rate, optionally length
controlled) and ``pairs`` (model pairs, Bradley-Terry ratings); intervals by the bootstrap over
instructions; diagnostics for position bias, ties, length bias and parse coverage. See docs/leaderboard.md.
"""

from __future__ import annotations

from judgeforge.leaderboard.api import (
    LEADERBOARD_FILE,
    PROTOCOLS,
    LeaderboardOptions,
    LeaderboardRun,
    Protocol,
    run_leaderboard,
)
from judgeforge.leaderboard.inputs import Instruction, ResponseSet, load_responses
from judgeforge.leaderboard.tables import BoardTable, load_board, print_board, report_tables

__all__ = [
    "LEADERBOARD_FILE",
    "PROTOCOLS",
    "BoardTable",
    "Instruction",
    "LeaderboardOptions",
    "LeaderboardRun",
    "Protocol",
    "ResponseSet",
    "load_board",
    "load_responses",
    "print_board",
    "report_tables",
    "run_leaderboard",
]
