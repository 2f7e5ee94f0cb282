"""A judge as a reward for RL: a TRL-compatible reward function backed by a local Judge or the service.

TRL (1.x, ``GRPOTrainer``) calls each reward function with keyword arguments only::

    reward(prompts=[...], completions=[...], completion_ids=[...], trainer_state=..., log_extra=...,
           log_metric=..., **dataset_columns) -> list[float | None]

Prompts and completions are strings, or chat messages (``[{"role": ..., "content": ...}, ...]``) in the
conversational format. A ``None`` reward makes TRL leave that sample out of this reward. The graded
instruction is the prompt (its last user message); the response is the completion's text. A dataset column
named ``rubric`` (a library name or a rubric mapping) or ``reference_answer`` is used per sample when present.

Normalisation is by the scale each item was graded on (:mod:`judgeforge.serve.reward_scale`: the rubric's own
scale, else the template set's scale values, else 1..5). ``raw``: the verdict's point on that scale (the
judge's score, a mean when it samples several times; on a scale of words, the majority label's position, 0 =
worst); ``linear``: (point - min) / (max - min), in 0..1 (``(s-1)/4`` on 1..5; on a Yes/No scale No = 0, Yes =
1); ``zscore``: the linear values standardised over the batch's graded samples (on one scale the same as
standardising the scores; 0 when they are all equal). A sample the judge could not grade, or whose completion is
empty, gets ``failure_value`` (in output units; None = skip it).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

from judgeforge.errors import ConfigError
from judgeforge.judge import Judge
from judgeforge.prompts.rubrics import load_rubric
from judgeforge.prompts.scales import ScaleSpec
from judgeforge.records import DirectItem, Rubric
from judgeforge.registry import Registry
from judgeforge.serve.client import AsyncJudgeClient, JudgeClient
from judgeforge.serve.reward_scale import STANDARD, GradedScale, graded_scale, item_scale

Normalization = Literal["raw", "linear", "zscore"]
# (points on each item's scale, those scales) -> rewards, one per point
Normalizer = Callable[[list[float], list[GradedScale]], list[float]]
normalizations: Registry[Normalizer] = Registry("reward normalisation")
normalizations.add("raw", lambda points, scales: list(points))


@normalizations.register("linear")
def linear(points: list[float], scales: list[GradedScale]) -> list[float]:
    """(point - min) / (max - min) of each item's own scale: 0..1."""
    return [scale.unit(point) for point, scale in zip(points, scales, strict=True)]


@normalizations.register("zscore")
def zscore(points: list[float], scales: list[GradedScale]) -> list[float]:
    """(u - mean) / population std of the linear values u over the batch; all zeros when they do not vary."""
    units = linear(points, scales)
    if len(units) < 2:
        return [0.0] * len(units)
    mean, spread = statistics.fmean(units), statistics.pstdev(units)
    return [0.0 if spread == 0 else (unit - mean) / spread for unit in units]


def normalize(
    points: Sequence[float | None],
    method: str,
    failure_value: float | None,
    scales: Sequence[GradedScale] | None = None,
) -> list[float | None]:
    """Normalise the graded points (``None`` = failure) on their items' ``scales`` (default: 1..5 each) and
    give failures ``failure_value``."""
    scales = list(scales) if scales is not None else [graded_scale(STANDARD)] * len(points)
    graded = [(point, scale) for point, scale in zip(points, scales, strict=True) if point is not None]
    normalized = iter(normalizations.get(method)([p for p, _ in graded], [s for _, s in graded]))
    return [failure_value if point is None else next(normalized) for point in points]


