"""Verdict kinds beyond 1-5 and A/B through aggregation and result lines: decimals, labels, ties, five-level
preferences (winner + margin) and two-score pairwise verdicts."""

from __future__ import annotations

import asyncio

import pytest

from judgeforge import Judge
from judgeforge.judge.aggregate import aggregate, aggregate_labels, aggregate_winners, preference_extras
from judgeforge.records import PairItem, Rubric, Verdict
from judgeforge.runner.results import both_orders_line, judgment_line
from support.scripted import ScriptedBackend

RUBRIC = Rubric(criteria="Which is better?", **{f"score{n}_description": "" for n in range(1, 6)})
PAIR = PairItem(
    instruction="Write a haiku.", response_a="An old pond...", response_b="Roses are red...", rubric=RUBRIC
)


def winners(*values: str) -> list[Verdict]:
    return [Verdict(winner=value) for value in values]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("votes", "winner", "agreement"),
    [
        (("A", "tie", "tie"), "tie", 2 / 3),  # a tie is a vote of its own
        (("A", "A", "tie"), "A", 2 / 3),
        (("A", "B"), None, 0.5),
        (("A", "tie"), None, 0.5),
        (("tie",), "tie", 1.0),
    ],
)
def test_winners_with_ties(votes: tuple[str, ...], winner: str | None, agreement: float) -> None:
    assert aggregate_winners([*winners(*votes), Verdict(failure="x")]) == (winner, pytest.approx(agreement))


def test_labels_by_majority() -> None:
    labels = [Verdict(label="Yes"), Verdict(label="Yes"), Verdict(label="No"), Verdict(failure="x")]
    assert aggregate_labels(labels) == ("Yes", pytest.approx(2 / 3))
    assert aggregate_labels(labels[1:3]) == (None, 0.5)
    result = aggregate(labels, "absolute", "mean")
    assert (result.label, result.score) == ("Yes", None)


def test_decimal_scores_aggregate() -> None:
    result = aggregate([Verdict(score=7.5), Verdict(score=8)], "absolute", "mean")
    assert result.score == 7.75 and result.agreement == 0.5


def test_a_strength_is_a_win_with_a_margin() -> None:
    verdicts = [Verdict(winner="A", margin=2), Verdict(winner="B", margin=1), Verdict(winner="tie", margin=0)]
    assert preference_extras(verdicts) == {"margin": pytest.approx(1 / 3)}
    two_scores = [Verdict(winner="A", scores=(8.0, 6.0)), Verdict(winner="tie", scores=(7.0, 7.0))]
    assert preference_extras(two_scores) == {"scores": [7.5, 6.5]}


def judge_both_orders(template_set: str, outputs: list[str]) -> dict[str, object]:
    judge = Judge(ScriptedBackend(outputs), template_set, "none")
    judgments = asyncio.run(judge.judge_rendered([judge.render(PAIR, both_orders=True)], [None]))
    return both_orders_line("p1", judgments[0][0], judgments[0][1], "tie")


def test_arena_hard_both_orders_map_the_margin_back() -> None:
    line = judge_both_orders("arena-hard-v2.0", ["... [[A>>B]]", "... [[B>A]]"])
    assert (line["winner"], line["resolution"], line["swap_consistent"]) == ("A", "agree", True)
    assert line["margin"] == 1.5  # +2 forward, +1 from the swapped order mapped back
    assert line["verdicts"] == [{"winner": "A", "margin": 2, "feedback": "...", "attempts": 1}]


def test_ties_in_both_orders_agree_and_a_tie_is_not_flipped() -> None:
    line = judge_both_orders("mt-bench", ["Equal. [[C]]", "Equal. [[C]]"])
    assert (line["winner"], line["resolution"]) == ("tie", "agree")
    mixed = judge_both_orders("mt-bench", ["[[A]]", "Equal. [[C]]"])
    assert (mixed["winner"], mixed["swap_consistent"]) == ("tie", False)  # A vs tie: policy 'tie'
    abstain = both_orders_line("p", *judge_once("mt-bench", ["[[A]]", "[[C]]"]), "abstain")
    assert abstain["winner"] is None and abstain["resolution"] == "abstain"


def judge_once(template_set: str, outputs: list[str]) -> tuple[object, object]:
    judge = Judge(ScriptedBackend(outputs), template_set, "none")
    forward, swapped = asyncio.run(judge.judge_rendered([judge.render(PAIR, both_orders=True)], [None]))[0]
    return forward, swapped


def test_judgelm_scores_map_back_over_both_orders() -> None:
    line = judge_both_orders("judgelm", ["8 6\nA is better.", "5 9\nThe second is better."])
    assert line["winner"] == "A" and line["scores"] == [8.5, 5.5]
    assert line["verdicts"][0]["scores"] == [8.0, 6.0]


def test_label_judgment_line_and_notes() -> None:
    judge = Judge(
        ScriptedBackend(["**Reasoning:** ok\n\n**Result:** No\n**Result:** Yes"]),
        "selene-mini-classification",
        "none",
    )
    rubric = {"criteria": "Correct?", "scale": {"Yes": "right", "No": "wrong"}}
    line = judgment_line("r1", judge.grade("q", "r", rubric))
    assert (line["score"], line["label"], line["failure"]) == (None, "Yes", None)
    assert line["verdicts"][0]["label"] == "Yes" and "taken (the last" in line["verdicts"][0]["note"]


def test_a_parse_failure_is_regenerated_then_recorded_never_a_default() -> None:
    judge = Judge(ScriptedBackend(["Rating: [7]", "Rating: [[11]]"]), "mt-bench", "none", max_attempts=2)
    judgment = judge.grade("q", "r", {"criteria": "c", "scale": list(range(1, 11))})
    assert judgment.score is None and judgment.failure == "rating [[11]]: 11 is outside the scale 1-10"
    assert judgment.verdicts[0].attempts == 2


def test_logprob_protocols_refuse_other_families() -> None:
    from judgeforge.errors import ConfigError

    with pytest.raises(ConfigError, match="parser 'mt-bench'"):
        Judge("fake", "mt-bench", "none", logprobs=True)
