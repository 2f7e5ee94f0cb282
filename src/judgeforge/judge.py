"""The Judge: render -> generate -> parse -> aggregate. Composition only; each step lives in its module."""

from __future__ import annotations

import asyncio
import inspect
import warnings
from collections.abc import Awaitable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from judgeforge.aggregate import aggregate_scores, aggregate_winners
from judgeforge.backends import Backend, create_backend
from judgeforge.errors import BackendError
from judgeforge.parsing import parsers
from judgeforge.prompts import DEFAULT_TEMPLATE_SET, PromptRenderer, TemplateSet
from judgeforge.records import (
    Completion,
    DirectItem,
    Judgment,
    Mode,
    PairItem,
    Prompt,
    Rubric,
    Usage,
    Verdict,
)
from judgeforge.rubrics import load_rubric
from judgeforge.sampling import DEFAULT_SAMPLING, SamplingParams
from judgeforge.scoring import (
    DEFAULT_TOP_LOGPROBS,
    FEEDBACK_PROTOCOL,
    SCORE_ONLY_PROTOCOL,
    check_backend,
    feedback_distribution,
    score_only,
    with_distribution,
)

T = TypeVar("T")
RubricLike = Rubric | Mapping[str, Any] | str | Path


class Judge:
    """Grades responses (direct assessment) and compares pairs (pairwise ranking).

    A parse failure is regenerated with a new seed up to ``max_attempts`` times, then recorded as a failure
    with the raw output kept. ``samples`` > 1 draws several verdicts per item and aggregates them.

    ``logprobs=True`` adds the distribution over the allowed values after the model's own last ``[RESULT]``
    (``Verdict.probabilities``/``expected_score``); ``score_only=True`` skips the feedback and reads that
    distribution after a forced marker: a different, faster protocol (see :mod:`judgeforge.scoring`).
    """

    def __init__(
        self,
        backend: Backend | str,
        template_set: str | Path | TemplateSet = DEFAULT_TEMPLATE_SET,
        chat_format: str = "mistral-inst",
        *,
        sampling: SamplingParams | Mapping[str, Any] | None = None,
        max_attempts: int = 3,
        samples: int = 1,
        aggregate: str = "mean",
        tokenizer: Any | None = None,
        backend_options: Mapping[str, Any] | None = None,
        logprobs: bool = False,
        score_only: bool = False,
        check_preset: bool = True,
    ) -> None:
        self.backend = create_backend(backend, backend_options) if isinstance(backend, str) else backend
        self.renderer = PromptRenderer(template_set, chat_format, tokenizer)
        self.parse = parsers.get(self.renderer.template_set.parser)
        self.sampling = _sampling(sampling)
        self.logprobs, self.score_only = logprobs or score_only, score_only
        self._protocol = (SCORE_ONLY_PROTOCOL if score_only else FEEDBACK_PROTOCOL) if self.logprobs else None
        if self.logprobs:
            check_backend(self.backend, score_only)
            top = max(self.sampling.top_logprobs, DEFAULT_TOP_LOGPROBS)
            self.sampling = self.sampling.model_copy(update={"logprobs": True, "top_logprobs": top})
        if check_preset:
            _warn_on_preset_mismatch(self.backend, self.renderer)
        if max_attempts < 1 or samples < 1:
            raise ValueError("max_attempts and samples must be at least 1")
        self.max_attempts = max_attempts
        self.samples = samples
        self.aggregate = aggregate

    @classmethod
    def from_preset(
        cls,
        preset: str,
        backend: Backend | str,
        *,
        template_set: str | Path | TemplateSet | None = None,
        chat_format: str | None = None,
        tokenizer: Any | None = None,
        backend_options: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> Judge:
        """A judge with the template set and chat format of a judge-family preset (see
        :mod:`judgeforge.presets`); ``template_set``/``chat_format`` given here override the preset."""
        from judgeforge.presets import get_preset

        chosen = get_preset(preset)
        if isinstance(backend, str):
            backend = create_backend(backend, backend_options)
        chat_format = chat_format or chosen.chat_format
        if chat_format == "tokenizer" and tokenizer is None:
            tokenizer = getattr(backend, "tokenizer", None)  # in-process backends hold the model's tokenizer
        return cls(
            backend,
            template_set or chosen.template_set,
            chat_format,
            tokenizer=tokenizer,
            check_preset=False,
            **kwargs,
        )

    # -- single items -------------------------------------------------------------------------------
    def grade(
        self, instruction: str, response: str, rubric: RubricLike, reference_answer: str | None = None
    ) -> Judgment:
        item = DirectItem(
            instruction=instruction,
            response=response,
            rubric=load_rubric(rubric),
            reference_answer=reference_answer,
        )
        return self.grade_many([item])[0]

    def compare(
        self,
        instruction: str,
        response_a: str,
        response_b: str,
        rubric: RubricLike,
        reference_answer: str | None = None,
    ) -> Judgment:
        item = PairItem(
            instruction=instruction,
            response_a=response_a,
            response_b=response_b,
            rubric=load_rubric(rubric),
            reference_answer=reference_answer,
        )
        return self.compare_many([item])[0]

    # -- batches ------------------------------------------------------------------------------------
    def grade_many(self, items: Iterable[DirectItem]) -> list[Judgment]:
        return _run_sync(self.agrade_many(items))

    def compare_many(self, items: Iterable[PairItem]) -> list[Judgment]:
        return _run_sync(self.acompare_many(items))

    async def agrade_many(self, items: Iterable[DirectItem]) -> list[Judgment]:
        items = list(items)
        prompts = [self.renderer.direct(item) for item in items]
        return await self.judge_prompts(prompts, [item.id for item in items])

    async def acompare_many(self, items: Iterable[PairItem]) -> list[Judgment]:
        items = list(items)
        prompts = [self.renderer.pair(item) for item in items]
        return await self.judge_prompts(prompts, [item.id for item in items])

    async def judge_prompts(self, prompts: Sequence[Prompt], ids: Sequence[str | None]) -> list[Judgment]:
        """Sample, parse with retries, and aggregate already rendered prompts (one mode per call)."""
        if self.score_only:
            per_sample = [
                await score_only(self.backend, prompts, self.sampling.for_sample(index, 0))
                for index in range(self.samples)
            ]
        else:
            per_sample = [await self._sample(prompts, index) for index in range(self.samples)]
        verdicts_by_item = (
            [(verdict,) for verdict, _ in per_sample[0]]
            if len(per_sample) == 1
            else [tuple(sample[i][0] for sample in per_sample) for i in range(len(prompts))]
        )
        usage_by_item = (
            [sample[1] for sample in per_sample[0]]
            if len(per_sample) == 1
            else [_sum_usage(sample[i][1] for sample in per_sample) for i in range(len(prompts))]
        )
        return [
            self._judgment(item_id, prompt.mode, verdicts, usage)
            for item_id, prompt, verdicts, usage in zip(ids, prompts, verdicts_by_item, usage_by_item)
        ]

    async def _sample(self, prompts: Sequence[Prompt], sample_index: int) -> list[tuple[Verdict, Usage]]:
        results: list[tuple[Verdict, Usage]] = [(Verdict(failure="not attempted"), Usage())] * len(prompts)
        pending = list(range(len(prompts)))
        for attempt in range(self.max_attempts):
            params = self.sampling.for_sample(sample_index, attempt)
            outcome = await self._generate([prompts[i] for i in pending], params)
            still_pending = []
            for position, index in enumerate(pending):
                verdict, usage = self._read(prompts[index].mode, outcome, position, attempt)
                results[index] = (verdict, _add_usage(results[index][1], usage) if attempt else usage)
                if not verdict.ok:
                    still_pending.append(index)
            pending = still_pending
            if not pending:
                break
        return results

    async def _generate(
        self, prompts: list[Prompt], params: SamplingParams
    ) -> list[Completion] | BackendError:
        try:
            return list(await self.backend.generate(prompts, params))
        except BackendError as exc:
            return exc

    def _read(
        self, mode: Mode, outcome: list[Completion] | BackendError, position: int, attempt: int
    ) -> tuple[Verdict, Usage]:
        if isinstance(outcome, BackendError):
            return Verdict(failure=f"backend error: {outcome}", attempts=attempt + 1), Usage()
        completion = outcome[position]
        verdict = self.parse(completion.text, mode)
        if attempt:  # parsers report attempts=1; only regenerations need a copy
            verdict = verdict.model_copy(update={"attempts": attempt + 1})
        if self.logprobs:
            verdict = with_distribution(verdict, feedback_distribution(completion, mode))
        return verdict, completion.usage

    def _judgment(
        self, item_id: str | None, mode: Mode, verdicts: tuple[Verdict, ...], usage: Usage
    ) -> Judgment:
        failure = None
        if all(not v.ok for v in verdicts):
            failure = verdicts[-1].failure
        if mode == "absolute":
            score, agreement = aggregate_scores(verdicts, self.aggregate)
            winner = None
        else:
            score = None
            winner, agreement = aggregate_winners(verdicts)
        # trusted(): every field was built above from typed parts (verdicts are already records).
        return Judgment.trusted(
            item_id=item_id,
            mode=mode,
            verdicts=verdicts,
            score=score,
            winner=winner,
            agreement=agreement,
            failure=failure,
            usage=usage,
            extra={"protocol": self._protocol} if self._protocol else {},
        )


def _sampling(sampling: SamplingParams | Mapping[str, Any] | None) -> SamplingParams:
    if isinstance(sampling, SamplingParams):
        return sampling
    return DEFAULT_SAMPLING.merged(sampling)


def _warn_on_preset_mismatch(backend: Backend, renderer: PromptRenderer) -> None:
    from judgeforge.presets import mismatch_warning

    message = mismatch_warning(backend.identity(), renderer.template_set.name, renderer.chat_format_name)
    if message:
        warnings.warn(message, UserWarning, stacklevel=3)


def _add_usage(left: Usage, right: Usage) -> Usage:
    return Usage.trusted(
        prompt_tokens=left.prompt_tokens + right.prompt_tokens,
        completion_tokens=left.completion_tokens + right.completion_tokens,
    )


def _sum_usage(usages: Iterable[Usage]) -> Usage:
    total = Usage()
    for usage in usages:
        total = _add_usage(total, usage)
    return total


def _run_sync(awaitable: Awaitable[T]) -> T:
    """Run a coroutine from synchronous code (not from inside a running event loop).

    ``asyncio.run`` without its Ctrl-C handler: restoring that handler builds the repr of the finished
    task, all its judgments included, on every call (visible in a profile of a 16-item score-only call,
    docs/performance.md). Ctrl-C still
    stops the call with KeyboardInterrupt; leftover tasks are cancelled and the loop is closed either way.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        if inspect.iscoroutine(awaitable):
            awaitable.close()  # never started: no "was never awaited" warning on top of the error
        raise RuntimeError(
            "Judge's synchronous methods cannot run inside an event loop; await the a* methods"
        )
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(awaitable)
    finally:
        try:
            _cancel_leftover_tasks(loop)
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())
        finally:
            loop.close()


def _cancel_leftover_tasks(loop: asyncio.AbstractEventLoop) -> None:
    tasks = asyncio.all_tasks(loop)
    if not tasks:
        return
    for task in tasks:
        task.cancel()
    loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