class _RewardBase:
    def __init__(
        self,
        grader: Any,
        rubric: str | Rubric | Mapping[str, Any] | None = None,
        *,
        normalization: Normalization = "linear",
        failure_value: float | None = 0.0,
        name: str = "judge_reward",
    ) -> None:
        normalizations.get(normalization)  # an unknown name fails here, not at the first training step
        self.grader = grader
        self.rubric = rubric
        self.normalization = normalization
        self.failure_value = failure_value
        # TRL names the reward in its logs after ``__name__`` (falling back to the class name).
        self.__name__ = name

    def _rows(
        self, prompts: Sequence[Any], completions: Sequence[Any], columns: Mapping[str, Any]
    ) -> list[dict[str, Any] | None]:
        if len(prompts) != len(completions):
            raise ConfigError(f"{len(prompts)} prompts but {len(completions)} completions")
        rubrics = columns.get("rubric") or [self.rubric] * len(prompts)
        references = columns.get("reference_answer") or [None] * len(prompts)
        rows: list[dict[str, Any] | None] = []
        for prompt, completion, rubric, reference in zip(prompts, completions, rubrics, references):
            response = _text(completion, "assistant")
            if rubric is None:
                raise ConfigError("no rubric: pass one to the reward or give the dataset a 'rubric' column")
            if not response.strip():
                rows.append(None)  # an empty completion is a failure, not something to send
                continue
            rows.append(
                {
                    "instruction": _text(prompt, "user"),
                    "response": response,
                    "rubric": rubric,
                    "reference_answer": reference,
                }
            )
        return rows

    def _finish(
        self, rows: list[dict[str, Any] | None], results: Sequence[Any], columns: Mapping[str, Any]
    ) -> list[float | None]:
        """Each row's reward from its result (a Judgment or JudgmentOut: ``score``, ``label``) on its scale."""
        set_scale = _set_scale(self.grader)
        scales = [
            item_scale(load_rubric(row["rubric"], record=index), set_scale)
            for index, row in enumerate(rows)
            if row is not None
        ]
        points = [scale.point(r.score, r.label) for scale, r in zip(scales, results, strict=True)]
        merged, merged_scales = iter(points), iter(scales)
        per_row = [None if row is None else next(merged) for row in rows]
        row_scales = [graded_scale(STANDARD) if row is None else next(merged_scales) for row in rows]
        log_metric = columns.get("log_metric")
        if callable(log_metric) and per_row:
            log_metric(f"{self.__name__}/failure_rate", sum(s is None for s in per_row) / len(per_row))
        return normalize(per_row, self.normalization, self.failure_value, row_scales)


class JudgeReward(_RewardBase):
    """A synchronous TRL reward function; ``grader`` is a :class:`Judge` or a :class:`JudgeClient`.

    ``JudgeReward(Judge("fake"), "helpfulness")(prompts=[...], completions=[...]) -> [0.75, ...]``
    """

    def __call__(
        self, prompts: Sequence[Any], completions: Sequence[Any], **columns: Any
    ) -> list[float | None]:
        rows = self._rows(prompts, completions, columns)
        graded = [row for row in rows if row is not None]
        if isinstance(self.grader, Judge):
            results: Sequence[Any] = self.grader.grade_many(_direct_items(graded)) if graded else []
        elif isinstance(self.grader, JudgeClient):
            results = self.grader.grade(graded) if graded else []
        else:
            raise ConfigError(
                "JudgeReward needs a Judge or a JudgeClient (AsyncJudgeReward takes async ones)"
            )
        return self._finish(rows, results, columns)


class AsyncJudgeReward(_RewardBase):
    """The same reward as a coroutine (TRL awaits async reward functions concurrently with the others);
    ``grader`` is a :class:`Judge` or an :class:`AsyncJudgeClient`."""

    async def __call__(
        self, prompts: Sequence[Any], completions: Sequence[Any], **columns: Any
    ) -> list[float | None]:
        rows = self._rows(prompts, completions, columns)
        graded = [row for row in rows if row is not None]
        if isinstance(self.grader, Judge):
            results: Sequence[Any] = await self.grader.agrade_many(_direct_items(graded)) if graded else []
        elif isinstance(self.grader, AsyncJudgeClient):
            results = await self.grader.grade(graded) if graded else []
        else:
            raise ConfigError("AsyncJudgeReward needs a Judge or an AsyncJudgeClient")
        return self._finish(rows, results, columns)


def _set_scale(grader: Any) -> ScaleSpec | None:
    """The local judge's template-set scale. Through the service there is none to read: it refuses a rubric
    its set cannot show (422), so every item it grades is on the rubric's own scale or the standard 1..5."""
    return grader.renderer.template_set.scale if isinstance(grader, Judge) else None


def _direct_items(rows: list[dict[str, Any]]) -> list[DirectItem]:
    return [
        DirectItem(**{**row, "rubric": load_rubric(row["rubric"], record=index)})
        for index, row in enumerate(rows)
    ]


def _text(value: Any, role: str) -> str:
    """A plain string, or the content of the last ``role`` message (all messages' content if none has it)."""
    if isinstance(value, str):
        return value
    if isinstance(value, Sequence):
        messages = [m for m in value if isinstance(m, Mapping)]
        chosen = [m for m in messages if m.get("role") == role][-1:] or messages
        return "\n".join(str(m.get("content", "")) for m in chosen)
    raise ConfigError(f"expected a string or chat messages, got {type(value).__name__}")
