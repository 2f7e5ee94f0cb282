"""The Judge: render -> generate -> parse -> aggregate. Composition only; each step lives in its module."""

from __future__ import annotations

import asyncio
import inspect
import warnings
from collections.abc import Awaitable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from judgeforge.backends import Backend, BackendOptions, create_backend
from judgeforge.backends.middleware import ReliableBackend
from judgeforge.backends.retry import RetryPolicy
from judgeforge.errors import BackendConfigError, BackendError, ConfigError, InputError
from judgeforge.judge.aggregate import aggregate, score_aggregators
from judgeforge.judge.scoring import (
    DEFAULT_TOP_LOGPROBS,
    FEEDBACK_PROTOCOL,
    SCORE_ONLY_PROTOCOL,
    check_backend,
    feedback_distribution,
    score_only,
    with_distribution,
)
from judgeforge.parsing import parsers
from judgeforge.prompts import (
    DEFAULT_TEMPLATE_SET,
    PromptRenderer,
    TemplateSet,
    check_levels,
    default_chat_format,
    get_template_set,
)
from judgeforge.prompts.rubrics import load_rubric
from judgeforge.records import (
    Completion,
    DirectItem,
    GenerationFailure,
    Judgment,
    Mode,
    Outcome,
    PairItem,
    Prompt,
    Rubric,
    Usage,
    Verdict,
)
from judgeforge.sampling import DEFAULT_SAMPLING, SamplingParams

T = TypeVar("T")
RubricLike = Rubric | Mapping[str, Any] | str | Path


