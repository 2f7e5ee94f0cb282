"""Generate the toy world: groups of five responses scored 1..5, and the datasets built from them.

A *group* is one task with five responses whose true scores are 1, 2, 3, 4 and 5 (checked from the text).
From groups come:

- Feedback Collection rows (:class:`~judgeforge.data.collections.FeedbackRow`, the published columns;
  ``instruction`` is the rendered absolute prompt of the ``prometheus2`` set with the reference answer,
  ``output`` is ``Feedback: ... [RESULT] k``);
- benchmark files in the published formats the bench loaders read: a Vicuna-Bench-style direct set (rendered
  prompt + ``gpt4_score`` list, here the true score) and an HHH-style pairwise set (``chosen_instruction`` /
  ``rejected_instruction``), with the family as ``category`` / ``source``;
- the pre-training corpus (:mod:`judgeforge.toy.corpus`). The Preference Collection comes from the
  preference builder with the toy teacher (:mod:`judgeforge.toy.teacher`).

Everything is seeded: the same seed gives byte-identical files. Test tasks are drawn first and their
instructions are excluded from training, so no test instruction is seen in training.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from judgeforge.data.collections import FeedbackRow
from judgeforge.prompts import TemplateSet, get_template_set
from judgeforge.records import DirectItem, PairItem
from judgeforge.toy.families import Family, Task, direct_feedback, families, pair_feedback

TEMPLATE_SET = "prometheus2"


@dataclass(frozen=True)
class Group:
    """One task and its five responses; ``responses[k - 1]`` has true score ``k``."""

    task: Task
    responses: tuple[str, ...]

    @property
    def family(self) -> Family:
        return families.get(self.task.family)

    def item(self, score: int, item_id: str | None = None) -> DirectItem:
        return DirectItem(
            id=item_id,
            instruction=self.task.instruction,
            response=self.responses[score - 1],
            rubric=self.task.rubric,
            reference_answer=self.task.reference_answer,
        )

    def pair(self, score_a: int, score_b: int, item_id: str | None = None) -> PairItem:
        return PairItem(
            id=item_id,
            instruction=self.task.instruction,
            response_a=self.responses[score_a - 1],
            response_b=self.responses[score_b - 1],
            rubric=self.task.rubric,
            reference_answer=self.task.reference_answer,
        )

    def feedback(self, score: int) -> str:
        return direct_feedback(self.family.check(self.task, self.responses[score - 1]))

    def feedback_row(self, score: int) -> FeedbackRow:
        """The Feedback Collection row of the response with true score ``score`` (not rendered yet)."""
        return FeedbackRow(
            instruction=self.task.instruction,
            response=self.responses[score - 1],
            reference_answer=self.task.reference_answer,
            rubric=self.task.rubric,
            feedback=self.feedback(score),
            score=score,
        )

    def pair_feedback(self, score_a: int, score_b: int) -> str:
        check = self.family.check
        return pair_feedback(
            check(self.task, self.responses[score_a - 1]), check(self.task, self.responses[score_b - 1])
        )


def family_rng(seed: int, family: str, split: str) -> random.Random:
    """A generator per (seed, family, split): adding a family never changes another family's data."""
    return random.Random(f"judgeforge-toy/{seed}/{family}/{split}")


def make_group(family: Family, rng: random.Random) -> Group:
    """A task and five responses with true scores 1..5, each verified by the family's checker."""
    task = family.make_task(rng)
    responses = []
    for score in range(1, 6):
        response = family.response_with_score(task, score, rng)
        if family.score(task, response) != score:  # a generator bug, never bad user data
            raise AssertionError(f"{family.name}: built a response for score {score} that checks otherwise")
        responses.append(response)
    return Group(task=task, responses=tuple(responses))


def make_groups(
    family_name: str, count: int, seed: int, split: str, exclude: Iterable[str] = ()
) -> list[Group]:
    """``count`` groups of one family whose instructions are distinct and not in ``exclude``."""
    family, rng = families.get(family_name), family_rng(seed, family_name, split)
    seen, groups = set(exclude), list[Group]()
    for _ in range(count * 50):
        if len(groups) == count:
            break
        group = make_group(family, rng)
        if group.task.instruction not in seen:
            seen.add(group.task.instruction)
            groups.append(group)
    return groups


def feedback_rows(
    groups: Sequence[Group], template_set: str | TemplateSet = TEMPLATE_SET
) -> list[dict[str, Any]]:
    """Feedback Collection rows (five per group, scores 1..5) with the published column names."""
    tset = get_template_set(template_set)
    return [group.feedback_row(score).rendered(tset).to_row() for group in groups for score in range(1, 6)]


def direct_bench_rows(
    groups: Sequence[Group], template_set: str | TemplateSet = TEMPLATE_SET
) -> list[dict[str, Any]]:
    """A Vicuna-Bench-style file: rendered absolute prompt, ``gpt4_score`` = [true score], family as category."""
    tset = get_template_set(template_set)
    rows = []
    for number, group in enumerate(groups):
        for score in range(1, 6):
            rows.append(
                {
                    "idx": f"{group.task.family}-{number}",
                    "response_source": f"score{score}",
                    "category": group.task.family,
                    "instruction": tset.render_direct(group.item(score))[1],
                    "gpt4_score": [score],
                    "gpt4_feedback": [tset.format_output(group.feedback(score), str(score))],
                }
            )
    return rows


def score_pairs(rng: random.Random, per_group: int) -> list[tuple[int, int]]:
    """``per_group`` distinct (better, worse) score pairs out of the ten a group of five offers."""
    pairs = [(hi, lo) for hi in range(2, 6) for lo in range(1, hi)]
    return rng.sample(pairs, min(per_group, len(pairs)))


def pair_bench_rows(
    groups: Sequence[Group], per_group: int, seed: int, template_set: str | TemplateSet = TEMPLATE_SET
) -> list[dict[str, Any]]:
    """An HHH-style file: ``chosen_instruction``/``rejected_instruction`` rendered prompts, family as source."""
    tset = get_template_set(template_set)
    rng = random.Random(f"judgeforge-toy/{seed}/pair-bench")
    rows = []
    for number, group in enumerate(groups):
        for better, worse in score_pairs(rng, per_group):
            rows.append(
                {
                    "id": f"{group.task.family}-{number}-{better}{worse}",
                    "source": group.task.family,
                    "chosen_instruction": tset.render_direct(group.item(better))[1],
                    "rejected_instruction": tset.render_direct(group.item(worse))[1],
                    "tie": 0,
                    "chosen_score": better,
                    "rejected_score": worse,
                }
            )
    return rows
