"""The bridge against the installed prometheus-eval 0.1.20 (an oracle for tests only; skipped when absent).

Both sides are driven by the same scripted judge (``compat.scripted``): prometheus-eval through its model
interface, the bridge through a Backend. Where they differ on purpose, the test pins the difference that
docs/migrating.md describes.
"""

from __future__ import annotations

import ast
import inspect
import warnings
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastchat.conversation")  # prometheus_eval.judge imports it
prometheus_eval = pytest.importorskip("prometheus_eval")

from prometheus_eval import prompts as their_prompts  # type: ignore[import-untyped]  # noqa: E402
from prometheus_eval.parser import parse_output  # type: ignore[import-untyped]  # noqa: E402
from prometheus_eval.utils import (  # type: ignore[import-untyped]  # noqa: E402
    async_batch_completions_with_retries,
    batch_completions_with_retries,
)

from compat.scripted import (  # noqa: E402
    INSTRUCTIONS,
    REFERENCE,
    REFERENCES,
    RESPONSES,
    RESPONSES_B,
    RUBRIC,
    AnsweringBackend,
    AnsweringModel,
)
from judgeforge import InputError  # noqa: E402
from judgeforge.compat import prometheus_eval as bridge_module  # noqa: E402
from judgeforge.compat.prometheus_eval import PrometheusEval  # noqa: E402
from judgeforge.parsing import parse_verdict  # noqa: E402

Theirs = prometheus_eval.PrometheusEval
pytestmark = pytest.mark.filterwarnings("ignore:Reference answer was not provided")
SOURCE = Path(inspect.getfile(prometheus_eval)).parent
RUBRIC_TEXT = their_prompts.SCORE_RUBRIC_TEMPLATE.format(**RUBRIC.model_dump())


def test_the_installed_package_is_the_version_the_bridge_follows() -> None:
    assert prometheus_eval.__version__ == "0.1.20"


@pytest.mark.parametrize(
    "method", ["absolute_grade", "relative_grade", "single_absolute_grade", "single_relative_grade"]
)
def test_methods_take_the_same_arguments_with_the_same_defaults(method: str) -> None:
    ours = inspect.signature(getattr(PrometheusEval, method)).parameters
    theirs = inspect.signature(getattr(Theirs, method)).parameters
    assert list(ours) == list(theirs)
    for name, parameter in theirs.items():
        assert ours[name].kind == parameter.kind, name
        assert ours[name].default == parameter.default, name


def test_the_constructor_takes_their_arguments_first() -> None:
    ours = list(inspect.signature(PrometheusEval).parameters)
    assert ours[:3] == list(inspect.signature(Theirs).parameters)


@pytest.mark.parametrize(
    "name",
    [
        "ABSOLUTE_PROMPT",
        "ABSOLUTE_PROMPT_WO_REF",
        "RELATIVE_PROMPT",
        "RELATIVE_PROMPT_WO_REF",
        "SCORE_RUBRIC_TEMPLATE",
        "ABS_SYSTEM_PROMPT",
        "REL_SYSTEM_PROMPT",
    ],
)
def test_the_prompt_constants_are_theirs(name: str) -> None:
    assert getattr(bridge_module, name) == getattr(their_prompts, name)


# -- same prompts, same verdicts, their shapes -------------------------------------------------------------
def run_both(relative: bool, template: str | None, references: list[Any] | None) -> tuple[Any, ...]:
    model, backend = AnsweringModel(), AnsweringBackend()
    if relative:
        theirs = Theirs(model=model, relative_grade_template=template or their_prompts.RELATIVE_PROMPT_WO_REF)
        ours = PrometheusEval(backend, relative_grade_template=template)
    else:
        theirs = Theirs(model=model, absolute_grade_template=template or their_prompts.ABSOLUTE_PROMPT_WO_REF)
        ours = PrometheusEval(backend, absolute_grade_template=template)
    if relative:
        kwargs: dict[str, Any] = {"responses_A": RESPONSES, "responses_B": RESPONSES_B}
        rubric, call = RUBRIC.render_relative(), "relative_grade"
    else:
        kwargs, rubric, call = {"responses": RESPONSES}, RUBRIC_TEXT, "absolute_grade"
    kwargs.update(instructions=INSTRUCTIONS, rubric=rubric, reference_answers=references)
    return getattr(theirs, call)(**kwargs), getattr(ours, call)(**kwargs), model, backend