class Judge:
    """Grades responses (direct assessment) and compares pairs (pairwise ranking).

    A parse failure is regenerated with a new seed up to ``max_attempts`` times, then recorded as a failure
    with the raw output kept. ``samples`` > 1 draws several verdicts per item and aggregates them.

    ``logprobs=True`` adds the distribution over the allowed values after the model's own last ``[RESULT]``
    (``Verdict.probabilities``/``expected_score``); ``score_only=True`` skips the feedback and reads that
    distribution after a forced marker: a different, faster protocol (see :mod:`judgeforge.judge.scoring`).
    Where logprobs were asked for and none could be read, the verdict says so (``logprobs_missing``).

    Every backend call goes through :class:`~judgeforge.backends.middleware.ReliableBackend`: failures a
    retry can fix are retried per prompt under ``retry``; a prompt that fails for good is that item's
    failure (its siblings are unaffected); a configuration error raises
    :class:`~judgeforge.errors.BackendConfigError` at once.
    """

    def __init__(
        self,
        backend: Backend | str,
        template_set: str | Path | TemplateSet = DEFAULT_TEMPLATE_SET,
        chat_format: str | None = None,
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
        retry: RetryPolicy | None = None,
    ) -> None:
        self.backend = create_backend(backend, backend_options) if isinstance(backend, str) else backend
        self.calls = ReliableBackend(self.backend, retry)
        template_set = get_template_set(template_set)
        chat_format = default_chat_format(template_set, chat_format)  # the family's, unless given
        self.renderer = PromptRenderer(
            template_set, chat_format, _tokenizer(chat_format, tokenizer, self.backend)
        )
        self._checked_rubric: Rubric | None = None
        self.parse = parsers.get(self.renderer.template_set.parser)
        self.logprobs, self.score_only = logprobs or score_only, score_only
        self.sampling = judge_sampling(sampling, self.logprobs)
        self._protocol = protocol_name(self.logprobs, score_only)
        if self.logprobs:
            _check_logprob_set(self.renderer.template_set)
            check_backend(self.backend, score_only)
        if check_preset:
            _warn_on_preset_mismatch(self.backend, self.renderer)
        if max_attempts < 1 or samples < 1:
            raise ConfigError(
                f"max_attempts and samples must be at least 1, got max_attempts={max_attempts}, samples={samples}"
            )
        score_aggregators.get(aggregate)  # an unknown name fails here, naming the known ones
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
        :mod:`judgeforge.prompts.presets`); ``template_set``/``chat_format`` given here override the preset."""
        from judgeforge.prompts.presets import get_preset

        chosen = get_preset(preset)
        if isinstance(backend, str):
            backend = create_backend(backend, backend_options)
        chat_format = chat_format or chosen.chat_format
        return cls(
            backend,
            template_set or chosen.template_set,
            chat_format,
            tokenizer=tokenizer,
            check_preset=False,
            **kwargs,
        )

    def settings(self) -> dict[str, Any]:
        """Everything of this judge that can change an output (for run settings hashes and manifests):
        backend name and output-affecting options, template set and its fingerprint, chat format, sampling,
        samples, aggregation and logprob protocol. Model identity and retry settings are not in it."""
        options = getattr(self.backend, "options", None)
        return judge_settings(
            self.backend.name,
            options.output_settings() if isinstance(options, BackendOptions) else {},
            self.renderer.template_set,
            self.renderer.chat_format_name,
            self.sampling,
            self.samples,
            self.aggregate,
            self._protocol,
        )

    # -- single items -------------------------------------------------------------------------------
    def grade(
        self, instruction: str, response: str, rubric: RubricLike, reference_answer: str | None = None
    ) -> Judgment:
        """Direct assessment of one response: feedback, then a score 1..5 (Prometheus 2, Kim et al., 2024).

        ``rubric``: a Rubric, a mapping, a library name (``"helpfulness"``) or a YAML/JSON file. Returns one
        Judgment: ``score`` (float, the aggregate of ``samples`` verdicts; None when every sample failed),
        ``verdicts`` (each with feedback, or ``failure`` and the raw output), ``failure``, ``usage`` (tokens).
        Raises InputError (blank text, a bad rubric), BackendConfigError (the backend's setup is wrong).
        Must not be called inside a running event loop (use :meth:`agrade_many`).

        >>> Judge("fake").grade("Cook rice?", "Boil it.", "helpfulness").score  # doctest: +SKIP
        4.0
        """
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
        """Pairwise ranking of two responses: comparative feedback, then ``winner`` "A" or "B".

        ``winner`` is the majority of ``samples`` verdicts (None on an even split or when every sample failed;
        ``agreement`` is the majority's share). Same errors as :meth:`grade`.

        >>> Judge("fake").compare("Cook rice?", "Boil it.", "Fry it.", "helpfulness").winner  # doctest: +SKIP
        'A'
        """
        item = PairItem(
            instruction=instruction,
            response_a=response_a,
            response_b=response_b,
            rubric=load_rubric(rubric),
            reference_answer=reference_answer,
        )
        return self.compare_many([item])[0]

    # -- batches ------------------------------------------------------------------------------------
    def grade_many(self, items: Iterable[DirectItem | Mapping[str, Any]]) -> list[Judgment]:
        """Direct assessment of several items in one backend call; mappings take the row fields
        (``instruction``, ``response``, ``rubric``, optional ``reference_answer`` and ``id``)."""
        return _run_sync(self.agrade_many(items))

    def compare_many(self, items: Iterable[PairItem | Mapping[str, Any]]) -> list[Judgment]:
        """Pairwise ranking of several pairs; mappings take ``response_a``/``response_b`` instead."""
        return _run_sync(self.acompare_many(items))

    async def agrade_many(self, items: Iterable[DirectItem | Mapping[str, Any]]) -> list[Judgment]:
        """The coroutine form of :meth:`grade_many`: one Judgment per item, in order."""
        direct = [_item(item, index, "absolute") for index, item in enumerate(items)]
        prompts = [self.render(item)[0] for item in direct]
        return await self.judge_prompts(prompts, [item.id for item in direct])

    async def acompare_many(self, items: Iterable[PairItem | Mapping[str, Any]]) -> list[Judgment]:
        """The coroutine form of :meth:`compare_many`: one Judgment per pair, in order."""
        pairs = [_item(item, index, "relative") for index, item in enumerate(items)]
        prompts = [self.render(item)[0] for item in pairs]
        return await self.judge_prompts(prompts, [item.id for item in pairs])

    # -- the pipeline every executor calls (runner, Ray workers, service, bench) -------------------------
    def render(self, item: DirectItem | PairItem, both_orders: bool = False) -> list[Prompt]:
        """The prompts of one item: one, or for a pair judged in both orders (A, B) then (B, A).

        Raises InputError (TemplateError, RubricError) for what the template set cannot show.
        """
        if type(item) is DirectItem:  # items are built as exact classes; isinstance on a model is slower
            if item.rubric is not self._checked_rubric:  # rows of a run usually share one rubric object
                check_levels(item.rubric, self.renderer.template_set)
                self._checked_rubric = item.rubric
            return [self.renderer.direct(item)]
        pair = item if type(item) is PairItem else PairItem.model_validate(item)
        prompts = [self.renderer.pair(pair)]
        if both_orders:
            swapped = pair.model_copy(update={"response_a": pair.response_b, "response_b": pair.response_a})
            prompts.append(self.renderer.pair(swapped))
        return prompts

    async def judge_rendered(
        self, rendered: Sequence[Sequence[Prompt]], ids: Sequence[str | None]
    ) -> list[tuple[Judgment, ...]]:
        """Judge items rendered by :meth:`render`: one tuple per item, of one Judgment per prompt (forward,
        then swapped for both orders). All prompts of all items go to the backend in one call."""
        flat = [prompt for prompts in rendered for prompt in prompts]
        if len(flat) == len(rendered):  # one prompt per item: no regrouping
            return [(judgment,) for judgment in await self.judge_prompts(flat, ids)]
        flat_ids = [item_id for item_id, prompts in zip(ids, rendered) for _ in prompts]
        judgments = iter(await self.judge_prompts(flat, flat_ids))
        return [tuple(next(judgments) for _ in prompts) for prompts in rendered]

    async def judge_prompts(self, prompts: Sequence[Prompt], ids: Sequence[str | None]) -> list[Judgment]:
        """Sample, parse with retries, and aggregate already rendered prompts: one Judgment per prompt.

        ``samples`` verdicts per prompt (seeds differ per sample and parse attempt); unparseable outputs are
        regenerated up to ``max_attempts`` times; a prompt the backend failed for good is a failed verdict.
        All pending prompts of one sample and attempt go to the backend in one call."""
        if self.score_only:
            per_sample = [
                await score_only(self.calls, prompts, self.sampling.for_sample(index, 0))
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
                verdict, usage = self._read(prompts[index], outcome, position, attempt)
                results[index] = (verdict, _add_usage(results[index][1], usage) if attempt else usage)
                # Regenerate on a parse failure only: a prompt the backend failed for good (after the
                # retry policy) would fail the same way again.
                if not verdict.ok and type(outcome[position]) is not GenerationFailure:
                    still_pending.append(index)
            pending = still_pending
            if not pending:
                break
        return results

    async def _generate(self, prompts: list[Prompt], params: SamplingParams) -> list[Outcome]:
        try:
            return await self.calls.generate(prompts, params)
        except BackendConfigError:
            raise
        except BackendError as exc:  # the backend broke its contract; every prompt of the call failed
            failure = GenerationFailure(message=str(exc))
            return [failure] * len(prompts)

    def _read(
        self, prompt: Prompt, outcome: list[Outcome], position: int, attempt: int
    ) -> tuple[Verdict, Usage]:
        result = outcome[position]
        if type(result) is GenerationFailure:
            failure = f"backend error: {result.message}"
            return Verdict(failure=failure, attempts=attempt + 1), Usage()
        completion: Completion = result  # type: ignore[assignment]  # the middleware checked it is one
        mode = prompt.mode
        verdict = self.parse(completion.text, mode, prompt.scale)
        if attempt:  # parsers report attempts=1; only regenerations need a copy
            verdict = verdict.model_copy(update={"attempts": attempt + 1})
        if self.logprobs:
            verdict = _with_logprobs(verdict, completion, mode)
        return verdict, completion.usage

    def _judgment(
        self, item_id: str | None, mode: Mode, verdicts: tuple[Verdict, ...], usage: Usage
    ) -> Judgment:
        if len(verdicts) == 1:  # the common case, without a generator
            failure = verdicts[0].failure
        else:
            failure = verdicts[-1].failure if all(not v.ok for v in verdicts) else None
        result = aggregate(verdicts, mode, self.aggregate)
        extra = result.extra or {}
        if self._protocol:
            extra = {"protocol": self._protocol, **extra}
        # trusted(): every field was built above from typed parts (verdicts are already records).
        return Judgment.trusted(
            item_id=item_id,
            mode=mode,
            verdicts=verdicts,
            score=result.score,
            winner=result.winner,
            agreement=result.agreement,
            failure=failure,
            usage=usage,
            extra=extra,
            label=result.label,
        )


def _tokenizer(chat_format: str, tokenizer: Any | None, backend: Backend) -> Any | None:
    """The tokenizer the chat format needs: the one given (an object, or a path to load), else the model's
    own where the backend holds it (transformers, vLLM); ConfigError naming the fix otherwise."""
    if isinstance(tokenizer, str | Path):
        from judgeforge.prompts.chat import load_tokenizer

        return load_tokenizer(str(tokenizer))
    if tokenizer is not None or chat_format != "tokenizer":
        return tokenizer
    own = getattr(backend, "tokenizer", None)
    if own is None:
        raise ConfigError(
            f"chat format 'tokenizer' formats prompts with the model's chat template, but backend "
            f"'{backend.name}' holds no tokenizer: pass tokenizer=PATH (CLI: --tokenizer PATH, a folder with "
            "tokenizer_config.json), or use a backend that loads the model (transformers, vllm)"
        )
    return own


def _item(value: Any, index: int, mode: Mode) -> DirectItem | PairItem:
    """An item record as is, or one built from a mapping of row fields (InputError naming the field)."""
    expected = DirectItem if mode == "absolute" else PairItem
    if isinstance(value, expected):
        return value
    if isinstance(value, Mapping):
        from judgeforge.inputs import item_from_row

        return item_from_row(value, record=f"item {index}", mode=mode)
    raise InputError(
        f"expected a {expected.__name__} or a mapping, got {type(value).__name__}", record=f"item {index}"
    )


def judge_sampling(sampling: SamplingParams | Mapping[str, Any] | None, logprobs: bool) -> SamplingParams:
    """The sampling a judge uses: overrides merged into the paper's defaults, plus what logprobs need."""
    params = sampling if isinstance(sampling, SamplingParams) else DEFAULT_SAMPLING.merged(sampling)
    if logprobs:
        top = max(params.top_logprobs, DEFAULT_TOP_LOGPROBS)
        params = params.model_copy(update={"logprobs": True, "top_logprobs": top})
    return params


def protocol_name(logprobs: bool, score_only: bool) -> str | None:
    """The logprob protocol's name, None without logprobs (see :mod:`judgeforge.judge.scoring`)."""
    if not logprobs and not score_only:
        return None
    return SCORE_ONLY_PROTOCOL if score_only else FEEDBACK_PROTOCOL


def judge_settings(
    backend: str,
    backend_options: Mapping[str, Any],
    template_set: TemplateSet,
    chat_format: str,
    sampling: SamplingParams,
    samples: int,
    aggregate: str,
    protocol: str | None,
) -> dict[str, Any]:
    """The output-affecting settings of a judge, as plain data (one shape for local, Ray and bench)."""
    return {
        "backend": backend,
        "backend_options": dict(backend_options),
        "template_set": template_set.name,
        "template_fingerprint": template_set.fingerprint(),
        "chat_format": chat_format,
        "sampling": sampling.payload(),
        "samples": samples,
        "aggregate": aggregate,
        "protocol": protocol,
    }


def _with_logprobs(verdict: Verdict, completion: Completion, mode: Mode) -> Verdict:
    """The verdict with its value distribution, or with the reason none could be read."""
    if not verdict.ok:  # no verdict to attach a distribution to; the parse failure says enough
        return with_distribution(verdict, feedback_distribution(completion, mode))
    if not completion.logprobs:
        return verdict.model_copy(update={"logprobs_missing": "the backend returned no logprobs"})
    distribution = feedback_distribution(completion, mode)
    if distribution is None:
        reason = "no allowed value among the logprobs after the last [RESULT]"
        return verdict.model_copy(update={"logprobs_missing": reason})
    return with_distribution(verdict, distribution)


def _check_logprob_set(template_set: TemplateSet) -> None:
    """The logprob protocols read the distribution after a ``[RESULT]`` marker: Prometheus wordings only."""
    if template_set.parser != "prometheus":
        raise ConfigError(
            f"logprobs/score-only read the verdict after Prometheus's [RESULT] marker; template set "
            f"'{template_set.name}' (parser '{template_set.parser}') writes its verdict another way"
        )


def _warn_on_preset_mismatch(backend: Backend, renderer: PromptRenderer) -> None:
    from judgeforge.prompts.presets import mismatch_warning

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
