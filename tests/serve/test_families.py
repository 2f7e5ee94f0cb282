"""Judges of other families behind the real service: every kind of verdict reaches the client in full.

Labels (a Yes/No rubric), scores on other scales (0-1, where 0 is a verdict), ties, five-level preferences
with their margin, two-score verdicts (JudgeLM) and notes, over real HTTP on 127.0.0.1, read both as raw JSON
and through :class:`~judgeforge.serve.client.JudgeClient`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from judgeforge.backends import Backend
from judgeforge.judge import Judge
from judgeforge.records import Completion, Prompt
from judgeforge.sampling import SamplingParams
from judgeforge.serve.client import JudgeClient
from serve.support import API_KEY, AUTH, PAIR, ServerFactory

PASS_FAIL = {
    "criteria": "Does the answer solve the task?",
    "scale": {"Yes": "It does.", "No": "It does not."},
}
BINARY = {"criteria": "Does the answer solve the task?", "scale": {"0": "It does not.", "1": "It does."}}
VERDICT_KINDS = {"score", "label", "winner", "margin", "scores", "note"}


def grade_items(count: int) -> list[dict[str, Any]]:
    return [
        {"id": str(n), "instruction": f"Add {n} and 2.", "response": str(n + 2 + n % 2)} for n in range(count)
    ]


def post(url: str, path: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    response = httpx.post(f"{url}{path}", json=body, headers=AUTH)
    assert response.status_code == 200, response.text
    results: list[dict[str, Any]] = response.json()["results"]
    return results


def test_a_label_verdict_reaches_the_client(start_server: ServerFactory) -> None:
    judge = Judge("fake", "selene-mini-classification", "none", samples=3, sampling={"seed": 7})
    with start_server(judge) as srv:
        raw = post(srv.url, "/v1/grade", {"items": grade_items(4), "rubric": PASS_FAIL})
        with JudgeClient(srv.url, API_KEY) as client:
            typed = client.grade(grade_items(4), rubric=PASS_FAIL)  # type: ignore[arg-type]
    for result in raw:
        assert result["failure"] is None and result["score"] is None
        labels = [verdict["label"] for verdict in result["verdicts"]]
        assert len(labels) == 3 and set(labels) <= {"Yes", "No"}
        assert set(result["verdicts"][0]) >= VERDICT_KINDS  # every kind is in the answer, null when absent
        majority = max(set(labels), key=labels.count)
        assert result["label"] == majority and result["agreement"] == labels.count(majority) / 3
    assert [r.label for r in typed] == [r["label"] for r in raw]
    assert [[v.label for v in r.verdicts] for r in typed] == [
        [v["label"] for v in r["verdicts"]] for r in raw
    ]


def test_a_zero_score_is_a_verdict(start_server: ServerFactory) -> None:
    with start_server(Judge("fake", "flow-judge", "none", sampling={"seed": 3})) as srv:
        results = post(srv.url, "/v1/grade", {"items": grade_items(12), "rubric": BINARY})
    scores = [result["score"] for result in results]
    assert set(scores) == {0.0, 1.0}  # both levels drawn; a 0 stays a score, not a missing verdict
    assert all(result["failure"] is None and result["label"] is None for result in results)
    assert all(result["verdicts"][0]["score"] in (0, 1) for result in results)


class _ArenaJudge(Backend):
    """Writes an Arena-Hard verdict chosen by the instruction: a strong B after an earlier A (noted), or a
    tie."""

    name = "scripted-arena"

    def identity(self) -> dict[str, str]:
        return {"backend": self.name}

    async def generate(self, prompts: Sequence[Prompt], params: SamplingParams) -> list[Completion]:
        return [Completion(text=self._answer(prompt.user)) for prompt in prompts]

    @staticmethod
    def _answer(user: str) -> str:
        if "tie please" in user:
            return "Both are equally good.\n\nMy final verdict is tie: [[A=B]]"
        return "At first [[A>B]] seemed right, but B is far better.\n\nMy final verdict is: [[B>>A]]"


def test_a_five_level_preference_keeps_its_margin_ties_and_notes(start_server: ServerFactory) -> None:
    judge = Judge(_ArenaJudge(), "arena-hard-v2.0", "none")
    pairs = [{k: v for k, v in PAIR.items() if k != "reference_answer"} for _ in range(2)]
    pairs[1] = {**pairs[1], "instruction": "Say hello, tie please."}
    with start_server(judge) as srv:
        strong, tie = post(srv.url, "/v1/compare", {"items": pairs})
        with JudgeClient(srv.url, API_KEY) as client:
            typed = client.compare(pairs)
    assert (strong["winner"], strong["margin"]) == ("B", -2.0)  # signed: A positive
    verdict = strong["verdicts"][0]
    assert (verdict["winner"], verdict["margin"]) == ("B", 2)
    assert "[[A>B]]" in verdict["note"]  # the earlier, different label the family's rule does not take
    assert (tie["winner"], tie["margin"], tie["verdicts"][0]["margin"]) == ("tie", 0.0, 0)
    assert tie["verdicts"][0]["note"] is None
    assert [(r.winner, r.margin, r.verdicts[0].note) for r in typed] == [
        ("B", -2.0, verdict["note"]),
        ("tie", 0.0, None),
    ]


def test_two_score_verdicts_keep_both_scores(start_server: ServerFactory) -> None:
    judge = Judge("fake", "judgelm", "none", samples=2, sampling={"seed": 5})
    pairs = [{**PAIR, "instruction": f"Explain why the sky is blue ({n})."} for n in range(3)]
    with start_server(judge) as srv:
        results = post(srv.url, "/v1/compare", {"items": pairs})
    for result in results:
        both = [verdict["scores"] for verdict in result["verdicts"]]
        assert all(len(pair) == 2 for pair in both)
        assert result["scores"] == [sum(p[0] for p in both) / 2, sum(p[1] for p in both) / 2]
        for verdict in result["verdicts"]:
            a, b = verdict["scores"]
            assert verdict["winner"] == ("A" if a > b else "B" if b > a else "tie")


def test_a_scale_the_set_cannot_show_is_a_422_for_that_item(start_server: ServerFactory) -> None:
    with start_server(Judge("fake", "prometheus2", sampling={"seed": 3})) as srv:  # shows 1-5 only
        items = [{**grade_items(1)[0], "rubric": "helpfulness"}, {**grade_items(2)[1], "rubric": BINARY}]
        response = httpx.post(f"{srv.url}/v1/grade", json={"items": items}, headers=AUTH)
    assert response.status_code == 422
    message = response.json()["error"]["message"]
    assert message.startswith("items[1].rubric: template set 'prometheus2' shows the scale 1-5")
    assert "flow-judge" in message  # names the sets that can show it
