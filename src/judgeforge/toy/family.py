"""The shape of a toy task family: tasks with four checkable requirements and a known 1..5 score.

Every family poses an instruction whose quality is decided by four binary requirements. A response's true
score is ``1 + number of requirements met``, and :meth:`Family.check` computes it *from the response text*
(never from how the response was built), so the generator's claims can be verified on any text.

Feedback is a checklist with a running tally, written in the same words for direct assessment and pairwise
ranking. The tally makes the verdict a local consequence of text the judge has already written, which is what a
model of a few million parameters can learn; the per-check phrases are shared by both modes so that direct and
pairwise fine-tunes learn the same skills (the premise of merging them).
"""

from __future__ import annotations

import random
from abc import ABC, abstractmethod
from dataclasses import dataclass

from judgeforge.records import Rubric
from judgeforge.registry import Registry

N_CHECKS = 4


@dataclass(frozen=True)
class Check:
    """One requirement of a task, as the feedback names it, and whether a response meets it."""

    label: str
    met: bool


@dataclass(frozen=True)
class Task:
    """One instruction of a family with everything needed to build and check responses.

    ``params`` holds the family's own facts (words to start with, numbers to sort, ...) as plain strings.
    """

    family: str
    instruction: str
    reference_answer: str
    rubric: Rubric
    params: tuple[tuple[str, str], ...]

    def param(self, key: str) -> str:
        return dict(self.params)[key]


class Family(ABC):
    """A task family: makes tasks, makes responses that meet a chosen subset of requirements, checks text."""

    name: str
    title: str
    rubric: Rubric
    held_out: bool = False

    @abstractmethod
    def make_task(self, rng: random.Random) -> Task:
        """A new task (instruction, reference answer that meets all four requirements, rubric)."""

    @abstractmethod
    def make_response(self, task: Task, meet: tuple[bool, ...], rng: random.Random) -> str:
        """A response meeting exactly the requirements flagged in ``meet`` (length 4)."""

    @abstractmethod
    def check(self, task: Task, response: str) -> list[Check]:
        """The four requirements evaluated on ``response``'s text."""

    def score(self, task: Task, response: str) -> int:
        """The true score: 1 + the number of requirements the text meets."""
        return 1 + sum(check.met for check in self.check(task, response))

    def response_with_score(self, task: Task, score: int, rng: random.Random) -> str:
        """A response whose true score is ``score`` (which requirements fail is drawn at random)."""
        met = set(rng.sample(range(N_CHECKS), score - 1))
        return self.make_response(task, tuple(i in met for i in range(N_CHECKS)), rng)


families: Registry[Family] = Registry("toy family")


def count_rubric(criteria: str) -> Rubric:
    """The five-level rubric every family uses: score k means k - 1 of the four requirements are met."""
    counts = ("None met.", "One met.", "Two met.", "Three met.", "All four met.")
    return Rubric(criteria=criteria, **{f"score{k + 1}_description": counts[k] for k in range(5)})


def checklist(checks: list[Check]) -> str:
    """``Starts "Yes": met (1). Ends now: missed (1). ...`` with a running tally."""
    parts, tally = [], 0
    for check in checks:
        tally += check.met
        parts.append(f"{check.label}: {'met' if check.met else 'missed'} ({tally}).")
    return " ".join(parts)


def direct_feedback(checks: list[Check]) -> str:
    """The feedback that explains a direct-assessment score (the score itself follows ``[RESULT]``)."""
    met = sum(check.met for check in checks)
    return f"{checklist(checks)} Total {met} of {N_CHECKS}, so score {met + 1}."


def pair_feedback(checks_a: list[Check], checks_b: list[Check]) -> str:
    """Comparative feedback: both checklists, then which response meets more requirements."""
    met_a, met_b = sum(c.met for c in checks_a), sum(c.met for c in checks_b)
    if met_a == met_b:
        raise ValueError("a pair needs responses with different scores")
    winner = "A" if met_a > met_b else "B"
    return (
        f"Response A: {checklist(checks_a)} Response B: {checklist(checks_b)} "
        f"A has {met_a} and B has {met_b}, so {winner} is better."
    )
