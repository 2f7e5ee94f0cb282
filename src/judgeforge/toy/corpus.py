"""The pre-training corpus: the checking skill in a neutral form, and judge prompts whose verdicts carry no signal.

Two kinds of document, as a pre-trained LM has both the competence and the surface of a task before it is
fine-tuned as a judge:

- *checking* documents (:func:`checking_documents`): a neutral third format, not the judge templates: the
  instruction, the reference answer and one response, answered by the checklist of the requirements with their
  **true** met/missed outcomes. This is the competence the judges' fine-tunes only need to steer (the Prometheus 2
  regime: a 7B base already reads and compares text; the fine-tunes move it little);
- *noised judge* documents (:func:`noised_documents`): the direct-assessment and pairwise prompts and outputs,
  with every outcome a coin flip, so the base knows both output formats but its verdicts say nothing.

The base model must already speak the evaluation language (template wording, rubrics, checklist phrases,
``[RESULT]`` markers, both modes) so that fine-tunes start close to it and to each other and stay mergeable;
without it, fine-tuning starts from a loss near 10 and DA/PR merges break both formats. It must not already
*judge*: each check's met/missed is a coin flip, the tally and the verdict follow the flipped outcomes, so the
verdicts say nothing about the responses. The held-out family's text is included the same way (its words are
known, its judgments are not), as a pre-trained LM knows a language without having been taught a task.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from judgeforge.prompts import TemplateSet, get_template_set
from judgeforge.toy.families import Check, checklist, direct_feedback, pair_feedback
from judgeforge.toy.world import TEMPLATE_SET, Group


@dataclass(frozen=True)
class Document:
    """One training text as a chat turn pair: system prompt, user prompt, assistant output."""

    system: str
    user: str
    output: str


def _coin_checks(checks: list[Check], rng: random.Random) -> list[Check]:
    return [Check(check.label, rng.random() < 0.5) for check in checks]


CHECKER_SYSTEM = "You check a response against the requirements of its instruction."


def checking_documents(groups: Sequence[Group]) -> list[Document]:
    """For each group and each of its five responses: the neutral checking format with the true outcomes.

    The user turn is ``Instruction: ...`` / ``Reference: ...`` / ``Response: ...`` on three lines; the output is
    :func:`~judgeforge.toy.families.checklist` of the family's checker on that response (the same per-check
    phrases the judges write, so the skill is shared, but no score, no verdict and no judge template).
    """
    documents = []
    for group in groups:
        task = group.task
        for response in group.responses:
            user = (
                f"Instruction: {task.instruction}\nReference: {task.reference_answer}\nResponse: {response}"
            )
            documents.append(Document(CHECKER_SYSTEM, user, checklist(group.family.check(task, response))))
    return documents


def pretraining_documents(groups: Sequence[Group], seed: int, checking: bool = True) -> list[Document]:
    """The corpus: :func:`noised_documents`, plus :func:`checking_documents` when ``checking``, shuffled."""
    documents = noised_documents(groups, seed)
    if checking:
        documents += checking_documents(groups)
        random.Random(f"judgeforge-toy/{seed}/corpus-mix").shuffle(documents)
    return documents


def noised_documents(
    groups: Sequence[Group], seed: int, template_set: str | TemplateSet = TEMPLATE_SET
) -> list[Document]:
    """For each group: its five direct prompts and two pair prompts, with coin-flip verdicts."""
    tset = get_template_set(template_set)
    rng = random.Random(f"judgeforge-toy/{seed}/corpus")
    documents = []
    for group in groups:
        family, task = group.family, group.task
        checks = [family.check(task, response) for response in group.responses]
        for score in range(1, 6):
            noised = _coin_checks(checks[score - 1], rng)
            system, user = tset.render_direct(group.item(score))
            met = sum(check.met for check in noised)
            documents.append(
                Document(system, user, tset.format_output(direct_feedback(noised), str(met + 1)))
            )
        for _ in range(2):
            a, b = rng.sample(range(1, 6), 2)
            noised_a, noised_b = _coin_checks(checks[a - 1], rng), _coin_checks(checks[b - 1], rng)
            met_a, met_b = sum(c.met for c in noised_a), sum(c.met for c in noised_b)
            if met_a == met_b:
                continue
            system, user = tset.render_pair(group.pair(a, b))
            winner = "A" if met_a > met_b else "B"
            documents.append(
                Document(system, user, tset.format_output(pair_feedback(noised_a, noised_b), winner))
            )
    rng.shuffle(documents)
    return documents


def tokenizer_phrases(template_set: str | TemplateSet = TEMPLATE_SET) -> list[str]:
    """Fixed wording that becomes one token each: the literal parts of every template and the system prompts.

    The prometheus2 wording is ~250 words around a few short inputs; as single tokens it costs a handful of
    positions, so the model's context and compute go to the inputs that decide the verdict.
    """
    import re

    tset = get_template_set(template_set)
    phrases = [*tset.system_prompts.values(), CHECKER_SYSTEM, "[INST] ", " [/INST]"]
    for template in tset.templates.values():
        phrases += [part for part in re.split(r"\{[a-z_]+\}", template) if part.strip()]
    return sorted(set(phrases), key=lambda text: (-len(text), text))
