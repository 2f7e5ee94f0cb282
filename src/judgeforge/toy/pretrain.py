"""``judgeforge toy pretrain``: tokenizer + tiny Llama + brief pre-training on the world's corpus."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import yaml

from judgeforge.errors import ConfigError
from judgeforge.toy.base import LoopConfig, ModelShape, build_model, build_tokenizer, save, train_loop
from judgeforge.toy.corpus import Document, tokenizer_phrases
from judgeforge.toy.dataset import corpus_sha256


def read_documents(path: Path) -> list[Document]:
    """The ``pretrain.jsonl`` documents written by ``judgeforge toy generate``."""
    if not path.is_file():
        raise ConfigError(f"no pre-training corpus at {path}; run `judgeforge toy generate` first")
    with path.open(encoding="utf-8") as handle:
        return [Document(**json.loads(line)) for line in handle if line.strip()]


def load_config(path: str | Path | None) -> tuple[ModelShape, LoopConfig]:
    """Shape and loop settings from a YAML file with ``shape`` and ``loop`` mappings (defaults elsewhere)."""
    if path is None:
        return ModelShape(), LoopConfig()
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    try:
        return ModelShape(**data.get("shape", {})), LoopConfig(**data.get("loop", {}))
    except TypeError as exc:
        raise ConfigError(f"invalid toy pre-training config {path}: {exc}") from exc


def pretrain_base(
    world_dir: str | Path,
    out_dir: str | Path,
    *,
    config_path: str | Path | None = None,
    loop_overrides: Mapping[str, Any] | None = None,
    log_path: str | Path | None = None,
) -> Path:
    """Train the tokenizer on the corpus, pre-train the model on it, save both; return ``out_dir``."""
    shape, loop = load_config(config_path)
    loop = replace(loop, **dict(loop_overrides or {}))
    documents = read_documents(Path(world_dir) / "pretrain.jsonl")
    texts = [f"{d.user} {d.output}" for d in documents]
    tokenizer = build_tokenizer(texts, tokenizer_phrases(), shape.vocab_size)
    model = build_model(tokenizer, shape, loop.seed)
    log_file = Path(log_path) if log_path else Path(out_dir) / "pretrain_log.jsonl"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("w", encoding="utf-8") as handle:

        def log(entry: dict[str, Any]) -> None:
            handle.write(json.dumps(entry) + "\n")
            handle.flush()
            print(f"pretrain step {entry['step']}/{loop.steps} loss {entry['loss']} ({entry['seconds']} s)")

        history = train_loop(model, tokenizer, documents, loop, log=log)
    meta = {
        "stage": "pretrain",
        "shape": asdict(shape),
        "loop": asdict(loop),
        "corpus_sha256": corpus_sha256(world_dir),
        "documents": len(documents),
        "log": history,
    }
    return save(model, tokenizer, Path(out_dir), meta)
