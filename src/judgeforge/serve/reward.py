"""A judge as a reward for RL: a TRL-compatible reward function backed by a local Judge or the service.

TRL (1.x, ``GRPOTrainer``) calls each reward function with keyword arguments only::

    reward(prompts=[...], completions=[...], completion_ids=[...], trainer_state=..., log_extra=...,
           log_metric=..., **dataset_columns) -> list[float | None]

Prompts and completions are strings, or chat messages (``[{"role": ..., "content": ...}, ...]``) in the
conversational format. A ``None`` reward makes TRL leave that sample out of this reward. The graded
instruction is the prompt (its last user message); the response is the completion's text. A dataset column
named ``rubric`` (a library name or a rubric mapping) or ``reference_answer`` is used per sample when present.

Normalisation: ``raw`` (the judge's 1..5, a mean when it samples several times), ``linear`` ((s-1)/4 in 0..1),
``zscore`` (standardised over the batch's successful scores; 0 when they are all equal). A sample the judge
could not grade, or whose completion is empty, gets ``failure_value`` (in output units; None = skip it).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

from judgeforge.errors import ConfigError
from judgeforge.judge import Judge
from judgeforge.prompts.rubrics import load_rubric
from judgeforge.records import DirectItem, Rubric
from judgeforge.registry import Registry
from judgeforge.serve.client import AsyncJudgeClient, JudgeClient

Normalization = Literal["raw", "linear", "zscore"]
normalizations: Registry[Callable[[list[float]], list[float]]] = Registry("reward normalisation")
normalizations.add("raw", lambda scores: list(scores))
normalizations.add("linear", lambda scores: [(score - 1.0) / 4.0 for score in scores])


@normalizations.register("zscore")
def zscore(scores: list[float]) -> list[float]:
    """(s - mean) / population std over the batch; all zeros when the scores do not vary."""
    if len(scores) < 2:
        return [0.0] * len(scores)
    mean, spread = statistics.fmean(scores), statistics.pstdev(scores)
    return [0.0 if spread == 0 else (score - mean) / spread for score in scores]


def normalize(scores: Sequence[float | None], method: str, failure_value: float | None) -> list[float | None]:
    """Normalise the successful scores (``None`` = failure) and give failures ``failure_value``."""
    graded = [score for score in scores if score is not None]
    normalized = iter(normalizations.get(method)(graded))
    return [failure_value if score is None else next(normalized) for score in scores]


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
        self, rows: list[dict[str, Any] | None], scores: list[float | None], columns: Mapping[str, Any]
    ) -> list[float | None]:
        merged = iter(scores)
        per_row = [None if row is None else next(merged) for row in rows]
        log_metric = columns.get("log_metric")
        if callable(log_metric) and per_row:
            log_metric(f"{self.__name__}/failure_rate", sum(s is None for s in per_row) / len(per_row))
        return normalize(per_row, self.normalization, self.failure_value)


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
        return self._finish(rows, [r.score for r in results], columns)


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
        return self._finish(rows, [r.score for r in results], columns)


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
