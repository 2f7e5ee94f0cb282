"""Retry timing for remote backends: exponential backoff with jitter, and the server's ``Retry-After``."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

# 408 (request timeout), 409 (lock conflict, retried by OpenAI's own SDK) and 429 (rate limit) are the only
# 4xx a retry can fix; every other 4xx is the request's own fault and would fail again.
RETRYABLE_STATUS = frozenset({408, 409, 429})


def is_retryable_status(status: int) -> bool:
    return status in RETRYABLE_STATUS or status >= 500


@dataclass
class RetryPolicy:
    """How long to wait before retry number ``attempt`` (0-based).

    Without a ``Retry-After`` hint the wait is drawn uniformly from ``[d/2, d]`` with
    ``d = min(max_delay, initial_delay * 2**attempt)`` ("equal jitter"): it grows exponentially while
    clients that failed together spread out. A ``Retry-After`` hint is honoured as given, capped at
    ``max_retry_after``.
    """

    max_retries: int = 5
    initial_delay: float = 0.5
    max_delay: float = 30.0
    max_retry_after: float = 120.0
    rng: random.Random = field(default_factory=random.Random)

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        if retry_after is not None:
            return max(0.0, min(retry_after, self.max_retry_after))
        ceiling = min(self.max_delay, self.initial_delay * (2**attempt))
        return self.rng.uniform(ceiling / 2, ceiling)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds (fractions accepted) or an HTTP date."""
    if value is None or not value.strip():
        return None
    try:
        return max(0.0, float(value.strip()))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
