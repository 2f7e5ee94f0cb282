"""Options of a batch run (everything except the judge itself)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from judgeforge.backends.cache import default_cache_path
from judgeforge.backends.retry import RetryPolicy
from judgeforge.records import Mode, Rubric

OrderPolicy = Literal["tie", "abstain", "logprob"]
InputFormat = Literal["auto", "jsonl", "json", "csv", "tsv", "parquet", "hf"]


class RunOptions(BaseModel):
    """What a run reads, how it schedules work, and what it reports.

    ``mode`` selects grading (absolute) or comparing (relative). ``rubric`` applies to rows without one.
    ``field_map`` maps our field names to the input's column names (``{"response": "answer"}``).
    ``batch_size`` rows go to the judge in one call; up to ``concurrency`` calls are in flight.
    ``cache`` is the completion cache file (None: the default location; ``use_cache=False``: no cache).
    ``retry`` replaces the judge's retry policy for this run (None: the judge's own).
    ``strict_columns`` makes a column the run does not use a bad row (by default only a column close to a
    known one, a likely typo such as ``reference_answers``, is reported, with one warning per run).
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
    retry: RetryPolicy | None = None
    both_orders: bool = False
    order_policy: OrderPolicy = "tie"
    price_per_1k_tokens: float | None = Field(None, ge=0)
    progress: bool = False
    strict_columns: bool = False

    def cache_path(self) -> Path | None:
        if not self.use_cache:
            return None
        return self.cache or default_cache_path()
