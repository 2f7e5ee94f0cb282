"""judgeforge: evaluator language models the Prometheus 2 way.

Grade (direct assessment and pairwise ranking with byte-exact Prometheus 2 prompts), build preference data,
train, merge and meta-evaluate judges. ``import judgeforge`` is light: heavy stacks load on first use.
"""

from __future__ import annotations

from judgeforge.errors import (
    BackendError,
    ConfigError,
    InputError,
    JudgeforgeError,
    MissingDependencyError,
    RubricError,
    TemplateError,
)
from judgeforge.judge import Judge
from judgeforge.parsing import parse_verdict
from judgeforge.prompts import PromptRenderer, get_template_set
from judgeforge.records import (
    Completion,
    DirectItem,
    Judgment,
    PairItem,
    Prompt,
    Rubric,
    Verdict,
)
from judgeforge.rubrics import lint_rubric, load_rubric
from judgeforge.sampling import SamplingParams

__version__ = "0.1.0"

__all__ = [
    "BackendError",
    "Completion",
    "ConfigError",
    "DirectItem",
    "InputError",
    "Judge",
    "JudgeforgeError",
    "Judgment",
    "MissingDependencyError",
    "PairItem",
    "Prompt",
    "PromptRenderer",
    "Rubric",
    "RubricError",
    "SamplingParams",
    "TemplateError",
    "Verdict",
    "__version__",
    "get_template_set",
    "lint_rubric",
    "load_rubric",
    "parse_verdict",
]
