"""Tiny Llama-architecture models and byte-level BPE tokenizers, built locally (no hub).

Used by the tests (real loading code on real files) and as the toy world's base model. The tokenizer's chat
template follows Mistral-Instruct: ``[INST] user [/INST]assistant</s>``, and it rejects a system role, so the
``tokenizer`` chat format's fallback (system prompt joined to the user turn) is exercised.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from judgeforge.lazy import require

MISTRAL_LIKE_CHAT_TEMPLATE = (
    "{{ bos_token }}{% for message in messages %}"
    "{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}"
    "{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token }}"
    "{% else %}{{ raise_exception('System role not supported') }}{% endif %}"
    "{% endfor %}"
)
SPECIAL_TOKENS = ["<unk>", "<s>", "</s>", "<pad>"]


def default_corpus() -> list[str]:
    """Text that covers the judge prompts: every Prometheus template and system prompt, and every library
    rubric (the other families' wordings are left out, so the tiny tokenizer stays what the toy judges use)."""
    from judgeforge.prompts import builtin_template_sets
    from judgeforge.prompts.rubrics import library_rubrics

    texts: list[str] = []
    for template_set in builtin_template_sets().values():
        if template_set.parser != "prometheus":
            continue
        texts += list(template_set.templates.values()) + list(template_set.system_prompts.values())
    texts += [rubric.render_absolute() for rubric in library_rubrics().values()]
    texts += [f"Feedback: The response is fine. [RESULT] {v}" for v in ("1", "2", "3", "4", "5", "A", "B")]
    return texts


def train_tokenizer(texts: Iterable[str], vocab_size: int = 1024) -> Any:
    """A byte-level BPE tokenizer trained on ``texts``, wrapped as a transformers fast tokenizer."""
    tokenizers = require("tokenizers", "hf")
    transformers = require("transformers", "hf")
    model = tokenizers.Tokenizer(tokenizers.models.BPE(unk_token="<unk>"))
    model.pre_tokenizer = tokenizers.pre_tokenizers.ByteLevel(add_prefix_space=False)
    model.decoder = tokenizers.decoders.ByteLevel()
    trainer = tokenizers.trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=tokenizers.pre_tokenizers.ByteLevel.alphabet(),
    )
    model.train_from_iterator(list(texts), trainer=trainer)
    tokenizer = transformers.PreTrainedTokenizerFast(
        tokenizer_object=model,
        unk_token="<unk>",
        bos_token="<s>",
        eos_token="</s>",
        pad_token="<pad>",
        padding_side="left",
    )
    tokenizer.chat_template = MISTRAL_LIKE_CHAT_TEMPLATE
    return tokenizer


def build_tiny_model(
    out_dir: str | Path,
    texts: Iterable[str] | None = None,
    *,
    vocab_size: int = 1024,
    hidden_size: int = 64,
    num_layers: int = 2,
    num_heads: int = 4,
    max_positions: int = 4096,
    seed: int = 0,
) -> Path:
    """Write a randomly initialised tiny Llama + tokenizer (safetensors) to ``out_dir``; return the path."""
    out = Path(out_dir)
    tokenizer = train_tokenizer(default_corpus() if texts is None else texts, vocab_size)
    model = init_llama(
        tokenizer,
        hidden_size=hidden_size,
        intermediate_size=hidden_size * 2,
        num_layers=num_layers,
        num_heads=num_heads,
        max_positions=max_positions,
        seed=seed,
    )
    model.save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)
    return out


def init_llama(
    tokenizer: Any,
    *,
    hidden_size: int,
    intermediate_size: int,
    num_layers: int,
    num_heads: int,
    max_positions: int,
    seed: int,
) -> Any:
    """A randomly initialised (seeded) Llama for ``tokenizer``: grouped-query attention with half the heads."""
    torch = require("torch", "hf")
    transformers = require("transformers", "hf")
    config = transformers.LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=intermediate_size,
        num_hidden_layers=num_layers,
        num_attention_heads=num_heads,
        num_key_value_heads=max(1, num_heads // 2),
        max_position_embeddings=max_positions,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=False,
    )
    torch.manual_seed(seed)
    model = transformers.LlamaForCausalLM(config)
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    return model
