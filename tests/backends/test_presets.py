"""Judge-family presets: the pairing each family was trained with, overridable, and mismatch warnings."""

from __future__ import annotations

import warnings

import pytest

from judgeforge import Judge
from judgeforge.backends import create_backend
from judgeforge.errors import ConfigError
from judgeforge.prompts.presets import get_preset, mismatch_warning, preset_for_model, resolve


def test_families_bind_their_formats() -> None:
    assert resolve("prometheus2-7b") == ("prometheus2", "mistral-inst")
    assert resolve("prometheus2-8x7b") == ("prometheus2", "mistral-inst")
    assert resolve("m-prometheus-7b") == ("prometheus2", "tokenizer")
    assert resolve("m-prometheus-7b", chat_format="none") == ("prometheus2", "none")
    with pytest.raises(ConfigError, match="unknown preset 'prometheus-9'"):
        get_preset("prometheus-9")


@pytest.mark.parametrize(
    ("model", "preset"),
    [
        ("prometheus-eval/prometheus-7b-v2.0", "prometheus2-7b"),
        ("/models/prometheus-8x7b-v2.0/", "prometheus2-8x7b"),
        ("prometheus-7b-v2.0.Q4_K_M.gguf", "prometheus2-7b"),
        ("Unbabel/M-Prometheus-14B", "m-prometheus-14b"),
        ("mistralai/Mistral-7B-Instruct-v0.2", None),
    ],
)
def test_models_are_recognised(model: str, preset: str | None) -> None:
    found = preset_for_model(model)
    assert (found.name if found else None) == preset


def test_wrong_pairing_for_a_known_model_warns_and_preset_does_not() -> None:
    backend = create_backend("fake", {"model": "Unbabel/M-Prometheus-3B"})
    with pytest.warns(UserWarning, match="m-prometheus judge .* chat format 'mistral-inst'"):
        Judge(backend, "prometheus2", "mistral-inst")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        judge = Judge.from_preset("prometheus2-7b", backend)
        assert judge.renderer.chat_format_name == "mistral-inst"
        overridden = Judge.from_preset("prometheus2-7b", backend, chat_format="none")
        assert overridden.renderer.chat_format_name == "none"
    # a chat endpoint applies the server's template: only the template set can be wrong there
    identity = {"model": "prometheus-7b-v2.0", "endpoint": "chat"}
    assert mismatch_warning(identity, "prometheus2", "none") is None
    assert "template set" in (mismatch_warning(identity, "prometheus-eval-0.1.20", "none") or "")


def test_logprob_protocols_need_a_backend_with_logprobs() -> None:
    with pytest.raises(ConfigError, match="no token logprobs"):
        Judge("fake", logprobs=True)
    chat = create_backend("openai_compat", {"endpoint": "chat"})
    with pytest.raises(ConfigError, match="endpoint=completions"):
        Judge(chat, score_only=True)


def test_cli_preset_fills_only_options_not_given() -> None:
    import argparse

    from judgeforge.cli.common import add_backend_options, add_prompt_options, judge_settings

    parser = argparse.ArgumentParser()
    add_prompt_options(parser)
    add_backend_options(parser)
    plain = judge_settings(parser.parse_args([]))
    assert plain["chat_format"] == "mistral-inst" and plain["check_preset"] and not plain["logprobs"]
    preset = judge_settings(parser.parse_args(["--preset", "m-prometheus-7b", "--score-only"]))
    assert (preset["template_set"], preset["chat_format"]) == ("prometheus2", "tokenizer")
    assert preset["score_only"] and not preset["check_preset"]
    explicit = judge_settings(
        parser.parse_args(["--preset", "m-prometheus-7b", "--chat-format", "mistral-inst"])
    )
    assert explicit["chat_format"] == "mistral-inst"
