"""Rubrics with their own scales: which template sets show them, which refuse them, and grading end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from judgeforge import Judge
from judgeforge.cli.main import main
from judgeforge.errors import RubricError, TemplateError
from judgeforge.prompts import PromptRenderer, check_levels, get_template_set
from judgeforge.prompts.rubrics import lint_rubric, load_rubric
from judgeforge.records import DirectItem, PairItem, Rubric
from paths import read_jsonl

PASS_FAIL = {
    "criteria": "Does the answer solve the task?",
    "scale": {"Yes": "It does.", "No": "It does not."},
}
BINARY = {"criteria": "Does the answer solve the task?", "scale": {0: "It does not.", 1: "It does."}}
ONE_TO_TEN = {"criteria": "Overall quality.", "scale": {n: f"Quality level {n} of 10." for n in range(1, 11)}}
ONE_TO_TEN_BARE = {"criteria": "Overall quality.", "scale": list(range(1, 11))}
THREE = {"criteria": "Is it concise?", "scale": {3: "Concise.", 1: "Verbose.", 2: "Some padding."}}


def item(rubric: dict[str, object], reference: str | None = None) -> DirectItem:
    return DirectItem(
        instruction="What is 2 + 2?", response="4", rubric=load_rubric(rubric), reference_answer=reference
    )


@pytest.mark.parametrize(
    ("template_set", "rubric"),
    [
        ("prometheus2", PASS_FAIL),
        ("prometheus2", ONE_TO_TEN),
        ("prometheus-eval-0.1.20", BINARY),
        ("mt-bench", PASS_FAIL),
        ("mt-bench", THREE),
        ("auto-j", BINARY),
        ("flow-judge", PASS_FAIL),
        ("selene-mini", ONE_TO_TEN),
        ("selene-mini-classification", BINARY),
        ("prometheus1", THREE),
    ],
)
def test_a_set_refuses_a_scale_it_cannot_show(template_set: str, rubric: dict[str, object]) -> None:
    with pytest.raises(TemplateError, match="but the rubric's scale is") as caught:
        PromptRenderer(template_set, "none").direct(item(rubric))
    assert caught.value.field == "rubric"
    assert "template sets that show it" in str(caught.value) or "no built-in template set" in str(
        caught.value
    )


def test_refusal_names_the_sets_that_can_show_it() -> None:
    with pytest.raises(TemplateError) as caught:
        PromptRenderer("prometheus2", "none").direct(item(ONE_TO_TEN))
    message = str(caught.value)
    assert "shows the scale 1-5" in message and "scale is 1-10" in message
    assert "flow-judge" in message and "mt-bench" in message and "prometheus2," not in message


@pytest.mark.parametrize(
    ("template_set", "rubric", "shown"),
    [
        ("flow-judge", BINARY, "- Score 0: It does not.\n- Score 1: It does."),
        ("flow-judge", THREE, "- Score 1: Verbose.\n- Score 2: Some padding.\n- Score 3: Concise."),
        ("flow-judge", ONE_TO_TEN, "- Score 9: Quality level 9 of 10.\n- Score 10: Quality level 10 of 10."),
        ("selene-mini-classification", PASS_FAIL, "Yes: It does.\nNo: It does not."),
        ("mt-bench", ONE_TO_TEN_BARE, "on a scale of 1 to 10"),
        ("auto-j", ONE_TO_TEN, "on a scale of 1 to 10"),
    ],
)
def test_a_set_shows_the_scales_it_can(template_set: str, rubric: dict[str, object], shown: str) -> None:
    prompt = PromptRenderer(template_set, "none").direct(item(rubric))
    assert shown in prompt.user
    assert prompt.scale == load_rubric(rubric).scale_values()


def test_standard_rubric_renders_as_before_and_carries_no_scale() -> None:
    prompt = PromptRenderer("prometheus2", "none").direct(item({"criteria": "c", **LEVELS}))
    assert prompt.scale is None and "Score 5: level 5" in prompt.user


LEVELS = {f"score{n}_description": f"level {n}" for n in range(1, 6)}


def test_a_rubric_with_levels_1_to_5_of_its_own_renders_in_prometheus() -> None:
    own = {"criteria": "c", "scale": {n: f"level {n}" for n in range(1, 6)}}
    standard = {"criteria": "c", **LEVELS}
    renderer = PromptRenderer("prometheus2", "none")
    assert renderer.direct(item(own)).user == renderer.direct(item(standard)).user


def test_pairwise_rendering_does_not_check_the_scale() -> None:
    rubric = load_rubric(ONE_TO_TEN)
    pair = PairItem(instruction="q", response_a="a", response_b="b", rubric=rubric)
    assert "[Overall quality.]" in PromptRenderer("prometheus2", "none").pair(pair).user


def test_blank_levels_are_refused_only_where_the_wording_shows_them() -> None:
    bare = load_rubric(ONE_TO_TEN_BARE)
    check_levels(bare, get_template_set("mt-bench"))  # MT-Bench shows no level descriptions
    with pytest.raises(RubricError, match="scale level '1' has no description"):
        check_levels(bare, get_template_set("flow-judge"))
    judge = Judge("fake", "flow-judge", "none")
    with pytest.raises(RubricError):
        judge.grade("q", "r", ONE_TO_TEN_BARE)


def test_reference_answer_refused_by_a_set_without_a_reference_template() -> None:
    with pytest.raises(TemplateError, match="no absolute template with a reference answer"):
        PromptRenderer("auto-j").direct(item(ONE_TO_TEN, reference="4"))
    with pytest.raises(TemplateError, match="has no absolute templates"):
        PromptRenderer("arena-hard-v2.0").direct(item(ONE_TO_TEN))


@pytest.mark.parametrize(
    ("template_set", "rubric", "kind"),
    [
        ("selene-mini-classification", PASS_FAIL, "label"),
        ("flow-judge", BINARY, "score"),
        ("flow-judge", ONE_TO_TEN, "score"),
        ("mt-bench", ONE_TO_TEN_BARE, "score"),
        ("auto-j", ONE_TO_TEN, "score"),
    ],
)
def test_custom_scales_grade_end_to_end_with_the_fake_backend(
    template_set: str, rubric: dict[str, object], kind: str
) -> None:
    judge = Judge("fake", template_set, "none", samples=3)
    judgment = judge.grade("What is 2 + 2?", "4", rubric, None)
    values = load_rubric(rubric).scale_values()
    assert judgment.failure is None and all(v.ok for v in judgment.verdicts)
    if kind == "label":
        assert judgment.label in values and judgment.score is None
        assert all(v.label in values for v in judgment.verdicts)
    else:
        assert judgment.score is not None and judgment.label is None
        numbers = [float(value) for value in values]
        assert min(numbers) <= judgment.score <= max(numbers)
        assert all(str(v.score) in values for v in judgment.verdicts)


def test_cli_grade_with_a_pass_fail_rubric_file(tmp_path: Path) -> None:
    rubric = tmp_path / "pass_fail.yaml"
    rubric.write_text(
        'criteria: Does the answer solve the task?\nscale:\n  "Yes": It does.\n  "No": It does not.\n',
        encoding="utf-8",
    )
    rows = tmp_path / "rows.jsonl"
    rows.write_text(
        "".join(
            json.dumps({"id": i, "instruction": f"Add {i} and 2.", "response": str(i + 2)}) + "\n"
            for i in range(4)
        ),
        encoding="utf-8",
    )
    out = tmp_path / "out.jsonl"
    args = ["grade", str(rows), "-o", str(out), "--rubric", str(rubric), "--backend", "fake"]
    assert main([*args, "--template-set", "selene-mini-classification", "--chat-format", "none"]) == 0
    lines = read_jsonl(out)
    assert [line["label"] for line in lines] and all(line["label"] in ("Yes", "No") for line in lines)
    assert all(line["failure"] is None and line["score"] is None for line in lines)
    refused = tmp_path / "refused.jsonl"
    assert main(["grade", str(rows), "-o", str(refused), "--rubric", str(rubric), "--backend", "fake"]) != 0


def test_rubric_lint_checks_scales(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.yaml"
    good.write_text("criteria: Quality\nscale: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n", encoding="utf-8")
    unquoted = tmp_path / "unquoted.yaml"
    unquoted.write_text("criteria: Correct?\nscale:\n  Yes: right\n  No: wrong\n", encoding="utf-8")
    mixed = tmp_path / "mixed.json"
    mixed.write_text(
        json.dumps({"criteria": "c", "scale": {"1": "a", "pass": "", "2": "a"}}), encoding="utf-8"
    )
    both = tmp_path / "both.json"
    both.write_text(json.dumps({"criteria": "c", "scale": ["0", "1"], **LEVELS}), encoding="utf-8")
    one = tmp_path / "one.json"
    one.write_text(json.dumps({"criteria": "c", "scale": {"pass": "ok"}}), encoding="utf-8")
    assert main(["rubrics", "lint", str(good), str(unquoted), str(mixed), str(both), str(one)]) == 1
    out = capsys.readouterr().out
    assert f"{good}: ok" in out
    assert f"{unquoted}: scale level True is a YAML boolean" in out
    assert f"{mixed}: scale level 'pass' has no description" in out
    assert f"{mixed}: scale mixes numbers and words: 1, pass, 2" in out
    assert f"{mixed}: scale level 2 repeats the description of level 1" in out
    assert f"{both}: give either 'scale' or the five scoreN_description fields" in out
    assert f"{one}: field 'scale' needs at least two levels" in out


def test_scale_rubric_records() -> None:
    rubric = Rubric.model_validate({"criteria": "c", "scale": {"pass": "p", "fail": "f"}})
    assert rubric.scale_values() == ("pass", "fail") and rubric.descriptions() == ["p", "f"]
    assert load_rubric(rubric.model_dump()) == rubric  # a dumped rubric loads back
    assert lint_rubric(rubric.model_dump()) == []
    with pytest.raises(ValueError, match="not both"):
        Rubric.model_validate({"criteria": "c", "scale": ["0", "1"], "score1_description": "x"})
    with pytest.raises(ValueError, match="repeat"):
        Rubric.model_validate({"criteria": "c", "scale": ["1", "1"]})
    with pytest.raises(ValueError, match="YAML boolean"):
        Rubric.model_validate({"criteria": "c", "scale": {True: "y", False: "n"}})
