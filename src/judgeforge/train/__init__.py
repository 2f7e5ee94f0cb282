"""Training evaluator LMs (Prometheus 2 recipes) on TRL's SFTTrainer: configs, formatting, launch, LoRA merge.

Importing this package is cheap; torch, transformers, TRL and PEFT are imported when a function needs them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from judgeforge.train.config import (
    DatasetSource,
    DataSpec,
    LaunchSpec,
    LoraSpec,
    ModelSpec,
    TrainConfig,
    builtin_recipes,
    load_train_config,
)
from judgeforge.train.formatting import TrainingExample, format_row, to_conversation

if TYPE_CHECKING:
    from pathlib import Path

    from judgeforge.train.runner import TrainResult

__all__ = [
    "DataSpec",
    "DatasetSource",
    "LaunchSpec",
    "LoraSpec",
    "ModelSpec",
    "TrainConfig",
    "TrainingExample",
    "builtin_recipes",
    "dry_run",
    "format_row",
    "load_train_config",
    "merge_lora_adapter",
    "to_conversation",
    "train",
]


def train(config: TrainConfig) -> TrainResult:
    """Train a config (see :func:`judgeforge.train.runner.train`)."""
    from judgeforge.train.runner import train as run

    return run(config)


def dry_run(config: TrainConfig) -> dict[str, object]:
    """Validate a config end to end without training (see :mod:`judgeforge.train.dryrun`)."""
    from judgeforge.train.dryrun import dry_run as check

    return check(config)


def merge_lora_adapter(adapter_dir: str, out_dir: str, base_model: str | None = None) -> Path:
    """Merge a LoRA adapter into its base and save a full checkpoint (see :mod:`judgeforge.train.lora`)."""
    from judgeforge.train.lora import merge_lora_adapter as merge

    return merge(adapter_dir, out_dir, base_model)
