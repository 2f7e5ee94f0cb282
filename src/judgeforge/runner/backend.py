"""The backend a run hands to its Judge: the user's backend plus the completion cache and retries.

Wrapping the backend (rather than changing the Judge) keeps caching and retry policy at the one seam every
backend already shares; the Judge's own parse-retry loop and aggregation are reused unchanged.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import ClassVar

from judgeforge.backends.base import Backend
from judgeforge.errors import BackendError, BackendRateLimited
from judgeforge.records import Completion, Prompt
from judgeforge.runner.cache import CompletionCache
from judgeforge.runner.options import RetryPolicy
from judgeforge.sampling import SamplingParams


class RunBackend(Backend):
    """Serves completions from ``cache`` when it can, calls ``inner`` for the rest with retries."""

    name: ClassVar[str] = "runner"

    def __init__(
        self, inner: Backend, cache: CompletionCache | None, context: str, policy: RetryPolicy
    ) -> None:
        self.inner = inner
        self.cache = cache
        self.context = context
        self.policy = policy
        self.retries = 0  # backend faults absorbed by retrying
        self.calls = 0

    def identity(self) -> dict[str, str]:
        return self.inner.identity()

    async def aclose(self) -> None:
        await self.inner.aclose()

    async def generate(self, prompts: Sequence[Prompt], params: SamplingParams) -> list[Completion]:
        if self.cache is None:
            return await self._call(prompts, params)
        keys = self.cache.keys(self.context, params, prompts)
        found = self.cache.get_many(keys)
        if len(found) == len(keys):
            return [found[key] for key in keys]
        missing = [i for i, key in enumerate(keys) if key not in found]
        fresh = await self._call([prompts[i] for i in missing], params)
        self.cache.put_many([(keys[i], completion) for i, completion in zip(missing, fresh)])
        found.update((keys[i], completion) for i, completion in zip(missing, fresh))
        return [found[key] for key in keys]

    async def _call(self, prompts: Sequence[Prompt], params: SamplingParams) -> list[Completion]:
        attempt = 0
        while True:
            self.calls += 1
            try:
                completions = await self.inner.generate(prompts, params)
            except BackendError as exc:
                if not exc.retryable or attempt >= self.policy.retries:
                    raise
                retry_after = exc.retry_after if isinstance(exc, BackendRateLimited) else None
                self.retries += 1
                await asyncio.sleep(self.policy.delay(attempt, retry_after))
                attempt += 1
                continue
            if len(completions) != len(prompts):
                raise BackendError(
                    f"backend returned {len(completions)} completions for {len(prompts)} prompts",
                    retryable=False,
                )
            return completions
