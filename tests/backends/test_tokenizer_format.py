"""The ``tokenizer`` chat format: the model's own tokenizer by default, a path or an object when given, and a
clear error in the constructor when there is none."""

from __future__ import annotations

from pathlib import Path

import pytest
from tiny_judge import direct_items

from judgeforge import ConfigError, Judge
from judgeforge.prompts.chat import load_tokenizer, tokenizer_chat_format


def test_without_a_tokenizer_the_constructor_names_the_fix() -> None:
    with pytest.raises(ConfigError, match=r"backend 'fake' holds no tokenizer: pass tokenizer=PATH"):
        Judge("fake", chat_format="tokenizer")


def test_transformers_uses_the_models_own_tokenizer(tiny_judge_dir: Path) -> None:
    options = {"model": str(tiny_judge_dir), "device": "cpu"}
    own = Judge("transformers", chat_format="tokenizer", backend_options=options, check_preset=False)
    by_path = Judge("fake", chat_format="tokenizer", tokenizer=str(tiny_judge_dir), check_preset=False)
    by_object = Judge(
        "fake", chat_format="tokenizer", tokenizer=load_tokenizer(str(tiny_judge_dir)), check_preset=False
    )
    item = direct_items(1)[0]
    prompts = [judge.render(item)[0] for judge in (own, by_path, by_object)]
    expected = tokenizer_chat_format(prompts[0].system, prompts[0].user, load_tokenizer(str(tiny_judge_dir)))
    assert [prompt.text for prompt in prompts] == [expected] * 3


def test_llama_cpp_uses_the_ggufs_own_chat_template(tiny_gguf: Path, tiny_judge_dir: Path) -> None:
    from judgeforge.backends.llamacpp import LlamaCppBackend, LlamaCppOptions

    backend = LlamaCppBackend(LlamaCppOptions(model_path=str(tiny_gguf), n_ctx=1024, n_threads=1))
    assert backend.tokenizer is not None, "the converted GGUF carries the tokenizer's chat template"
    judge = Judge(backend, chat_format="tokenizer", check_preset=False)
    item = direct_items(1)[0]
    prompt = judge.render(item)[0]
    expected = tokenizer_chat_format(prompt.system, prompt.user, load_tokenizer(str(tiny_judge_dir)))
    assert prompt.text == expected  # the GGUF's template renders what the Hugging Face tokenizer renders