@pytest.mark.parametrize("relative", [False, True], ids=["absolute", "relative"])
@pytest.mark.parametrize(
    ("with_references", "their_default"), [(False, True), (True, False)], ids=["default", "with-reference"]
)
def test_same_prompts_and_verdicts_in_their_shapes(
    relative: bool, with_references: bool, their_default: bool
) -> None:
    template = None
    if not their_default:
        template = their_prompts.RELATIVE_PROMPT if relative else their_prompts.ABSOLUTE_PROMPT
    references = [REFERENCE] * 3 if with_references else None
    (their_feedbacks, their_scores), (feedbacks, scores), model, backend = run_both(
        relative, template, references
    )
    [(their_inputs, _)] = model.calls
    assert [list(p.model_dump()["messages"]) for p in backend.prompts] == their_inputs
    conversation = Theirs(model=AnsweringModel())._get_conversation_prompt  # their vLLM prompt
    assert [p.text for p in backend.prompts] == [conversation(m) for m in their_inputs]
    assert scores == their_scores and [type(s) for s in scores] == [type(s) for s in their_scores]
    # Theirs is the whole output; ours the text before the verdict.
    assert feedbacks == [f.rpartition("[RESULT]")[0].strip() for f in their_feedbacks]


def test_a_failure_is_none_where_they_return_a_placeholder_after_ten_retries() -> None:
    model, backend = (
        AnsweringModel(lambda _: "No verdict here."),
        AnsweringBackend(lambda _: "No verdict here."),
    )
    kwargs: dict[str, Any] = {
        "instructions": INSTRUCTIONS[:1],
        "responses": RESPONSES[:1],
        "rubric": RUBRIC_TEXT,
    }
    assert Theirs(model=model).absolute_grade(**kwargs) == (["Failed to generate feedback"], [None])
    assert PrometheusEval(backend).absolute_grade(**kwargs) == ([None], [None])
    assert (len(model.calls), len(backend.params)) == (11, 3)  # 1 + max_retries=10; max_attempts=3
    assert len({p.seed for p in backend.params}) == 3  # each regeneration has its own seed


# -- the quirks docs/migrating.md describes ------------------------------------------------------------------
def user_prompts(model: AnsweringModel) -> list[str]:
    return [messages[-1]["content"] for messages in model.calls[-1][0]]


def test_their_default_template_drops_references_and_their_reference_template_prints_none() -> None:
    model = AnsweringModel()
    kwargs: dict[str, Any] = {"instructions": INSTRUCTIONS, "responses": RESPONSES, "rubric": RUBRIC_TEXT}
    Theirs(model=model).absolute_grade(**kwargs, reference_answers=REFERENCES)
    assert not any(REFERENCE in prompt for prompt in user_prompts(model))
    with_reference = Theirs(model=model, absolute_grade_template=their_prompts.ABSOLUTE_PROMPT)
    with_reference.absolute_grade(**kwargs, reference_answers=REFERENCES)
    assert "###Reference Answer (Score 5):\nNone\n" in user_prompts(model)[1]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with_reference.absolute_grade(**kwargs, reference_answers=tuple(REFERENCES))  # not a list
    assert "Reference answer was not provided" in str(caught[0].message)
    assert all("Score 5):\nNone\n" in prompt for prompt in user_prompts(model))
    backend = AnsweringBackend()
    PrometheusEval(backend).absolute_grade(**kwargs, reference_answers=tuple(REFERENCES))
    assert REFERENCE in backend.prompts[0].user and "None" not in backend.prompts[1].user


