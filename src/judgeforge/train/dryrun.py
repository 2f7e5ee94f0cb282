"""``--dry-run``: check a config end to end without training.

Checks the training arguments against ``trl.SFTConfig``'s fields, resolves the base model (a local folder
must hold a config and a tokenizer; a hub id is looked up in the local cache only), loads and formats every
dataset row, and, when the tokenizer is at hand, measures the first examples against ``max_length``.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from judgeforge.errors import ConfigError
from judgeforge.lazy import require
from judgeforge.train.config import ModelSpec, TrainConfig
from judgeforge.train.datasets import build_train_dataset, source_format
from judgeforge.train.formatting import prompt_text, training_text

_MEASURED_EXAMPLES = 32


def dry_run(config: TrainConfig) -> dict[str, Any]:
    """A report of what training would use; raises ConfigError/InputError on the first blocking problem."""
    check_training_keys(config)
    model = resolve_model(config.model)
    dataset, summary = build_train_dataset(config)
    report: dict[str, Any] = {
        "name": config.name,
        "mode": config.mode,
        "output_dir": str(config.output_dir),
        "model": {key: value for key, value in model.items() if key != "tokenizer"},
        "datasets": {
            kind: {"path": source.path, "format": source_format(source)}
            for kind, source in config.sources().items()
            if source is not None
        },
        "data": summary.as_dict(),
        "examples": len(dataset),
        "lora": config.lora is not None,
    }
    tokenizer = model.get("tokenizer")
    if tokenizer is not None:
        report["lengths"] = measure(tokenizer, dataset, config.training.get("max_length", 1024))
    return report


def check_training_keys(config: TrainConfig) -> None:
    trl = require("trl", "train")
    known = {field.name for field in dataclasses.fields(trl.SFTConfig)}
    unknown = sorted(set(config.training) - known)
    if unknown:
        raise ConfigError(f"training: unknown SFTConfig arguments: {', '.join(unknown)}")


def resolve_model(spec: ModelSpec) -> dict[str, Any]:
    """Where the base model comes from; a local folder is opened (config + tokenizer) to prove it loads."""
    transformers = require("transformers", "train")
    path = Path(spec.name_or_path)
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise ConfigError(f"model.name_or_path {path}: no config.json in this folder")
        try:
            tokenizer = transformers.AutoTokenizer.from_pretrained(str(path))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"model.name_or_path {path}: cannot load its tokenizer: {exc}") from exc
        if not getattr(tokenizer, "chat_template", None):
            raise ConfigError(f"model.name_or_path {path}: the tokenizer has no chat template")
        return {"source": "local", "path": str(path.resolve()), "tokenizer": tokenizer}
    if spec.name_or_path.startswith((".", "/")) or spec.name_or_path.count("/") > 1:
        raise ConfigError(f"model.name_or_path {spec.name_or_path}: no such folder")
    try:
        transformers.AutoConfig.from_pretrained(spec.name_or_path, local_files_only=True)
        cached = True
    except (OSError, ValueError):
        cached = False
    return {"source": "hub", "id": spec.name_or_path, "cached": cached}


def measure(tokenizer: Any, dataset: Any, max_length: int | None) -> dict[str, Any]:
    """Token counts of the first examples: longest prompt, longest sequence, how many exceed max_length."""
    sample = dataset.select(range(min(_MEASURED_EXAMPLES, len(dataset))))
    prompts, totals = [], []
    for row in sample:
        prompts.append(len(tokenizer(prompt_text(tokenizer, row), add_special_tokens=False)["input_ids"]))
        totals.append(len(tokenizer(training_text(tokenizer, row), add_special_tokens=False)["input_ids"]))
    over = sum(1 for total in totals if max_length is not None and total > max_length)
    return {
        "measured": len(totals),
        "max_prompt_tokens": max(prompts),
        "max_total_tokens": max(totals),
        "over_max_length": over,
        "max_length": max_length,
    }
