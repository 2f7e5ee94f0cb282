"""Options of a batch run (everything except the judge itself)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from judgeforge.records import Mode, Rubric

OrderPolicy = Literal["tie", "abstain", "logprob"]
InputFormat = Literal["auto", "jsonl", "csv", "tsv", "parquet", "hf"]


def default_cache_path() -> Path:
    """``$JUDGEFORGE_CACHE_DIR/completions.sqlite`` (default ``~/.cache/judgeforge``)."""
    root = os.environ.get("JUDGEFORGE_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "judgeforge"
    )
    return Path(root) / "completions.sqlite"


class RetryPolicy(BaseModel):
    """How backend faults are retried: ``retries`` more tries per call, exponential backoff from
    ``backoff_s`` capped at ``max_backoff_s``; a server's ``retry_after`` wins when given."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    retries: int = Field(5, ge=0)
    backoff_s: float = Field(0.5, ge=0)
    max_backoff_s: float = Field(30.0, ge=0)

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        if retry_after is not None:
            return float(min(retry_after, self.max_backoff_s))
        return float(min(self.backoff_s * (2**attempt), self.max_backoff_s))


class RunOptions(BaseModel):
    """What a run reads, how it schedules work, and what it reports.

    ``mode`` selects grading (absolute) or comparing (relative). ``rubric`` applies to rows without one.
    ``field_map`` maps our field names to the input's column names (``{"response": "answer"}``).
    ``batch_size`` rows go to the judge in one call; up to ``concurrency`` calls are in flight.
    ``cache`` is the completion cache file (None: the default location; ``use_cache=False``: no cache).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    mode: Mode = "absolute"
    rubric: Rubric | None = None
    field_map: dict[str, str] = Field(default_factory=dict)
    input_format: InputFormat = "auto"
    split: str = "train"
    batch_size: int = Field(32, ge=1)
    concurrency: int = Field(8, ge=1)
    use_cache: bool = True
    cache: Path | None = None
    retry_failed: bool = False
    retry: RetryPolicy = RetryPolicy()
    both_orders: bool = False
    order_policy: OrderPolicy = "tie"
    price_per_1k_tokens: float | None = Field(None, ge=0)
    progress: bool = False

    def cache_path(self) -> Path | None:
        if not self.use_cache:
            return None
        return self.cache or default_cache_path()
