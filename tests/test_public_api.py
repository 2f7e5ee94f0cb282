"""The public API: what ``import judgeforge`` offers is pinned, and every error class is exported."""

from __future__ import annotations

import inspect

import judgeforge
from judgeforge import errors

PUBLIC = [
    "Backend",
    "BackendConfigError",
    "BackendError",
    "BackendRateLimited",
    "BackendTimeout",
    "Completion",
    "ConfigError",
    "DirectItem",
    "GenerationFailure",
    "InputError",
    "Judge",
    "JudgeforgeError",
    "Judgment",
    "MergeError",
    "MissingDependencyError",
    "PairItem",
    "ParseError",
    "Prompt",
    "PromptRenderer",
    "RetryPolicy",
    "Rubric",
    "RubricError",
    "SamplingParams",
    "TemplateError",
    "Verdict",
    "__version__",
    "create_backend",
    "get_template_set",
    "lint_rubric",
    "load_rubric",
    "parse_verdict",
]


def test_all_is_pinned_and_sorted() -> None:
    assert judgeforge.__all__ == PUBLIC
    assert all(hasattr(judgeforge, name) for name in judgeforge.__all__)


def test_the_whole_exception_tree_is_exported() -> None:
    tree = [
        value
        for value in vars(errors).values()
        if inspect.isclass(value) and issubclass(value, errors.JudgeforgeError)
    ]
    assert len(tree) >= 12
    assert {cls.__name__ for cls in tree} <= set(judgeforge.__all__)


def test_public_judge_methods_are_documented() -> None:
    for name in ("grade", "compare", "grade_many", "compare_many", "agrade_many", "acompare_many",
                 "render", "judge_rendered", "judge_prompts", "settings", "from_preset"):  # fmt: skip
        doc = inspect.getdoc(getattr(judgeforge.Judge, name)) or ""
        assert len(doc) > 40, name
