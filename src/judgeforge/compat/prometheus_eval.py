"""A bridge for prometheus-eval users: its call shapes, judgeforge's templates, parser and backends underneath.

Source: the PyPI package prometheus-eval 0.1.20, ``prometheus_eval/judge.py`` (``PrometheusEval``) and
``prometheus_eval/prompts.py`` (the constants re-derived below from the ``prometheus-eval-0.1.20`` template
set, equal to the package's: tests/compat checks them against it when it is installed)::

    from judgeforge.compat.prometheus_eval import PrometheusEval, ABSOLUTE_PROMPT

    judge = PrometheusEval(model="vllm", backend_options={"model": "prometheus-eval/prometheus-7b-v2.0"})
    feedbacks, scores = judge.absolute_grade(
        instructions=[...], responses=[...], rubric=score_rubric, reference_answers=[...]
    )

What differs from prometheus-eval (docs/migrating.md has the whole list, each quirk with its source):

- a failure is ``None`` in *both* lists (prometheus-eval: feedback ``"Failed to generate feedback"``, score
  ``None``); :meth:`PrometheusEval.absolute_judgments` returns the full records with the reason;
- a feedback is the text before the verdict (prometheus-eval returns the whole output, ``[RESULT] 4``
  included);
- the default templates follow the item: a reference answer selects the with-reference template, none the
  one without (prometheus-eval's default template drops references silently); an explicit template that
  cannot show an item's input raises TemplateError;
- ``params`` are merged into the paper's defaults (prometheus-eval replaces all defaults by any non-empty
  ``params``); unparseable outputs are regenerated up to ``max_attempts`` times with a new seed each.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any

from judgeforge.backends import Backend, create_backend
from judgeforge.backends.retry import RetryPolicy
from judgeforge.compat._prometheus_inputs import (
    direct_items,
    pair_items,
    rubrics_for,
    sampling_overrides,
    text_list,
    to_format_string,
    with_templates,
)
from judgeforge.errors import ConfigError
from judgeforge.judge import Judge
from judgeforge.prompts import TemplateSet, get_template_set
from judgeforge.records import DirectItem, Judgment, PairItem, Winner
from judgeforge.sampling import SamplingParams

TEMPLATE_SET = "prometheus-eval-0.1.20"
_SET = get_template_set(TEMPLATE_SET)
ABS_SYSTEM_PROMPT = _SET.system_prompts["absolute"]
REL_SYSTEM_PROMPT = _SET.system_prompts["relative"]
ABSOLUTE_PROMPT = to_format_string(_SET.templates["absolute"], "absolute")
ABSOLUTE_PROMPT_WO_REF = to_format_string(_SET.templates["absolute_wo_ref"], "absolute")
RELATIVE_PROMPT = to_format_string(_SET.templates["relative"], "relative")
RELATIVE_PROMPT_WO_REF = to_format_string(_SET.templates["relative_wo_ref"], "relative")
SCORE_RUBRIC_TEMPLATE = (
    "[{criteria}]\nScore 1: {score1_description}\nScore 2: {score2_description}\n"
    "Score 3: {score3_description}\nScore 4: {score4_description}\nScore 5: {score5_description}"
)
# prometheus-eval's default is a mutable ``{}``; this one compares equal to it and cannot be changed.
_NO_PARAMS: Mapping[str, Any] = MappingProxyType({})
_MODEL_HINTS = {
    "validate_vllm": "PrometheusEval(model='vllm', backend_options={'model': <path or hub id>})",
    "validate_litellm": "PrometheusEval(model='openai_compat', backend_options={'base_url': <api_base>, "
    "'model': <name>})",
    "validate_mockllm": "PrometheusEval(model='fake')",
}


class PrometheusEval:
    """prometheus-eval 0.1.20's ``PrometheusEval`` over a :class:`~judgeforge.judge.Judge` (``self.judge``).

    ``model``: a judgeforge :class:`~judgeforge.backends.Backend` or a backend name (``"vllm"``,
    ``"openai_compat"``, ``"transformers"``, ``"llama_cpp"``, ``"fake"``) with ``backend_options``.
    ``absolute_grade_template``/``relative_grade_template``: None (default: the ``template_set``'s templates,
    with or without reference per item) or a ``str.format`` template such as :data:`ABSOLUTE_PROMPT`, which
    then serves every item of its mode (an item it cannot show raises TemplateError). ``chat_format``
    (default ``mistral-inst``: prometheus-eval's vLLM prompt), ``sampling`` (defaults of the paper),
    ``max_attempts`` (outputs without a verdict are regenerated with a new seed), ``tokenizer`` and
    ``retry`` are the Judge's. Raises ConfigError for an unknown backend or option, TemplateError for a
    template it cannot fill.
    """

    def __init__(
        self,
        model: Backend | str,
        absolute_grade_template: str | None = None,
        relative_grade_template: str | None = None,
        *,
        template_set: str | Path | TemplateSet = TEMPLATE_SET,
        chat_format: str = "mistral-inst",
        backend_options: Mapping[str, Any] | None = None,
        sampling: SamplingParams | Mapping[str, Any] | None = None,
        max_attempts: int = 3,
        tokenizer: Any | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        templates = with_templates(
            get_template_set(template_set), absolute_grade_template, relative_grade_template
        )
        self.judge = Judge(
            _backend(model, backend_options),
            templates,
            chat_format,
            sampling=sampling,
            max_attempts=max_attempts,
            tokenizer=tokenizer,
            retry=retry,
            check_preset=False,  # prometheus-eval's wording on a Prometheus model is this bridge's purpose
        )

    # -- prometheus-eval's four calls -------------------------------------------------------------------
    def absolute_grade(
        self,
        *,
        instructions: Sequence[str],
        responses: Sequence[str],
        rubric: list[str] | str | Any,
        reference_answers: Sequence[str | None] | None = None,
        params: Mapping[str, Any] = _NO_PARAMS,
    ) -> tuple[list[str | None], list[int | None]]:
        """Grade N responses 1..5: ``(feedbacks, scores)``, two lists of N, in order.

        ``rubric``: one for all or a list of N; a ``SCORE_RUBRIC_TEMPLATE`` string, a library rubric name,
        a Rubric or a mapping. ``reference_answers``: None or a list of N (None entries: no reference).
        ``params``: vLLM-style sampling keys merged into the judge's sampling. A failed item is ``None`` in
        both lists. Raises InputError (lengths, blank text, a rubric or reference the templates cannot show),
        ConfigError (an unsupported ``params`` key), BackendConfigError (the backend's setup).
        """
        judgments = self.absolute_judgments(
            instructions=instructions,
            responses=responses,
            rubric=rubric,
            reference_answers=reference_answers,
            params=params,
        )
        return [feedback_of(j) for j in judgments], [score_of(j) for j in judgments]

    def relative_grade(
        self,
        *,
        instructions: Sequence[str],
        responses_A: Sequence[str],  # prometheus-eval's argument name
        responses_B: Sequence[str],
        rubric: list[str] | str | Any,
        reference_answers: Sequence[str | None] | None = None,
        params: Mapping[str, Any] = _NO_PARAMS,
    ) -> tuple[list[str | None], list[Winner | None]]:
        """Compare N pairs: ``(feedbacks, winners)`` with winners ``"A"``/``"B"``, two lists of N.

        ``rubric``: the criterion line ``"[criteria]"``, a bare criterion (shown in brackets), a library
        name, a Rubric or a mapping; one for all or a list of N. Otherwise as :meth:`absolute_grade`; all
        three lists must have the same length (prometheus-eval's ``zip`` cuts the longer one silently).
        """
        judgments = self.relative_judgments(
            instructions=instructions,
            responses_A=responses_A,
            responses_B=responses_B,
            rubric=rubric,
            reference_answers=reference_answers,
            params=params,
        )
        return [feedback_of(j) for j in judgments], [j.winner for j in judgments]

    def single_absolute_grade(
        self,
        instruction: str,
        response: str,
        rubric: str | Any,
        reference_answer: str | None = None,
        params: Mapping[str, Any] = _NO_PARAMS,
    ) -> tuple[str | None, int | None]:
        """One response: ``(feedback, score)``; see :meth:`absolute_grade`."""
        feedbacks, scores = self.absolute_grade(
            instructions=[instruction],
            responses=[response],
            rubric=rubric,
            reference_answers=[reference_answer],
            params=params,
        )
        return feedbacks[0], scores[0]

    def single_relative_grade(
        self,
        instruction: str,
        response_A: str,  # prometheus-eval's argument name
        response_B: str,
        rubric: str | Any,
        reference_answer: str | None = None,
        params: Mapping[str, Any] = _NO_PARAMS,
    ) -> tuple[str | None, Winner | None]:
        """One pair: ``(feedback, winner)``; see :meth:`relative_grade`."""
        feedbacks, winners = self.relative_grade(
            instructions=[instruction],
            responses_A=[response_A],
            responses_B=[response_B],
            rubric=rubric,
            reference_answers=[reference_answer],
            params=params,
        )
        return feedbacks[0], winners[0]

    # -- the full records, and the coroutine forms (for code inside an event loop, e.g. Jupyter) -------------
    def absolute_judgments(
        self,
        *,
        instructions: Sequence[str],
        responses: Sequence[str],
        rubric: list[str] | str | Any,
        reference_answers: Sequence[str | None] | None = None,
        params: Mapping[str, Any] = _NO_PARAMS,
    ) -> list[Judgment]:
        """:meth:`absolute_grade`'s judgments: one per item, with failure reasons, raw outputs and usage."""
        items = _direct(instructions, responses, rubric, reference_answers)
        return self._judge_for(params).grade_many(items)

    def relative_judgments(
        self,
        *,
        instructions: Sequence[str],
        responses_A: Sequence[str],  # prometheus-eval's argument name
        responses_B: Sequence[str],
        rubric: list[str] | str | Any,
        reference_answers: Sequence[str | None] | None = None,
        params: Mapping[str, Any] = _NO_PARAMS,
    ) -> list[Judgment]:
        """:meth:`relative_grade`'s judgments: one per pair, with failure reasons, raw outputs and usage."""
        items = _pairs(instructions, responses_A, responses_B, rubric, reference_answers)
        return self._judge_for(params).compare_many(items)

    async def aabsolute_grade(
        self,
        *,
        instructions: Sequence[str],
        responses: Sequence[str],
        rubric: list[str] | str | Any,
        reference_answers: Sequence[str | None] | None = None,
        params: Mapping[str, Any] = _NO_PARAMS,
    ) -> tuple[list[str | None], list[int | None]]:
        """:meth:`absolute_grade` as a coroutine (the synchronous calls cannot run inside an event loop)."""
        items = _direct(instructions, responses, rubric, reference_answers)
        judgments = await self._judge_for(params).agrade_many(items)
        return [feedback_of(j) for j in judgments], [score_of(j) for j in judgments]

    async def arelative_grade(
        self,
        *,
        instructions: Sequence[str],
        responses_A: Sequence[str],  # prometheus-eval's argument name
        responses_B: Sequence[str],
        rubric: list[str] | str | Any,
        reference_answers: Sequence[str | None] | None = None,
        params: Mapping[str, Any] = _NO_PARAMS,
    ) -> tuple[list[str | None], list[Winner | None]]:
        """:meth:`relative_grade` as a coroutine."""
        items = _pairs(instructions, responses_A, responses_B, rubric, reference_answers)
        judgments = await self._judge_for(params).acompare_many(items)
        return [feedback_of(j) for j in judgments], [j.winner for j in judgments]

    def _judge_for(self, params: Mapping[str, Any] | None) -> Judge:
        """The judge, or one like it whose sampling has ``params`` merged in (same backend instance)."""
        overrides = sampling_overrides(params)
        if not overrides:
            return self.judge
        return Judge(
            self.judge.backend,
            self.judge.renderer.template_set,
            self.judge.renderer.chat_format_name,
            sampling=self.judge.sampling.merged(overrides),
            max_attempts=self.judge.max_attempts,
            tokenizer=self.judge.renderer.tokenizer,
            retry=self.judge.calls.policy,
            check_preset=False,
        )


def feedback_of(judgment: Judgment) -> str | None:
    """The feedback of the first verdict read (text before ``[RESULT]``), None when none was read."""
    return next((verdict.feedback for verdict in judgment.verdicts if verdict.ok), None)


def score_of(judgment: Judgment) -> int | None:
    """The score as prometheus-eval types it (an int 1..5), None when no verdict was read."""
    return None if judgment.score is None else int(judgment.score)


def _direct(instructions: object, responses: object, rubric: object, references: object) -> list[DirectItem]:
    count = len(text_list(instructions, "instructions"))
    return direct_items(
        text_list(instructions, "instructions"),
        text_list(responses, "responses", count),
        rubrics_for(rubric, count, "absolute"),
        _references(references, count),
    )


def _pairs(
    instructions: object, responses_a: object, responses_b: object, rubric: object, references: object
) -> list[PairItem]:
    count = len(text_list(instructions, "instructions"))
    return pair_items(
        text_list(instructions, "instructions"),
        text_list(responses_a, "responses_A", count),
        text_list(responses_b, "responses_B", count),
        rubrics_for(rubric, count, "relative"),
        _references(references, count),
    )


def _references(reference_answers: object, count: int) -> list[Any]:
    if reference_answers is None:
        return [None] * count
    return text_list(reference_answers, "reference_answers", count)


def _backend(model: object, options: Mapping[str, Any] | None) -> Backend:
    if isinstance(model, Backend):
        if options:
            raise ConfigError("backend_options apply to a backend given by name, not to a Backend instance")
        return model
    if isinstance(model, str):
        return create_backend(model, options)
    for marker, hint in _MODEL_HINTS.items():
        if hasattr(model, marker):
            raise ConfigError(f"a prometheus-eval model object cannot run here; use {hint}")
    raise ConfigError(f"model must be a judgeforge Backend or a backend name, got {type(model).__name__}")
