"""Issue 23's acceptance line: a rubric with a pass/fail scale and one with a 1-10 scale grade end to end with
the fake backend and a toy judge, and are refused by a set that cannot show them.

Every run goes through the real runner (``run_grading``). The toy judge is the committed DA judge
(``toy/models/da``: a tiny Llama trained on Prometheus 2 prompts and outputs only) behind the in-process
transformers backend, loaded once for the module. Shown a Flow-Judge or Selene prompt it writes Prometheus-style
text (checklist phrases, ``[RESULT]``) or fragments of it, never that family's format, so the family's strict
parser finds no verdict: the true behaviour is a failure recorded as data, per row, with the reason and the raw
output, never a default score.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from judgeforge.backends import Backend, backends, create_backend
from judgeforge.judge import Judge
from judgeforge.prompts.rubrics import load_rubric
from judgeforge.runner import RunOptions, RunReport, run_grading
from paths import REPO, read_jsonl

BINARY = {"criteria": "Does the answer solve the task?", "scale": {"0": "It does not.", "1": "It does."}}
PASS_FAIL = {
    "criteria": "Does the answer solve the task?",
    "scale": {"Yes": "It does.", "No": "It does not."},
}
ONE_TO_TEN = {
    "criteria": "Overall quality.",
    "scale": {str(n): f"Quality level {n} of 10." for n in range(1, 11)},
}
# (template set that shows the scale, rubric, the set's parse failure when no verdict of its format is found)
SHOWN = [
    ("flow-judge", BINARY, "no <score>...</score>"),
    ("selene-mini-classification", PASS_FAIL, "no **Result:** line"),
    ("flow-judge", ONE_TO_TEN, "no <score>...</score>"),
]
IDS = ["pass-fail-0-1", "pass-fail-yes-no", "one-to-ten"]
TOY = REPO / "toy" / "models" / "da"


def write_rows(path: Path, count: int) -> Path:
    rows = [
        {"id": f"r{n}", "instruction": f"Add {n} and 2.", "response": str(n + 2 + n % 2)}
        for n in range(count)
    ]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def grade(tmp_path: Path, judge: Judge, rubric: dict[str, object], rows: int) -> RunReport:
    source = write_rows(tmp_path / "rows.jsonl", rows)
    return run_grading(
        source, tmp_path / "out.jsonl", judge, RunOptions(rubric=load_rubric(rubric), use_cache=False)
    )


@pytest.fixture(scope="module")
def toy_backend() -> Iterator[Backend]:
    torch = pytest.importorskip("torch")
    pytest.importorskip("transformers")
    if "transformers" not in backends or not (TOY / "config.json").is_file():
        pytest.skip("no transformers backend or no committed toy judge")
    before = torch.get_num_threads()
    torch.set_num_threads(
        1
    )  # as the toy demo runs: on a shared 2-core machine a second thread stalls decoding
    yield create_backend("transformers", {"model": str(TOY), "dtype": "float32", "batch_size": 4})
    torch.set_num_threads(before)


def toy_judge(backend: Backend, template_set: str) -> Judge:
    # The model's own chat template; greedy, short outputs, one attempt: the test reads what the judge wrote.
    sampling: dict[str, Any] = {"temperature": 0.0, "repetition_penalty": 1.0, "max_tokens": 60}
    return Judge(backend, template_set, "tokenizer", sampling=sampling, max_attempts=1)


@pytest.mark.parametrize(("template_set", "rubric", "reason"), SHOWN, ids=IDS)
def test_the_fake_backend_grades_each_scale_within_it(
    tmp_path: Path, template_set: str, rubric: dict[str, object], reason: str
) -> None:
    report = grade(tmp_path, Judge("fake", template_set, "none", samples=3, sampling={"seed": 3}), rubric, 6)
    assert report.exit_code == 0 and report.summary["graded"] == 6
    values = load_rubric(rubric).scale_values()
    for line in read_jsonl(report.output):
        assert line["failure"] is None
        given = [v.get("label", v.get("score")) for v in line["verdicts"]]
        assert all(str(value) in values for value in given), given
        if values[0].isdigit():
            assert line["score"] is not None and float(values[0]) <= line["score"] <= float(values[-1])
        else:
            assert line["score"] is None and line["label"] in values


@pytest.mark.parametrize(("template_set", "rubric", "reason"), SHOWN, ids=IDS)
def test_the_toy_judge_grades_each_scale_and_its_unreadable_outputs_are_failures(
    toy_backend: Backend, tmp_path: Path, template_set: str, rubric: dict[str, object], reason: str
) -> None:
    report = grade(tmp_path, toy_judge(toy_backend, template_set), rubric, 2)
    assert read_jsonl(report.errors) == []  # every row rendered and went to the model: no bad row
    assert report.summary["failed"] == 2 and report.summary["failures_by_reason"] == {reason: 2}
    for line in read_jsonl(report.output):
        assert line["failure"] == reason and line["score"] is None and "label" not in line
        (verdict,) = line["verdicts"]
        assert verdict["failure"] == reason and "score" not in verdict and "label" not in verdict
        assert verdict["raw"].strip()  # what the model wrote, kept as written
    assert line["usage"]["completion_tokens"] > 0


@pytest.mark.parametrize("rubric", [BINARY, PASS_FAIL, ONE_TO_TEN], ids=["0-1", "yes-no", "1-10"])
def test_a_set_that_cannot_show_the_scale_refuses_it(
    toy_backend: Backend, tmp_path: Path, rubric: dict[str, object]
) -> None:
    for judge in (toy_judge(toy_backend, "prometheus2"), Judge("fake", "prometheus2")):  # shows 1-5 only
        folder = tmp_path / judge.backend.name
        folder.mkdir()
        report = grade(folder, judge, rubric, 2)
        assert report.exit_code == 1 and report.summary["bad_rows"] == 2 and read_jsonl(report.output) == []
        for error in read_jsonl(report.errors):
            assert error["field"] == "rubric"
            assert error["message"].startswith(
                "template set 'prometheus2' shows the scale 1-5, but the rubric's"
            )
            able = "selene-mini-classification" if rubric is PASS_FAIL else "flow-judge"
            assert able in error["message"]  # it names a set that can show the scale
