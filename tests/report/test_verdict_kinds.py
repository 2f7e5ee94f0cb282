"""Reports of runs whose verdicts are not 1..5 scores: labels, 0-1 scores, decimals and ties are verdicts.

Each run is made here by the real runner (``run_grading``) with the fake backend answering in the family's
format (a scripted backend for MT-Bench's decimal ratings, which the fake does not write).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from judgeforge.backends import Backend
from judgeforge.judge import Judge
from judgeforge.prompts.rubrics import load_rubric
from judgeforge.records import Completion, Prompt
from judgeforge.report import load_report_data
from judgeforge.report.data import BarChart, ReportData
from judgeforge.runner import RunOptions, run_grading
from judgeforge.sampling import SamplingParams
from paths import read_jsonl

PASS_FAIL = {
    "criteria": "Does the answer solve the task?",
    "scale": {"Yes": "It does.", "No": "It does not."},
}
BINARY = {"criteria": "Does the answer solve the task?", "scale": {"0": "It does not.", "1": "It does."}}
ONE_TO_TEN = {"criteria": "Overall quality.", "scale": list(range(1, 11))}


def write_rows(path: Path, count: int, pairs: bool = False) -> Path:
    rows = [
        {"id": f"r{n}", "instruction": f"Add {n} and 2.", "response_a": str(n + 2), "response_b": "no idea"}
        if pairs
        else {"id": f"r{n}", "instruction": f"Add {n} and 2.", "response": str(n + 2 + n % 3)}
        for n in range(count)
    ]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def graded(tmp_path: Path, judge: Judge, rubric: dict[str, object], rows: int, **options: Any) -> Path:
    source = write_rows(tmp_path / "rows.jsonl", rows, pairs=options.get("mode") == "relative")
    out = tmp_path / "out.jsonl"
    report = run_grading(
        source, out, judge, RunOptions(rubric=load_rubric(rubric), use_cache=False, **options)
    )
    assert report.exit_code == 0, report.summary
    return out


def verdict_bars(data: ReportData) -> BarChart:
    bars = next(c for c in data.sections[0].charts if c.title == "Verdicts over all samples")
    assert isinstance(bars, BarChart)
    return bars


def test_labels_are_verdicts(tmp_path: Path) -> None:
    judge = Judge("fake", "selene-mini-classification", "none", samples=3, sampling={"seed": 1})
    out = graded(tmp_path, judge, PASS_FAIL, rows=6)
    lines = read_jsonl(out)
    given = Counter(v["label"] for line in lines for v in line["verdicts"])
    data = load_report_data(out)
    assert data.facts["items with a verdict"].text == "6 of 6 items (100%)"
    assert data.facts["samples with a verdict"].text == "18 of 18 samples (100%)"
    bars = verdict_bars(data)
    assert bars.values == {"Yes": given["Yes"], "No": given["No"], "no verdict": 0}  # the scale's order
    assert bars.x_title == "label"
    for item, line in zip(data.items, lines):
        assert item.verdict == f"{line['label']} (majority of 3)" and not item.failure
        assert [o.parsed for o in item.detail.outputs] == [f"label {v['label']}" for v in line["verdicts"]]


def test_a_zero_score_is_a_verdict(tmp_path: Path) -> None:
    out = graded(tmp_path, Judge("fake", "flow-judge", "none", sampling={"seed": 2}), BINARY, rows=8)
    lines = read_jsonl(out)
    given = Counter(f"{line['score']:g}" for line in lines)
    assert set(given) == {"0", "1"}  # both levels drawn
    data = load_report_data(out)
    assert data.facts["items with a verdict"].text == "8 of 8 items (100%)"
    assert data.facts["samples with a verdict"].text == "8 of 8 samples (100%)"
    assert verdict_bars(data).values == {"0": given["0"], "1": given["1"], "no verdict": 0}
    zero = next(item for item, line in zip(data.items, lines) if line["score"] == 0)
    assert zero.verdict == "0" and zero.detail.outputs[0].parsed == "score 0"


class _DecimalRater(Backend):
    """Writes MT-Bench single ratings, a decimal one for every other prompt (FastChat reads ``[[7.5]]``)."""

    name = "scripted-mt-bench"

    def identity(self) -> dict[str, str]:
        return {"backend": self.name}

    async def generate(self, prompts: Sequence[Prompt], params: SamplingParams) -> list[Completion]:
        ratings = ["7.5" if "Add 0 " in p.user or "Add 2 " in p.user else "9" for p in prompts]
        return [Completion(text=f"A fair answer.\n\nRating: [[{rating}]]") for rating in ratings]


def test_decimal_scores_are_levels_of_their_own(tmp_path: Path) -> None:
    out = graded(tmp_path, Judge(_DecimalRater(), "mt-bench", "none"), ONE_TO_TEN, rows=4)
    assert [line["score"] for line in read_jsonl(out)] == [7.5, 9, 7.5, 9]
    data = load_report_data(out)
    bars = verdict_bars(data).values
    assert list(bars)[:10] == [str(n) for n in range(1, 11)]  # the rubric's scale, every level
    assert (bars["7.5"], bars["9"], bars["no verdict"]) == (2, 2, 0)
    assert [item.verdict for item in data.items] == ["7.50", "9", "7.50", "9"]


@pytest.mark.parametrize("template_set", ["mt-bench", "arena-hard-v2.0"])
def test_ties_are_verdicts(tmp_path: Path, template_set: str) -> None:
    judge = Judge("fake", template_set, "none", sampling={"seed": 4})
    out = graded(tmp_path, judge, PASS_FAIL, rows=40, mode="relative")
    winners = Counter(line["winner"] for line in read_jsonl(out))
    assert winners["tie"] > 0 and set(winners) == {"A", "B", "tie"}
    data = load_report_data(out)
    assert data.facts["items with a verdict"].text == "40 of 40 items (100%)"
    assert data.facts["samples with a verdict"].text == "40 of 40 samples (100%)"
    bars = verdict_bars(data).values
    assert bars == {"A wins": winners["A"], "B wins": winners["B"], "tie": winners["tie"], "no verdict": 0}
    tie = next(item for item in data.items if item.verdict == "tie")
    assert tie.detail.outputs[0].parsed.startswith("winner tie") and not tie.failure
