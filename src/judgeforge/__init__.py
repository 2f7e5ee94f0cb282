"""judgeforge: evaluator language models the Prometheus 2 way.

Grade (direct assessment and pairwise ranking with byte-exact Prometheus 2 prompts), build preference data,
train, merge and meta-evaluate judges. ``import judgeforge`` is light: heavy stacks load on first use.
"""

from __future__ import annotations

from judgeforge.backends import Backend, create_backend
from judgeforge.backends.retry import RetryPolicy
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
