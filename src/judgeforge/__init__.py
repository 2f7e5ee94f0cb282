"""judgeforge: evaluator language models the Prometheus 2 way.

Grade (direct assessment and pairwise ranking with byte-exact Prometheus 2 prompts), build preference data,
train, merge and meta-evaluate judges. ``import judgeforge`` is light: heavy stacks load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from judgeforge.errors import (
    BackendConfigError,
    BackendError,
    BackendRateLimited,
    BackendTimeout,
    ConfigError,
    InputError,
    JudgeforgeError,
    MergeError,
    MissingDependencyError,
    ParseError,
    RubricError,
    TemplateError,
)
from judgeforge.lazy import lazy_exports

if TYPE_CHECKING:
    from judgeforge.backends import Backend, create_backend
    from judgeforge.backends.retry import RetryPolicy
    from judgeforge.judge import Judge
    from judgeforge.parsing import parse_verdict
    from judgeforge.prompts import PromptRenderer, get_template_set
    from judgeforge.prompts.rubrics import lint_rubric, load_rubric
    from judgeforge.records import (
        Completion,
        DirectItem,
        GenerationFailure,
        Judgment,
        PairItem,
        Prompt,
        Rubric,
        Verdict,
    )
    from judgeforge.sampling import SamplingParams

# The public names and the modules they live in, imported on first access (PEP 562): a command that
# only merges does not pay for the grading stack (0.53 s of imports measured when these were eager).
_LAZY = {
    "Backend": "judgeforge.backends",
    "create_backend": "judgeforge.backends",
    "RetryPolicy": "judgeforge.backends.retry",
    "Judge": "judgeforge.judge",
    "parse_verdict": "judgeforge.parsing",
    "PromptRenderer": "judgeforge.prompts",
    "get_template_set": "judgeforge.prompts",
    "lint_rubric": "judgeforge.prompts.rubrics",
    "load_rubric": "judgeforge.prompts.rubrics",
    "Completion": "judgeforge.records",
    "DirectItem": "judgeforge.records",
    "GenerationFailure": "judgeforge.records",
    "Judgment": "judgeforge.records",
    "PairItem": "judgeforge.records",
    "Prompt": "judgeforge.records",
    "Rubric": "judgeforge.records",
    "Verdict": "judgeforge.records",
    "SamplingParams": "judgeforge.sampling",
}


__getattr__ = lazy_exports(__name__, _LAZY)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__version__ = "0.1.0"

__all__ = [
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
