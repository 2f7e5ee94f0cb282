"""The middleware every grading call goes through: completion cache and the one retry policy, per prompt.

:class:`ReliableBackend` wraps any backend. For a call of N prompts it serves what the cache holds, sends
the rest, caches every completion as it comes back, and retries only the prompts whose failure can succeed
on retry (:class:`~judgeforge.backends.retry.RetryPolicy`, honouring ``Retry-After``), counting each retry.
A prompt's permanent failure stays that prompt's outcome; its siblings keep their completions. A failure of
kind ``configuration`` (bad key, unknown model, a chat template without a system role) raises
:class:`~judgeforge.errors.BackendConfigError` at once: the run stops instead of failing every row slowly.

A backend that raises for a whole call of several prompts (an in-process model) is retried when the error is
retryable; otherwise each prompt is sent alone once, so that one bad prompt fails alone.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from judgeforge.backends.base import Backend
from judgeforge.backends.cache import CompletionCache
from judgeforge.backends.retry import RetryPolicy
from judgeforge.errors import BackendConfigError, BackendError, BackendRateLimited
from judgeforge.records import Completion, GenerationFailure, Outcome, Prompt
from judgeforge.sampling import SamplingParams


@dataclass
class CallStats:
    """What the calls of a run cost: backend calls, prompts sent (retries included), retries, failures."""

    calls: int = 0
    prompts_sent: int = 0
    retries: int = 0
    isolated_calls: int = 0  # whole-call failures split into one call per prompt
    failures: Counter[str] = field(default_factory=Counter)  # final failures by kind


class ReliableBackend:
    """``backend`` behind the cache (optional) and the retry policy; ``generate`` never raises for one
    prompt's failure (see the module docstring)."""

    def __init__(
        self, backend: Backend, policy: RetryPolicy | None = None, cache: CompletionCache | None = None
    ) -> None:
        self.backend = backend
        self.policy = policy or RetryPolicy()
        self.cache = cache
        self.stats = CallStats()

    async def generate(self, prompts: Sequence[Prompt], params: SamplingParams) -> list[Outcome]:
        outcomes: list[Outcome | None] = [None] * len(prompts)
        keys = self.cache.keys(self.backend, params, prompts) if self.cache is not None else None
        if keys is not None and self.cache is not None:
            found = self.cache.get_many(keys)
            if found:
                for index, key in enumerate(keys):
                    outcomes[index] = found.get(key)
        pending = [index for index, outcome in enumerate(outcomes) if outcome is None]
        attempt = 0
        while pending:
            fresh = await self._send([prompts[i] for i in pending], params)
            retry: list[int] = []
            waits: list[float] = []
            for index, outcome in zip(pending, fresh):
                if type(outcome) is Completion or not isinstance(outcome, GenerationFailure):
                    outcomes[index] = outcome if type(outcome) is Completion else _checked(outcome)
                    continue
                failure = outcome
                if failure.kind == "configuration":
                    raise BackendConfigError(failure.message, hint=failure.hint)
                if failure.retryable and attempt < self.policy.max_retries:
                    retry.append(index)
                    waits.append(self.policy.delay(attempt, failure.retry_after))
                else:
                    outcomes[index] = failure
                    self.stats.failures[failure.kind] += 1
            self._remember(keys, pending, outcomes)
            if retry:
                self.stats.retries += len(retry)
                await asyncio.sleep(max(waits))
                attempt += 1
            pending = retry
        return outcomes  # type: ignore[return-value]  # every slot is filled above

    async def aclose(self) -> None:
        await self.backend.aclose()

    def _remember(self, keys: list[bytes] | None, sent: list[int], outcomes: list[Outcome | None]) -> None:
        if keys is None or self.cache is None:
            return
        fresh = [(keys[i], outcome) for i in sent if isinstance(outcome := outcomes[i], Completion)]
        self.cache.put_many(fresh)

    async def _send(self, prompts: Sequence[Prompt], params: SamplingParams) -> list[Outcome]:
        """One backend call; a raised BackendError becomes each prompt's failure (isolated when permanent)."""
        self.stats.calls += 1
        self.stats.prompts_sent += len(prompts)
        try:
            outcomes = list(await self.backend.generate(prompts, params))
        except BackendConfigError:
            raise
        except BackendError as exc:
            if len(prompts) > 1 and not exc.retryable:
                return await self._one_by_one(prompts, params)
            return [failure_from_error(exc)] * len(prompts)
        if len(outcomes) != len(prompts):
            raise BackendError(
                f"backend '{self.backend.name}' returned {len(outcomes)} outcomes for {len(prompts)} prompts",
                retryable=False,
            )
        return outcomes

    async def _one_by_one(self, prompts: Sequence[Prompt], params: SamplingParams) -> list[Outcome]:
        self.stats.isolated_calls += 1
        outcomes: list[Outcome] = []
        for prompt in prompts:
            outcomes.extend(await self._send([prompt], params))
        return outcomes


def failure_from_error(exc: BackendError) -> GenerationFailure:
    """A raised BackendError as one prompt's failure."""
    if isinstance(exc, BackendConfigError):
        return GenerationFailure(message=str(exc), kind="configuration", hint=exc.hint)
    retry_after = exc.retry_after if isinstance(exc, BackendRateLimited) else None
    kind = "retryable" if exc.retryable else "permanent"
    return GenerationFailure(message=str(exc), kind=kind, retry_after=retry_after)


def _checked(outcome: object) -> Completion:
    if isinstance(outcome, Completion):
        return outcome
    raise BackendError(
        f"backend returned {type(outcome).__name__}, not a Completion or GenerationFailure", retryable=False
    )