def test_their_params_replace_all_defaults_ours_merge_into_them() -> None:
    model, backend = AnsweringModel(), AnsweringBackend()
    kwargs: dict[str, Any] = {
        "instructions": INSTRUCTIONS[:1],
        "responses": RESPONSES[:1],
        "rubric": RUBRIC_TEXT,
        "params": {"temperature": 0.0},
    }
    Theirs(model=model).absolute_grade(**kwargs)
    assert model.calls[0][1] == {"temperature": 0.0}  # no max_tokens: vLLM's own default (16) applies
    PrometheusEval(backend).absolute_grade(**kwargs)
    assert (backend.params[0].temperature, backend.params[0].max_tokens, backend.params[0].top_p) == (
        0.0,
        1024,
        0.9,
    )


def test_their_zip_cuts_unequal_pairs_ours_refuses_them() -> None:
    model = AnsweringModel()
    kwargs: dict[str, Any] = {
        "instructions": INSTRUCTIONS[:2],
        "responses_A": RESPONSES,
        "responses_B": RESPONSES_B[:2],
        "rubric": "[c]",
    }
    feedbacks, _ = Theirs(model=model).relative_grade(**kwargs)
    assert len(feedbacks) == 2  # RESPONSES[2] was dropped without a word
    with pytest.raises(InputError, match="3 entries for 2 instructions"):
        PrometheusEval(AnsweringBackend()).relative_grade(**kwargs)


def test_their_retry_budgets() -> None:
    assert inspect.signature(batch_completions_with_retries).parameters["max_retries"].default == 10
    assert inspect.signature(async_batch_completions_with_retries).parameters["max_retries"].default == 5


def method(path: Path, owner: str, name: str) -> ast.FunctionDef | ast.AsyncFunctionDef:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    [cls] = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == owner]
    [found] = [
        n for n in cls.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name == name
    ]
    return found


def test_their_async_litellm_path_sends_no_sampling_parameters() -> None:
    # prometheus_eval/litellm.py needs litellm to import; its source is read instead.
    body = method(SOURCE / "litellm.py", "AsyncLiteLLM", "_get_completion_text_async")
    [call] = [
        n for n in ast.walk(body) if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "acompletion"
    ]
    assert sorted(k.arg for k in call.keywords if k.arg) == [
        "api_base",
        "messages",
        "model",
        "request_timeout",
    ]
    assert all(k.arg is not None for k in call.keywords)  # no **kwargs: params never reach the request
    sync = ast.unparse(method(SOURCE / "litellm.py", "LiteLLM", "completions"))
    assert "['best_of', 'repetition_penalty', 'use_tqdm']" in sync  # dropped from the sync requests


@pytest.mark.parametrize(
    ("output", "theirs", "ours"),
    [
        ("Good. [RESULT] 4", 4, 4),
        ("Feedback: Good. [RESULT] 4 out of 5", 4, 4),
        ("Good. [RESULT] 4\n\nNote: brief.", None, 4),  # text after the verdict line
        ("Good. [RESULT] 4</s>", None, 4),  # an end-of-turn token left in the text
        ("Good, so I give it a score of 4", 4, None),  # no marker: ours reads only a last line "Score: 4"
        ("Good.\nScore: 4", 4, 4),
        ("Good. [RESULT] 6", None, None),
    ],
)
def test_parsers_side_by_side(output: str, theirs: int | None, ours: int | None) -> None:
    assert parse_output(output, mode="absolute")[1] == theirs
    assert parse_verdict(output, "absolute").score == ours


def test_their_feedback_is_the_whole_output() -> None:
    assert parse_output("Feedback: Good. [RESULT] 4", mode="absolute") == ("Feedback: Good. [RESULT] 4", 4)
    assert parse_verdict("Feedback: Good. [RESULT] 4", "absolute").feedback == "Good."
