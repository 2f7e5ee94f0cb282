"""The generator's true scores, checked on hand-written responses and on everything it generates."""

from __future__ import annotations

import random

import pytest

from judgeforge.toy.families import (
    N_CHECKS,
    Task,
    direct_feedback,
    families,
    held_out_families,
    pair_feedback,
    trained_families,
)
from judgeforge.toy.world import make_group, make_groups


def _task(name: str, **params: str) -> Task:
    family = families.get(name)
    return Task(
        family=name, instruction="", reference_answer="", rubric=family.rubric, params=tuple(params.items())
    )


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        ("Yes the cat is gold today", 5),  # all four met
        ("Yes the cat is gold road today", 4),  # uses the avoided word
        ("Sure the cat is gold today", 4),  # wrong first word
        ("Yes the cat is today gold", 4),  # wrong last word (gold), still includes gold
        ("yes the cat today", 3),  # case matters for the first word; gold missing; avoids road; ends today
        ("Well road the cat now", 1),
    ],
)
def test_format_scores(response: str, expected: int) -> None:
    task = _task("format", topic="cat", start="Yes", end="today", include="gold", avoid="road")
    assert families.get("format").score(task, response) == expected


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        ("the dog has red blue milk lamp", 5),
        ("the dog has lamp milk red", 4),
        ("the dog has reddish blue", 2),  # word match, not substring match
        ("the dog has ship song", 1),
    ],
)
def test_keyword_scores(response: str, expected: int) -> None:
    task = _task("keywords", topic="dog", keywords="red blue milk lamp")
    assert families.get("keywords").score(task, response) == expected


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        ("2 4 5 7 9", 5),
        ("9 7 5 4 2", 1),
        ("4 2 5 7 9", 4),  # 4>2 breaks only the first pair
        ("2 9 4 7 5", 3),  # 2<9, 9>4, 4<7, 7>5
        ("2 4 5", 3),  # two pairs in order, two missing
        ("2 4 6 7 9", 3),  # 6 was not in the list: both pairs touching it fail
    ],
)
def test_ordering_scores(response: str, expected: int) -> None:
    task = _task("ordering", digits="7 2 9 4 5")
    assert families.get("ordering").score(task, response) == expected


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        ("3 + 4 = 7; 8 + 9 = 17; 1 + 1 = 2; 5 + 6 = 11", 5),
        ("3 + 4 = 8; 8 + 9 = 17; 1 + 1 = 2; 5 + 6 = 12", 3),  # partial credit
        ("3 + 4 = 7; 8 + 9 = 17", 3),  # two answers missing
        ("8 + 9 = 17; 3 + 4 = 7; 1 + 1 = 2; 5 + 6 = 11", 3),  # answers out of place do not count
    ],
)
def test_arithmetic_scores(response: str, expected: int) -> None:
    task = _task("arithmetic", sums="3+4 8+9 1+1 5+6")
    assert families.get("arithmetic").score(task, response) == expected


def test_opposites_scores() -> None:
    task = _task("opposites", words="hot big up fast")
    family = families.get("opposites")
    assert family.score(task, "hot -> cold; big -> small; up -> down; fast -> slow") == 5
    assert family.score(task, "hot -> cold; big -> big; up -> down; fast -> quick") == 3
    assert family.held_out


def test_feedback_explains_the_score() -> None:
    task = _task("format", topic="cat", start="Yes", end="today", include="gold", avoid="road")
    checks = families.get("format").check(task, "Yes the cat road today")
    assert direct_feedback(checks) == (
        'Starts "Yes": met (1). Ends today: met (2). Has gold: missed (2). Avoids road: missed (2). '
        "Total 2 of 4, so score 3."
    )
    worse = families.get("format").check(task, "Sure the cat road now")
    text = pair_feedback(worse, checks)
    assert text.startswith('Response A: Starts "Yes": missed (0).')
    assert text.endswith("A has 0 and B has 2, so B is better.")
    with pytest.raises(ValueError):
        pair_feedback(checks, checks)


def test_split_of_families() -> None:
    assert set(trained_families()) == {"format", "keywords", "ordering", "arithmetic"}
    assert held_out_families() == ["opposites"]


@pytest.mark.parametrize("name", families.names())
def test_generated_groups_have_scores_one_to_five(name: str) -> None:
    family = families.get(name)
    rng = random.Random(7)
    for _ in range(40):
        group = make_group(family, rng)
        assert [family.score(group.task, r) for r in group.responses] == [1, 2, 3, 4, 5]
        assert family.score(group.task, group.task.reference_answer) == 1 + N_CHECKS
        assert len(set(group.responses)) == 5


def test_generation_is_seeded_and_excludes() -> None:
    first = make_groups("keywords", 20, seed=3, split="train")
    again = make_groups("keywords", 20, seed=3, split="train")
    other = make_groups("keywords", 20, seed=4, split="train")
    assert first == again
    assert first != other
    excluded = make_groups("keywords", 20, seed=3, split="train", exclude=[first[0].task.instruction])
    assert first[0].task.instruction not in {g.task.instruction for g in excluded}
