"""The toy task families: the shape they share (:class:`Family`, :class:`Task`, :class:`Check`, the feedback
wording, the ``families`` registry) and the five families. Four are trained on; ``opposites`` is held out.

- ``format``: start with a word, end with a word, include a word, avoid a word (format compliance);
- ``keywords``: mention four requested words (keyword coverage);
- ``ordering``: sort five digits; each of the four neighbouring pairs in order is one requirement;
- ``arithmetic``: four one-digit sums, one requirement each (partial credit);
- ``opposites`` (held out): the opposite of four words, checked like the sums, against the reference answer.

Responses are short space-separated words so that a tokenizer trained on the world sees one token per word.
A word a check looks for is written the same way (same neighbouring characters, hence the same token) in the
instruction, the response and the feedback: only the first word, which follows a line break, is quoted.

Every family poses an instruction whose quality is decided by four binary requirements. A response's true
score is ``1 + number of requirements met``, and :meth:`Family.check` computes it *from the response text*
(never from how the response was built), so the generator's claims can be verified on any text.

Feedback is a checklist with a running tally, written in the same words for direct assessment and pairwise
ranking. The tally makes the verdict a local consequence of text the judge has already written, which is what a
model of a few million parameters can learn; the per-check phrases are shared by both modes so that direct and
pairwise fine-tunes learn the same skills (the premise of merging them).
"""

from __future__ import annotations

import itertools
import random
import re
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


# The five families.

TOPICS = ("cat", "dog", "sea", "sun", "tree", "rain", "bird", "moon", "park", "town", "boat", "farm")
FILLER = ("is", "so", "very", "and", "we", "like", "a", "little", "fine", "with", "has", "near")
STARTS = ("Yes", "Sure", "Well", "Okay", "Hello", "Indeed")
ENDS = ("today", "now", "again", "here", "too", "soon")
WORDS = (
    *("red", "blue", "green", "gold", "pink", "gray", "apple", "bread"),
    *("milk", "rice", "lamp", "door", "ship", "road", "song", "star"),
)
OPPOSITES = {
    "hot": "cold",
    "big": "small",
    "up": "down",
    "fast": "slow",
    "old": "new",
    "wet": "dry",
    "dark": "light",
    "hard": "soft",
    "full": "empty",
    "loud": "quiet",
    "high": "low",
    "long": "short",
    "early": "late",
    "rich": "poor",
    "open": "closed",
}


def _filler(rng: random.Random, topic: str, size: int) -> list[str]:
    return ["the", topic, *rng.sample(FILLER, size)]


def _task(family: Family, instruction: str, reference: str, **params: str) -> Task:
    return Task(
        family=family.name,
        instruction=instruction,
        reference_answer=reference,
        rubric=family.rubric,
        params=tuple(sorted(params.items())),
    )


class FormatFamily(Family):
    name = "format"
    title = "Format compliance (starts with / ends with / includes / avoids)"
    rubric = count_rubric("Does the response meet the four format requirements?")

    def make_task(self, rng: random.Random) -> Task:
        topic, start, end = rng.choice(TOPICS), rng.choice(STARTS), rng.choice(ENDS)
        include, avoid = rng.sample(WORDS, 2)
        instruction = (
            f'Write a short line about the {topic}. Start with "{start}", end with {end}, '
            f"include {include} and avoid {avoid}."
        )
        reference = " ".join([start, "the", topic, "is", include, end])
        return _task(
            self, instruction, reference, topic=topic, start=start, end=end, include=include, avoid=avoid
        )

    def make_response(self, task: Task, meet: tuple[bool, ...], rng: random.Random) -> str:
        p = dict(task.params)
        body = _filler(rng, p["topic"], rng.randint(1, 2))
        if meet[2]:
            body.insert(rng.randint(1, len(body)), p["include"])
        if not meet[3]:
            body.insert(rng.randint(1, len(body)), p["avoid"])
        start = p["start"] if meet[0] else rng.choice([w for w in STARTS if w != p["start"]])
        end = p["end"] if meet[1] else rng.choice([w for w in ENDS if w != p["end"]])
        return " ".join([start, *body, end])

    def check(self, task: Task, response: str) -> list[Check]:
        p, words = dict(task.params), response.split()
        return [
            Check(f'Starts "{p["start"]}"', bool(words) and words[0] == p["start"]),
            Check(f"Ends {p['end']}", bool(words) and words[-1] == p["end"]),
            Check(f"Has {p['include']}", p["include"] in words),
            Check(f"Avoids {p['avoid']}", p["avoid"] not in words),
        ]


class KeywordsFamily(Family):
    name = "keywords"
    title = "Keyword coverage (mentions four requested words)"
    rubric = count_rubric("Does the response mention the four requested words?")

    def make_task(self, rng: random.Random) -> Task:
        topic, keywords = rng.choice(TOPICS), rng.sample(WORDS, 4)
        instruction = (
            f"Write a line about the {topic} that mentions {', '.join(keywords[:3])} and {keywords[3]}."
        )
        reference = " ".join(["the", topic, "has", *keywords])
        return _task(self, instruction, reference, topic=topic, keywords=" ".join(keywords))

    def make_response(self, task: Task, meet: tuple[bool, ...], rng: random.Random) -> str:
        keywords = task.param("keywords").split()
        chosen = [word for word, ok in zip(keywords, meet) if ok]
        others = [word for word in WORDS if word not in keywords]
        chosen += rng.sample(others, rng.randint(0, min(2, 4 - len(chosen))))
        rng.shuffle(chosen)
        return " ".join(["the", task.param("topic"), "has", *chosen])

    def check(self, task: Task, response: str) -> list[Check]:
        words = response.split()
        return [Check(f"Has {word}", word in words) for word in task.param("keywords").split()]


