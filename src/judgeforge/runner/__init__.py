"""Batch runs at scale: streaming input, completion cache, resume, concurrency, progress, accounting.

``run_grading(source, output, judge, RunOptions(...))`` is the entry point; see docs/runner.md.
"""

from __future__ import annotations

from judgeforge.backends.cache import CompletionCache, default_cache_path
from judgeforge.backends.retry import RetryPolicy
from judgeforge.runner.api import RunReport, arun_grading, run_grading
from judgeforge.runner.options import RunOptions
from judgeforge.runner.readers import read_rows

__all__ = [
    "CompletionCache",
    "RetryPolicy",
    "RunOptions",
    "RunReport",
    "arun_grading",
    "default_cache_path",
    "read_rows",
    "run_grading",
]
