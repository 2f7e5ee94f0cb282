"""judgeforge.compat.prometheus_eval: prometheus-eval's call shapes, the Judge's results."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from compat.scripted import (
    INSTRUCTIONS,
    REFERENCE,
    REFERENCES,
    RESPONSES,
    RESPONSES_B,
    RUBRIC,
    AnsweringBackend,
)
from judgeforge import ConfigError, InputError, Judge, RubricError, TemplateError
from judgeforge.compat.prometheus_eval import (
    ABSOLUTE_PROMPT,
    ABSOLUTE_PROMPT_WO_REF,
    RELATIVE_PROMPT,
    SCORE_RUBRIC_TEMPLATE,
    PrometheusEval,
)
from judgeforge.records import Judgment

RUBRIC_TEXT = SCORE_RUBRIC_TEMPLATE.format(**RUBRIC.model_dump())


def judge_rows(responses_b: list[str] | None = None) -> list[dict[str, Any]]:
    rows = []
    for index, (instruction, response, reference) in enumerate(zip(INSTRUCTIONS, RESPONSES, REFERENCES)):
        row = {"instruction": instruction, "rubric": RUBRIC.model_dump(), "reference_answer": reference}
        if responses_b is None:
            row["response"] = response
        else:
            row.update(response_a=response, response_b=responses_b[index])
        rows.append(row)
    return rows


def first_feedbacks(judgments: list[Judgment]) -> list[str | None]:
    return [j.verdicts[0].feedback if j.failure is None else None for j in judgments]


# -- the acceptance check: the same feedbacks and scores as Judge ------------------------------------------
@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("seed_given_as", ["sampling", "params"])
def test_absolute_grade_returns_the_judges_feedbacks_and_scores(seed: int, seed_given_as: str) -> None:
    judgments = Judge("fake", "prometheus-eval-0.1.20", sampling={"seed": seed}).grade_many(judge_rows())
    if seed_given_as == "sampling":
        bridge, params = PrometheusEval("fake", sampling={"seed": seed}), {}
    else:
        bridge, params = PrometheusEval("fake"), {"seed": seed}
    feedbacks, scores = bridge.absolute_grade(
        instructions=INSTRUCTIONS,
        responses=RESPONSES,
        rubric=RUBRIC_TEXT,
        reference_answers=REFERENCES,
        params=params,
    )
    assert feedbacks == first_feedbacks(judgments) and all(feedbacks)
    assert scores == [j.score for j in judgments]
    assert all(type(score) is int for score in scores)  # prometheus-eval's type, not the Judge's float


@pytest.mark.parametrize("seed", [1, 2])
def test_relative_grade_returns_the_judges_feedbacks_and_winners(seed: int) -> None:
    judge = Judge("fake", "prometheus-eval-0.1.20", sampling={"seed": seed})
    judgments = judge.compare_many(judge_rows(RESPONSES_B))
    feedbacks, winners = PrometheusEval("fake", sampling={"seed": seed}).relative_grade(
        instructions=INSTRUCTIONS,
        responses_A=RESPONSES,
        responses_B=RESPONSES_B,
        rubric=RUBRIC.render_relative(),
        reference_answers=REFERENCES,
    )
    assert feedbacks == first_feedbacks(judgments)
    assert winners == [j.winner for j in judgments] and set(winners) <= {"A", "B"}


def test_params_override_the_bridges_sampling_per_call() -> None:
    bridge = PrometheusEval("fake", sampling={"seed": 1, "temperature": 0.5})
    _, scores = bridge.absolute_grade(
        instructions=INSTRUCTIONS, responses=RESPONSES, rubric="reasoning", params={"seed": 5}
    )
    rows = [{**row, "reference_answer": None} for row in judge_rows()]
    expected = Judge("fake", "prometheus-eval-0.1.20", sampling={"seed": 5, "temperature": 0.5})
    assert scores == [j.score for j in expected.grade_many(rows)]


def test_single_grades_are_the_first_item_of_a_batch() -> None:
    bridge = PrometheusEval("fake", sampling={"seed": 3})
    feedbacks, scores = bridge.absolute_grade(
        instructions=INSTRUCTIONS[:1],
        responses=RESPONSES[:1],
        rubric="reasoning",
        reference_answers=REFERENCES[:1],
    )
    single = bridge.single_absolute_grade(INSTRUCTIONS[0], RESPONSES[0], "reasoning", REFERENCE)
    assert single == (feedbacks[0], scores[0])
    pair = bridge.single_relative_grade(INSTRUCTIONS[1], RESPONSES[1], RESPONSES_B[1], "reasoning")
    batch = bridge.relative_grade(
        instructions=INSTRUCTIONS[1:2],
        responses_A=RESPONSES[1:2],
        responses_B=RESPONSES_B[1:2],
        rubric="reasoning",
    )
    assert pair == (batch[0][0], batch[1][0])


# -- failures: None in both lists, the reason in the judgments ---------------------------------------------
def test_a_failed_item_is_none_in_both_lists_never_a_made_up_score() -> None:
    bridge = PrometheusEval("fake", backend_options={"garbage_rate": 1.0})
    kwargs: dict[str, Any] = {"instructions": INSTRUCTIONS, "responses": RESPONSES, "rubric": "reasoning"}
    assert bridge.absolute_grade(**kwargs) == ([None] * 3, [None] * 3)
    judgments = bridge.absolute_judgments(**kwargs)
    assert all("no [RESULT] marker" in (j.failure or "") for j in judgments)
    assert all(j.verdicts[0].attempts == 3 and j.verdicts[0].raw for j in judgments)
    pairs = bridge.relative_grade(
        instructions=INSTRUCTIONS, responses_A=RESPONSES, responses_B=RESPONSES_B, rubric="reasoning"
    )
    assert pairs == ([None] * 3, [None] * 3)


def test_an_output_without_a_verdict_is_regenerated_with_a_new_seed() -> None:
    bridge = PrometheusEval("fake", backend_options={"first_attempt_garbage": True}, sampling={"seed": 1})
    judgments = bridge.absolute_judgments(instructions=INSTRUCTIONS, responses=RESPONSES, rubric="reasoning")
    assert [j.verdicts[0].attempts for j in judgments] == [2, 2, 2]
    assert all(j.score is not None for j in judgments)


# -- rubrics ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "rubric",
    [RUBRIC_TEXT, "reasoning", RUBRIC, RUBRIC.model_dump(), [RUBRIC_TEXT] * 3],
    ids=["SCORE_RUBRIC_TEMPLATE", "library-name", "Rubric", "mapping", "list"],
)
def test_every_rubric_form_renders_the_same_prompt(rubric: object) -> None:
    backend = AnsweringBackend()
    PrometheusEval(backend).absolute_grade(instructions=INSTRUCTIONS, responses=RESPONSES, rubric=rubric)
    assert all(RUBRIC_TEXT in prompt.user for prompt in backend.prompts)


@pytest.mark.parametrize("rubric", [RUBRIC.render_relative(), RUBRIC.criteria, "reasoning", RUBRIC])
def test_a_relative_rubric_is_the_bracketed_criterion(rubric: object) -> None:
    backend = AnsweringBackend()
    PrometheusEval(backend).relative_grade(
        instructions=INSTRUCTIONS, responses_A=RESPONSES, responses_B=RESPONSES_B, rubric=rubric
    )
    assert all(f"###Score Rubric:\n[{RUBRIC.criteria}]\n" in prompt.user for prompt in backend.prompts)


def test_rubric_strings_the_templates_cannot_show_are_refused_with_the_fix() -> None:
    bridge = PrometheusEval("fake")
    with pytest.raises(RubricError, match="SCORE_RUBRIC_TEMPLATE"):
        bridge.absolute_grade(instructions=["Q"], responses=["A"], rubric="Is the answer helpful?")
    with pytest.raises(RubricError, match="criterion line only"):
        bridge.relative_grade(instructions=["Q"], responses_A=["A"], responses_B=["B"], rubric=RUBRIC_TEXT)


# -- templates --------------------------------------------------------------------------------------------
def test_default_templates_follow_each_items_reference() -> None:
    backend = AnsweringBackend()
    PrometheusEval(backend).absolute_grade(
        instructions=INSTRUCTIONS, responses=RESPONSES, rubric="reasoning", reference_answers=REFERENCES
    )
    shown = ["###Reference Answer (Score 5):" in prompt.user for prompt in backend.prompts]
    assert shown == [True, False, True]
    assert REFERENCE in backend.prompts[0].user


def test_an_explicit_template_serves_every_item_or_refuses_it() -> None:
    kwargs: dict[str, Any] = {"instructions": INSTRUCTIONS, "responses": RESPONSES, "rubric": "reasoning"}
    with pytest.raises(TemplateError, match="without a reference"):
        PrometheusEval("fake", absolute_grade_template=ABSOLUTE_PROMPT).absolute_grade(**kwargs)
    without = PrometheusEval("fake", absolute_grade_template=ABSOLUTE_PROMPT_WO_REF)
    with pytest.raises(TemplateError, match="with a reference"):
        without.absolute_grade(**kwargs, reference_answers=REFERENCES)
    given = PrometheusEval("fake", absolute_grade_template=ABSOLUTE_PROMPT, sampling={"seed": 1})
    default = PrometheusEval("fake", sampling={"seed": 1})
    refs = [REFERENCE] * 3
    assert given.absolute_grade(**kwargs, reference_answers=refs) == default.absolute_grade(
        **kwargs, reference_answers=refs
    )


def test_a_custom_format_template_renders_as_str_format_would() -> None:
    template = "Q: {instruction}\nA: {response}\n{{not a field}}\nRubric:\n{rubric}\n"
    backend = AnsweringBackend(lambda user: "Fine. [RESULT] 3")
    bridge = PrometheusEval(backend, absolute_grade_template=template)
    feedback, score = bridge.single_absolute_grade("Say {hi}", "{hi}", RUBRIC_TEXT)
    assert (feedback, score) == ("Fine.", 3)
    assert backend.prompts[0].user == template.format(
        instruction="Say {hi}", response="{hi}", rubric=RUBRIC_TEXT
    )
    relative = "{instruction}|{response_A}|{response_B}|{rubric}|{reference_answer}"
    backend = AnsweringBackend(lambda user: "[RESULT] B")
    PrometheusEval(backend, relative_grade_template=relative).single_relative_grade("i", "a", "b", "[c]", "r")
    assert backend.prompts[0].user == "i|a|b|[c]|r"


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{instruction} {response}", r"shows no \{rubric\}"),
        ("{instruction} {response} {rubric} {score}", r"cannot fill \{score\}"),
        ("{instruction} {response} {rubric!r}", r"cannot fill \{rubric!r\}"),
        ("{instruction} {response} {rubric} {", "not a valid str.format template"),
        ("{instruction} {response} {rubric} {{response}}", "looks like a placeholder"),
        (RELATIVE_PROMPT, r"cannot fill \{response_A\}"),
    ],
)
def test_templates_it_cannot_fill_are_refused_at_construction(template: str, message: str) -> None:
    with pytest.raises(TemplateError, match=message):
        PrometheusEval("fake", absolute_grade_template=template)


# -- inputs -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("call", "kwargs", "field"),
    [
        ("absolute_grade", {"responses": RESPONSES[:2]}, "responses"),
        ("absolute_grade", {"reference_answers": REFERENCES[:1]}, "reference_answers"),
        ("absolute_grade", {"reference_answers": "one reference"}, "reference_answers"),
        ("absolute_grade", {"rubric": ["reasoning"] * 2}, "rubric"),
        ("absolute_grade", {"responses": [RESPONSES[0], "  ", RESPONSES[2]]}, "response"),
        ("absolute_grade", {"instructions": "one instruction"}, "instructions"),
        ("relative_grade", {"responses_B": RESPONSES_B[:2]}, "responses_B"),
    ],
)
def test_bad_inputs_raise_input_error_naming_the_field(call: str, kwargs: dict[str, Any], field: str) -> None:
    base: dict[str, Any] = {"instructions": INSTRUCTIONS, "rubric": "reasoning"}
    if call == "absolute_grade":
        base["responses"] = RESPONSES
    else:
        base.update(responses_A=RESPONSES, responses_B=RESPONSES_B)
    with pytest.raises(InputError) as raised:
        getattr(PrometheusEval("fake"), call)(**{**base, **kwargs})
    assert raised.value.field == field


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"n": 2}, r"unsupported keys \['n'\]"),
        ({"best_of": 2}, "best_of"),
        ({"temperature": "hot"}, "temperature"),
    ],
)
def test_params_it_cannot_honour_are_config_errors(params: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        PrometheusEval("fake").absolute_grade(
            instructions=INSTRUCTIONS, responses=RESPONSES, rubric="reasoning", params=params
        )


def test_prometheus_eval_models_are_pointed_at_the_judgeforge_backend() -> None:
    class VLLM:  # prometheus-eval's models are recognised the way it recognises them: by this method
        def validate_vllm(self) -> bool:
            return True

    with pytest.raises(ConfigError, match="model='vllm'"):
        PrometheusEval(VLLM())  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="Backend instance"):
        PrometheusEval(AnsweringBackend(), backend_options={"model": "x"})


def test_the_coroutine_forms_answer_like_the_calls_inside_an_event_loop() -> None:
    bridge = PrometheusEval("fake", sampling={"seed": 4})
    direct: dict[str, Any] = {"instructions": INSTRUCTIONS, "responses": RESPONSES, "rubric": "reasoning"}
    pairs: dict[str, Any] = {
        "instructions": INSTRUCTIONS,
        "responses_A": RESPONSES,
        "responses_B": RESPONSES_B,
        "rubric": "reasoning",
    }

    async def inside_a_loop() -> tuple[Any, Any]:
        with pytest.raises(RuntimeError, match="await the a"):
            bridge.absolute_grade(**direct)
        return await bridge.aabsolute_grade(**direct), await bridge.arelative_grade(**pairs)

    graded, compared = asyncio.run(inside_a_loop())
    assert graded == bridge.absolute_grade(**direct)
    assert compared == bridge.relative_grade(**pairs)
