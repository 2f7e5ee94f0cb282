"""Configs: recipes as data, extends, --set overrides, validation, launch commands (no training here)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from judgeforge.errors import ConfigError
from judgeforge.train.config import (
    apply_overrides,
    builtin_accelerate_configs,
    builtin_recipes,
    dump_config,
    load_config_dict,
    load_train_config,
    validate_config,
)
from judgeforge.train.launch import launch_command

MODES = ("da", "pr", "joint")


@pytest.mark.parametrize("mode", MODES)
def test_7b_full_finetune_recipes_carry_the_paper_settings(mode: str) -> None:
    config = load_train_config(f"prometheus2-7b-{mode}")
    assert config.mode == mode
    assert config.model.name_or_path == "mistralai/Mistral-7B-Instruct-v0.2"
    assert config.lora is None
    t = config.training
    assert (t["learning_rate"], t["num_train_epochs"], t["lr_scheduler_type"]) == (1e-5, 1, "cosine")
    assert (t["warmup_steps"], t["max_length"], t["bf16"], t["activation_checkpointing"]) == (
        0.1,
        4096,
        True,
        True,
    )
    assert config.launch.accelerate_config == "deepspeed-zero3"
    kinds = {"da": {"feedback"}, "pr": {"preference"}, "joint": {"feedback", "preference"}}[mode]
    assert set(config.sources()) == kinds


@pytest.mark.parametrize("mode", MODES)
def test_8x7b_lora_recipes_carry_the_paper_settings(mode: str) -> None:
    config = load_train_config(f"prometheus2-8x7b-lora-{mode}")
    assert config.mode == mode
    assert config.model.name_or_path == "mistralai/Mixtral-8x7B-Instruct-v0.1"
    assert config.lora is not None
    assert (config.lora.r, config.lora.alpha, config.lora.dropout) == (256, 512, 0.1)
    assert config.training["learning_rate"] == 1e-4
    assert config.training["max_length"] == 4096 and config.launch.accelerate_config == "deepspeed-zero3"


def test_deepspeed_config_is_zero3_and_saves_full_weights() -> None:
    data = yaml.safe_load(builtin_accelerate_configs()["deepspeed-zero3"].read_text())
    assert data["distributed_type"] == "DEEPSPEED"
    assert data["deepspeed_config"]["zero_stage"] == 3
    assert data["deepspeed_config"]["zero3_save_16bit_model"] is True
    assert data["mixed_precision"] == "bf16"


def test_every_recipe_uses_only_sftconfig_arguments() -> None:
    pytest.importorskip("trl")
    from judgeforge.train.dryrun import check_training_keys

    for name in builtin_recipes():
        check_training_keys(load_train_config(name))
    with pytest.raises(ConfigError, match=r"learning_rat\b"):
        check_training_keys(load_train_config("tiny-da", ["training.learning_rat=0.1"]))


def test_extends_merges_nested_keys_and_null_removes() -> None:
    data = load_config_dict("tiny-pr")
    assert "extends" not in data
    assert data["data"]["feedback"] is None
    assert data["data"]["preference"] == {"path": "toy-world/preference.jsonl"}
    assert data["training"]["max_steps"] == 3  # inherited from tiny-da
    assert data["training"]["output_dir"] == "runs/tiny-pr"  # overridden


def test_overrides_parse_yaml_values_and_create_nested_keys() -> None:
    data = apply_overrides(
        {"training": {"learning_rate": 1.0}},
        ["training.learning_rate=2e-5", "training.bf16=false", "lora.target_modules=[q_proj, v_proj]"],
    )
    assert data["training"] == {"learning_rate": 2e-5, "bf16": False}
    assert data["lora"] == {"target_modules": ["q_proj", "v_proj"]}
    with pytest.raises(ConfigError, match=r"key\.path=value"):
        apply_overrides({}, ["no-equals-sign"])


def test_user_config_file_extends_a_builtin_recipe(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text("extends: tiny-da\ntraining: {output_dir: out, max_steps: 7}\n")
    config = load_train_config(path, ["training.max_steps=9"])
    assert config.training["max_steps"] == 9 and config.training["learning_rate"] == 1e-3
    assert yaml.safe_load(dump_config(config))["training"]["max_steps"] == 9


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["mode=pr"], "needs data.preference"),
        (["data.preference.path=x.jsonl"], "does not train on data.preference"),
        (["training.output_dir=null"], "output_dir is required"),
        (["model.name_or_path=null"], "model.name_or_path"),
        (["data.prompt_source=guess"], "data.prompt_source"),
        (["lora.r=8"], "lora.alpha"),
        (["mode=both"], "mode"),
    ],
)
def test_invalid_configs_name_the_key(overrides: list[str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_train_config("tiny-da", overrides)


def test_unknown_recipe_lists_the_builtin_ones() -> None:
    with pytest.raises(ConfigError, match="tiny-da"):
        load_train_config("no-such-recipe")
    with pytest.raises(ConfigError, match="surprise: Extra inputs"):
        validate_config({**load_config_dict("tiny-da"), "surprise": 1})


def test_launch_command_runs_judgeforge_train_in_every_process() -> None:
    config = load_train_config("tiny-da")
    command = launch_command("tiny-da", ["training.max_steps=2"], config)
    config_file = command[command.index("--config_file") + 1]
    assert config_file.endswith("cpu-ddp.yaml")
    assert yaml.safe_load(Path(config_file).read_text())["distributed_type"] == "MULTI_GPU"
    assert command[command.index("--num_processes") + 1] == "2"
    assert "--cpu" not in command  # `accelerate launch --cpu` would start a single process
    assert command[-6:] == ["-m", "judgeforge", "train", "tiny-da", "--set", "training.max_steps=2"]
