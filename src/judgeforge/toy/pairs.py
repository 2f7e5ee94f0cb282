"""INTERIM pairing step: a Preference Collection from the toy groups, until the preference builder lands.

The preference builder (``judgeforge build-preferences``, the data package) is the project's way to turn a
Feedback Collection into a Preference Collection with a teacher model. Until it exists, this module does the
same for the toy world directly from the known facts: every pair of distinct scores in a group (ten per group
of five), the higher score wins, A/B placed by a seeded shuffle balanced within each score gap, and the
comparative feedback written from both responses' checklists (what a toy teacher would write). Its rows carry
the columns the builder's output has, so the training recipes read either.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from judgeforge.prompts import TemplateSet, get_template_set
from judgeforge.toy.world import TEMPLATE_SET, Group


def balanced_sides(pairs: list[tuple[int, int]], rng: random.Random) -> list[bool]:
    """For each (better, worse) pair, whether the better response goes first; half of each gap each way."""
    by_gap: dict[int, list[int]] = {}
    for index, (better, worse) in enumerate(pairs):
        by_gap.setdefault(better - worse, []).append(index)
    first = [False] * len(pairs)
    for indices in by_gap.values():
        flags = [n % 2 == 0 for n in range(len(indices))]
        rng.shuffle(flags)
        for index, flag in zip(indices, flags):
            first[index] = flag
    return first


def preference_rows(
    groups: Sequence[Group], seed: int, template_set: str | TemplateSet = TEMPLATE_SET
) -> list[dict[str, Any]]:
    """All ten pairs of every group as Preference Collection rows (``orig_*`` fields, instruction, output)."""
    tset = get_template_set(template_set)
    rng = random.Random(f"judgeforge-toy/{seed}/preference")
    pairs = [(group, hi, lo) for group in groups for hi in range(2, 6) for lo in range(1, hi)]
    sides = balanced_sides([(hi, lo) for _, hi, lo in pairs], rng)
    rows = []
    for (group, better, worse), better_first in zip(pairs, sides):
        score_a, score_b = (better, worse) if better_first else (worse, better)
        rubric = group.task.rubric
        feedback = group.pair_feedback(score_a, score_b)
        winner = "A" if better_first else "B"
        rows.append(
            {
                "orig_instruction": group.task.instruction,
                "orig_response_A": group.responses[score_a - 1],
                "orig_response_B": group.responses[score_b - 1],
                "orig_score_A": score_a,
                "orig_score_B": score_b,
                "orig_criteria": rubric.criteria,
                **{f"orig_score{k}_description": rubric.descriptions()[k - 1] for k in range(1, 6)},
                "orig_reference_answer": group.task.reference_answer,
                "orig_feedback_A": group.feedback(score_a),
                "orig_feedback_B": group.feedback(score_b),
                "orig_preference": winner,
                "orig_feedback": feedback,
                "instruction": tset.render_pair(group.pair(score_a, score_b))[1],
                "output": tset.format_output(feedback, winner),
            }
        )
    return rows
