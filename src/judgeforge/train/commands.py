"""What the ``judgeforge train`` command does, one function per action (the CLI only parses options)."""

from __future__ import annotations

import json
import shlex
from collections.abc import Sequence
from typing import IO, Any

from judgeforge.errors import ConfigError
from judgeforge.train.config import builtin_recipes, load_train_config


def with_merge_flag(config_ref: str, overrides: Sequence[str], merge_lora: bool) -> list[str]:
    """``--merge-lora`` as an override (so launched processes see it too); only for LoRA configs."""
    if not merge_lora:
        return list(overrides)
    if load_train_config(config_ref, overrides).lora is None:
        raise ConfigError("--merge-lora needs a config with a lora section (a LoRA recipe)")
    return [*overrides, "lora.merge=true"]


def list_recipes(out: IO[str]) -> int:
    for name in builtin_recipes():
        config = load_train_config(name)
        out.write(f"{name:28} {config.mode:6} {config.model.name_or_path}  {config.description}\n")
    return 0


def dry_run(config_ref: str, overrides: Sequence[str]) -> dict[str, Any]:
    from judgeforge.train.dryrun import dry_run as check
    from judgeforge.train.launch import launch_command

    config = load_train_config(config_ref, overrides)
    report = check(config)
    report["launch"] = shlex.join(launch_command(config_ref, overrides, config))
    return report


def train(config_ref: str, overrides: Sequence[str], out: IO[str]) -> int:
    from judgeforge.train.runner import train as run

    result = run(load_train_config(config_ref, overrides))
    if result.rank == 0:
        line = {
            "output_dir": str(result.output_dir),
            "global_step": result.global_step,
            "final_loss": result.final_loss,
            "world_size": result.world_size,
            "merged_dir": str(result.merged_dir) if result.merged_dir else None,
        }
        out.write(json.dumps(line) + "\n")
    return 0


def launch(config_ref: str, overrides: Sequence[str], *, print_only: bool, out: IO[str]) -> int:
    from judgeforge.train.launch import launch as run_launch
    from judgeforge.train.launch import launch_command

    config = load_train_config(config_ref, overrides)
    if print_only:
        out.write(shlex.join(launch_command(config_ref, overrides, config)) + "\n")
        return 0
    return run_launch(config_ref, overrides, config)


def export_merged(adapter_dir: str, out_dir: str, base: str | None, out: IO[str]) -> int:
    from judgeforge.train.lora import merge_lora_adapter

    path = merge_lora_adapter(adapter_dir, out_dir, base)
    out.write(f"{path}\n")
    return 0
