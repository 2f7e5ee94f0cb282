"""The toy base model: a tokenizer trained on the world, a tiny Llama, and a brief pre-training stage.

The tokenizer is the byte-level BPE of :mod:`judgeforge.toy.tiny`, trained on the corpus, plus the fixed
template wording as whole tokens (see :func:`judgeforge.toy.corpus.tokenizer_phrases`). Pre-training is plain
next-token prediction over the chat-formatted corpus documents, one process, seeded, for a fixed number of
steps (not a time budget, so a rerun is the same computation whatever the machine's load).
"""

from __future__ import annotations

import json
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from judgeforge.lazy import require
from judgeforge.prompts.chat import joined_user_turn
from judgeforge.toy.corpus import Document
from judgeforge.toy.tiny import init_llama, train_tokenizer


@dataclass(frozen=True)
class ModelShape:
    """Size of the toy Llama."""

    hidden_size: int = 128
    num_layers: int = 4
    num_heads: int = 4
    intermediate_size: int = 384
    max_positions: int = 1024
    vocab_size: int = 1024


@dataclass(frozen=True)
class LoopConfig:
    """A plain training loop: AdamW, linear warm-up then cosine decay, fixed steps, fixed seed."""

    steps: int = 300
    batch_size: int = 32
    learning_rate: float = 3e-3
    warmup_steps: int = 20
    weight_decay: float = 0.0
    max_length: int = 512
    seed: int = 0
    log_every: int = 10
    threads: int = 2


def chat_text(tokenizer: Any, document: Document) -> tuple[str, str]:
    """(prompt, completion) strings in the model's chat format, the way judge and trainer see them."""
    messages = joined_user_turn(document.system, document.user)
    prompt = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    full = tokenizer.apply_chat_template(
        [*messages, {"role": "assistant", "content": document.output}], tokenize=False
    )
    return str(prompt), str(full)[len(str(prompt)) :]


def build_tokenizer(texts: Sequence[str], phrases: Sequence[str], vocab_size: int) -> Any:
    """BPE trained on ``texts`` with ``phrases`` added as single (non-special) tokens."""
    transformers = require("transformers", "hf")
    tokenizer = train_tokenizer(texts, vocab_size)
    tokenizer.add_tokens([transformers.AddedToken(p, normalized=False, special=False) for p in phrases])
    return tokenizer


def build_model(tokenizer: Any, shape: ModelShape, seed: int) -> Any:
    """A randomly initialised Llama sized by ``shape`` for ``tokenizer``."""
    return init_llama(
        tokenizer,
        hidden_size=shape.hidden_size,
        intermediate_size=shape.intermediate_size,
        num_layers=shape.num_layers,
        num_heads=shape.num_heads,
        max_positions=shape.max_positions,
        seed=seed,
    )


def encode(
    tokenizer: Any, document: Document, max_length: int, completion_only: bool
) -> tuple[list[int], list[int]]:
    """Token ids and labels (-100 where no loss: the prompt when ``completion_only``)."""
    prompt, completion = chat_text(tokenizer, document)
    prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    completion_ids = tokenizer(completion, add_special_tokens=False)["input_ids"]
    ids = (prompt_ids + completion_ids)[:max_length]
    labels = ([-100] * len(prompt_ids) if completion_only else list(prompt_ids)) + list(completion_ids)
    return ids, labels[:max_length]


def _batch(examples: list[tuple[list[int], list[int]]], pad_id: int) -> dict[str, Any]:
    torch = require("torch", "hf")
    width = max(len(ids) for ids, _ in examples)
    ids = [x + [pad_id] * (width - len(x)) for x, _ in examples]
    labels = [y + [-100] * (width - len(y)) for _, y in examples]
    mask = [[1] * len(x) + [0] * (width - len(x)) for x, _ in examples]
    return {
        "input_ids": torch.tensor(ids),
        "labels": torch.tensor(labels),
        "attention_mask": torch.tensor(mask),
    }


def _lr_factor(step: int, config: LoopConfig) -> float:
    if step < config.warmup_steps:
        return (step + 1) / config.warmup_steps
    progress = (step - config.warmup_steps) / max(1, config.steps - config.warmup_steps)
    return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))


def train_loop(
    model: Any,
    tokenizer: Any,
    documents: Sequence[Document],
    config: LoopConfig,
    *,
    completion_only: bool = False,
    log: Callable[[dict[str, Any]], None] | None = None,
) -> list[dict[str, Any]]:
    """Train ``model`` in place for ``config.steps`` steps over shuffled ``documents``; return the log."""
    torch = require("torch", "hf")
    torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    encoded = [encode(tokenizer, d, config.max_length, completion_only) for d in documents]
    order, rng = list(range(len(encoded))), random.Random(config.seed)
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay
    )
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: _lr_factor(step, config))
    model.train()
    history, cursor, started = [], len(order), time.monotonic()
    for step in range(config.steps):
        if cursor + config.batch_size > len(order):
            rng.shuffle(order)
            cursor = 0
        batch = _batch(
            [encoded[i] for i in order[cursor : cursor + config.batch_size]], tokenizer.pad_token_id
        )
        cursor += config.batch_size
        loss = model(**batch).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        if (step + 1) % config.log_every == 0 or step + 1 == config.steps:
            entry = {
                "step": step + 1,
                "loss": round(float(loss.detach()), 4),
                "seconds": round(time.monotonic() - started, 1),
            }
            history.append(entry)
            if log is not None:
                log(entry)
    model.eval()
    return history


def save(model: Any, tokenizer: Any, out_dir: Path, meta: dict[str, Any]) -> Path:
    """Write safetensors weights, tokenizer and a ``toy_meta.json`` (shape, loop, log) to ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir, safe_serialization=True)
    tokenizer.save_pretrained(out_dir)
    (out_dir / "toy_meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return out_dir


def describe(shape: ModelShape, loop: LoopConfig) -> dict[str, Any]:
    return {"shape": asdict(shape), "loop": asdict(loop)}
