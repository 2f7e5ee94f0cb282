"""The one retry policy, and how a failed request is classified (retry it, fail the prompt, stop the run).

Retries happen in one place, :class:`judgeforge.backends.middleware.ReliableBackend`, per prompt; backends
send each request once and report what went wrong as a :class:`~judgeforge.records.GenerationFailure`.
"""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from pydantic import BaseModel, ConfigDict, Field

from judgeforge.records import GenerationFailure

# 408 (request timeout), 409 (lock conflict, retried by OpenAI's own SDK), 425 (too early) and 429 (rate
# limit) are the only 4xx a retry can fix; every other 4xx is the request's own fault and would fail again.
RETRYABLE_STATUS = frozenset({408, 409, 425, 429})
# Statuses that say the setup is wrong for every request: the key, the permissions, the model or the URL.
CONFIGURATION_STATUS = {
    401: "check the API key (the variable named by --backend-option api_key_env)",
    403: "check the API key's permissions for this model",
    404: "check --backend-option base_url (it usually ends in /v1) and model (GET /v1/models lists them)",
}
# Server messages (any status) that say the chat template cannot take our request, with the fix.
CONFIGURATION_MESSAGES = (
    (
        re.compile(
            r"system role (is )?not supported|roles must alternate|system (prompt|message)s? (is |are )?"
            r"not (supported|allowed)",
            re.IGNORECASE,
        ),
        "the model's chat template rejects a system message: pass --backend-option system_role=merge",
    ),
    (
        re.compile(r"chat.?template", re.IGNORECASE),
        "the server has no usable chat template for this model: use --backend-option endpoint=completions "
        "(judgeforge then applies --chat-format itself) or start the server with a chat template",
    ),
)


def is_retryable_status(status: int) -> bool:
    return status in RETRYABLE_STATUS or status >= 500


def classify_http_error(status: int, message: str, retry_after: float | None = None) -> GenerationFailure:
    """The failure of one request answered with HTTP ``status`` and the server's ``message``."""
    text = f"HTTP {status}: {message}"
    for pattern, hint in CONFIGURATION_MESSAGES:
        if pattern.search(message):
            return GenerationFailure(message=text, kind="configuration", status=status, hint=hint)
    if status in CONFIGURATION_STATUS:
        hint = CONFIGURATION_STATUS[status]
        return GenerationFailure(message=text, kind="configuration", status=status, hint=hint)
    if is_retryable_status(status):
        return GenerationFailure(message=text, kind="retryable", status=status, retry_after=retry_after)
    return GenerationFailure(message=text, kind="permanent", status=status)


class RetryPolicy(BaseModel):
    """How retryable failures are retried: up to ``max_retries`` more tries per prompt.

    Without a ``Retry-After`` hint the wait before retry number ``attempt`` (0-based) is drawn uniformly from
    ``[d/2, d]`` with ``d = min(max_delay, initial_delay * 2**attempt)`` ("equal jitter"): it grows
    exponentially while clients that failed together spread out. A server's ``Retry-After`` is honoured as
    given, capped at ``max_retry_after`` seconds.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_retries: int = Field(5, ge=0)
    initial_delay: float = Field(0.5, ge=0, description="seconds before the first retry")
    max_delay: float = Field(30.0, ge=0)
    max_retry_after: float = Field(120.0, ge=0)

    def delay(
        self, attempt: int, retry_after: float | None = None, rng: random.Random | None = None
    ) -> float:
        if retry_after is not None:
            return max(0.0, min(retry_after, self.max_retry_after))
        ceiling = min(self.max_delay, self.initial_delay * (2**attempt))
        return (rng or random).uniform(ceiling / 2, ceiling)


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
