"""Constants and helpers shared by the serve tests (imported as ``serve.support``; tests/ is on sys.path)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from judgeforge.backends.retry import RetryPolicy
from judgeforge.judge import Judge
from judgeforge.serve.run import RunningServer

# The ``start_server`` fixture: ``with start_server(judge, max_items=2) as server: ...``
ServerFactory = Callable[..., AbstractContextManager[RunningServer]]

API_KEY = "test-key-0123456789abcdef"
OTHER_KEY = "test-key-fedcba9876543210"
AUTH = {"Authorization": f"Bearer {API_KEY}"}

ITEM = {
    "instruction": "Explain why the sky is blue.",
    "response": "Sunlight scatters off air molecules; blue light scatters most (Rayleigh scattering).",
    "rubric": "helpfulness",
}
PAIR = {
    "instruction": "Explain why the sky is blue.",
    "response_a": "Rayleigh scattering: air molecules scatter short blue wavelengths most.",
    "response_b": "Because it reflects the ocean.",
    "rubric": "factual_validity",
    "reference_answer": "Air molecules scatter short (blue) wavelengths of sunlight more than long ones.",
}


def fake_judge(**options: Any) -> Judge:
    # A failing fake is retried once without delay: the tests read the failure, not the backoff.
    return Judge(
        "fake",
        backend_options=options,
        sampling={"seed": 7},
        retry=RetryPolicy(max_retries=1, initial_delay=0),
    )
