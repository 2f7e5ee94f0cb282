"""Exact keys: every option of every registered backend either changes the cache key and the settings hash,
or is declared output-neutral (and then changes neither)."""

from __future__ import annotations

import typing
from typing import Any

import pytest

from judgeforge.backends import backends, create_backend
from judgeforge.backends.base import Backend, BackendOptions
from judgeforge.backends.cache import request_keys
from judgeforge.distributed.spec import JudgeSpec
from judgeforge.judge import Judge
from judgeforge.prompts.rubrics import load_rubric
from judgeforge.records import DirectItem
from judgeforge.runner.bookkeeping import run_settings, settings_hash
from judgeforge.runner.options import RunOptions
from judgeforge.sampling import SamplingParams

REQUIRED = {
    "model": "some/model",
    "model_path": "judge.gguf",
    "base_urls": "http://a.test/v1",
    "backend": "fake",
}
# Fields whose other values must name something real (the Ray pool's inner backend and its options).
KNOWN_ALTERNATIVES: dict[str, list[Any]] = {
    "backend": ["toy-teacher"],
    "backend_options": [{"model": "other"}],
}
# Backends cheap to build here (no model to load): their real cache keys are compared too.
BUILDABLE = {"fake", "openai_compat", "openai_pool", "toy-teacher"}
ITEM = DirectItem(instruction="Cook rice?", response="Boil it.", rubric=load_rubric("helpfulness"))


def base_options(backend: str) -> dict[str, Any]:
    """The options ``backend`` cannot do without (a pool needs its servers though the field has a default)."""
    fields = backends.get(backend).Options.model_fields
    needed = {name for name, field in fields.items() if field.is_required()} | {"base_urls"}
    return {name: value for name, value in REQUIRED.items() if name in fields and name in needed}


def alternatives(annotation: Any, value: Any) -> list[Any]:
    """Other valid-looking values of a field, tried in order until one validates."""
    choices = [arg for arg in typing.get_args(annotation) if isinstance(arg, str)]
    if choices:
        return [choice for choice in choices if choice != value]
    if isinstance(value, bool):
        return [not value]
    if isinstance(value, int):
        return [value + 1, value * 2 + 2]
    if isinstance(value, float):
        return [value / 2 if value else 0.5, value + 1.0]
    if isinstance(value, str):
        return [value + "-other", "http://other.test/v1"]
    if isinstance(value, dict):
        return [{"extra_key": 1}]
    if isinstance(value, tuple):
        return [(*value, "http://b.test/v1")]
    return ["other", 2, 0.5, True, {"extra_key": 1}]


def changed_options(backend: str) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(field, base options, options with that field changed) for every option of ``backend``."""
    options_class: type[BackendOptions] = backends.get(backend).Options
    base = base_options(backend)
    validated = options_class.model_validate(base)
    cases = []
    for name, field in options_class.model_fields.items():
        others = KNOWN_ALTERNATIVES.get(name) or alternatives(field.annotation, getattr(validated, name))
        for candidate in others:
            try:
                options_class.model_validate({**base, name: candidate})
            except Exception:
                continue
            cases.append((name, base, {**base, name: candidate}))
            break
        else:
            raise AssertionError(f"no alternative value found for {backend}.{name}")
    return cases


def run_hash(spec: JudgeSpec) -> str:
    return settings_hash(run_settings(spec.settings(), RunOptions()))


def cache_key(backend: Backend) -> bytes:
    judge = Judge(backend, check_preset=False)
    prompt = judge.render(ITEM)[0]
    return request_keys(backend, SamplingParams(seed=3), [prompt])[0]


CASES = [
    (name, field, base, changed)
    for name in backends.names()
    for field, base, changed in changed_options(name)
]


@pytest.mark.parametrize(
    ("backend", "field", "base", "changed"), CASES, ids=[f"{c[0]}.{c[1]}" for c in CASES]
)
def test_an_option_changes_key_and_settings_or_is_declared_neutral(
    backend: str, field: str, base: dict[str, Any], changed: dict[str, Any]
) -> None:
    options_class = backends.get(backend).Options
    neutral = field in options_class.output_neutral
    before = run_hash(JudgeSpec(backend=backend, backend_options=base))
    after = run_hash(JudgeSpec(backend=backend, backend_options=changed))
    assert (before == after) is neutral, f"{backend}.{field}: neutral={neutral}"
    if backend in BUILDABLE:
        same_key = cache_key(create_backend(backend, base)) == cache_key(create_backend(backend, changed))
        assert same_key is neutral, f"{backend}.{field}: cache key, neutral={neutral}"


@pytest.mark.parametrize("field", ["system_role", "extra_body", "repetition_penalty_field", "endpoint"])
def test_openai_compat_options_that_shape_the_request_change_what_is_sent(field: str) -> None:
    """The cache key follows the request body the backend really sends (model_input)."""
    [(_, base, changed)] = [case for case in changed_options("openai_compat") if case[0] == field]
    prompt = Judge("fake", check_preset=False).render(ITEM)[0]
    params = SamplingParams()
    first = create_backend("openai_compat", base)
    second = create_backend("openai_compat", changed)
    assert first.model_input(prompt, params) != second.model_input(prompt, params)


def test_local_and_ray_settings_agree() -> None:
    """JudgeSpec.settings() (Ray, no model loaded) equals Judge.settings() (local): resumable across them."""
    spec = JudgeSpec(
        backend="fake", backend_options={"model": "m", "latency_ms": "5"}, sampling={"temperature": 0}
    )
    judge = Judge("fake", backend_options={"model": "m"}, sampling={"temperature": 0}, check_preset=False)
    assert spec.settings() == judge.settings()
    scored = JudgeSpec(backend="fake", logprobs=True)
    assert scored.settings()["sampling"]["logprobs"] is True