class OrderingFamily(Family):
    name = "ordering"
    title = "Ordering (five digits from smallest to largest)"
    rubric = count_rubric("Is the list sorted from smallest to largest?")

    def make_task(self, rng: random.Random) -> Task:
        digits = [str(d) for d in rng.sample(range(1, 10), 5)]
        instruction = f"Sort these numbers from smallest to largest: {' '.join(digits)}."
        reference = " ".join(sorted(digits))
        return _task(self, instruction, reference, digits=" ".join(digits))

    def make_response(self, task: Task, meet: tuple[bool, ...], rng: random.Random) -> str:
        digits = task.param("digits").split()
        matching = [
            perm
            for perm in itertools.permutations(digits)
            if all((perm[i] < perm[i + 1]) == meet[i] for i in range(4))
        ]
        return " ".join(rng.choice(matching))

    def check(self, task: Task, response: str) -> list[Check]:
        allowed, words = set(task.param("digits").split()), response.split()
        checks = []
        for i in range(4):
            if i + 1 < len(words):
                left, right = words[i], words[i + 1]
                ok = left in allowed and right in allowed and int(left) < int(right)
                checks.append(Check(f"{left} < {right}", ok))
            else:
                checks.append(Check(f"Pair {i + 1} missing", False))
        return checks


_SUM = re.compile(r"(\d+) \+ (\d+) = (\d+)")
_MAP = re.compile(r"(\w+) -> (\w+)")


class ArithmeticFamily(Family):
    name = "arithmetic"
    title = "Arithmetic with partial credit (four one-digit sums)"
    rubric = count_rubric("Are the four sums computed correctly?")

    def make_task(self, rng: random.Random) -> Task:
        sums = [(rng.randint(1, 9), rng.randint(1, 9)) for _ in range(4)]
        instruction = "Solve each sum: " + ", ".join(f"{a} + {b}" for a, b in sums) + "."
        reference = "; ".join(f"{a} + {b} = {a + b}" for a, b in sums)
        return _task(self, instruction, reference, sums=" ".join(f"{a}+{b}" for a, b in sums))

    def _sums(self, task: Task) -> list[tuple[int, int]]:
        return [(int(a), int(b)) for a, b in (pair.split("+") for pair in task.param("sums").split())]

    def make_response(self, task: Task, meet: tuple[bool, ...], rng: random.Random) -> str:
        parts = []
        for (a, b), ok in zip(self._sums(task), meet):
            answer = (
                a + b
                if ok
                else rng.choice([v for v in (a + b - 2, a + b - 1, a + b + 1, a + b + 2) if v > 0])
            )
            parts.append(f"{a} + {b} = {answer}")
        return "; ".join(parts)

    def check(self, task: Task, response: str) -> list[Check]:
        found = _SUM.findall(response)
        checks = []
        for i, (a, b) in enumerate(self._sums(task)):
            if i < len(found) and (int(found[i][0]), int(found[i][1])) == (a, b):
                given = int(found[i][2])
                checks.append(Check(f"{a} + {b} = {given} vs {a + b}", given == a + b))
            else:
                checks.append(Check(f"{a} + {b} missing vs {a + b}", False))
        return checks


class OppositesFamily(Family):
    name = "opposites"
    title = "Opposites (held out: four words, checked against the reference)"
    held_out = True
    rubric = count_rubric("Is each word replaced by its opposite?")

    def make_task(self, rng: random.Random) -> Task:
        words = rng.sample(sorted(OPPOSITES), 4)
        instruction = f"Give the opposite of each word: {', '.join(words)}."
        reference = "; ".join(f"{word} -> {OPPOSITES[word]}" for word in words)
        return _task(self, instruction, reference, words=" ".join(words))

    def make_response(self, task: Task, meet: tuple[bool, ...], rng: random.Random) -> str:
        parts = []
        for word, ok in zip(task.param("words").split(), meet):
            wrong = [w for w in (word, *OPPOSITES.values()) if w != OPPOSITES[word]]
            parts.append(f"{word} -> {OPPOSITES[word] if ok else rng.choice(wrong)}")
        return "; ".join(parts)

    def check(self, task: Task, response: str) -> list[Check]:
        found = _MAP.findall(response)
        checks = []
        for i, word in enumerate(task.param("words").split()):
            expected = OPPOSITES[word]
            if i < len(found) and found[i][0] == word:
                checks.append(Check(f"{word} -> {found[i][1]} vs {expected}", found[i][1] == expected))
            else:
                checks.append(Check(f"{word} missing vs {expected}", False))
        return checks


for _family in (FormatFamily(), KeywordsFamily(), OrderingFamily(), ArithmeticFamily(), OppositesFamily()):
    families.add(_family.name, _family)


def trained_families() -> list[str]:
    """Families whose tasks appear in training data (all but the held-out ones)."""
    return [name for name in families.names() if not families.get(name).held_out]


def held_out_families() -> list[str]:
    return [name for name in families.names() if families.get(name).held_out]
