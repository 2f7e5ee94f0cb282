"""Real training on a tiny local model: DA, PR and joint runs, the loss mask, the judge's prompt, LoRA merge."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from judgeforge.data.collections import FeedbackRow, PreferenceRow
from judgeforge.prompts import PromptRenderer
from judgeforge.train.config import load_train_config
from judgeforge.train.formatting import format_row, prompt_text, to_conversation, training_text

pytest.importorskip("trl")

Overrides = Callable[[str, Path], list[str]]


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.mark.parametrize("recipe", ["tiny-da", "tiny-pr", "tiny-joint"])
def test_tiny_model_trains_and_loads_back(
    toy_world: Path, overrides: Overrides, tmp_path: Path, recipe: str
) -> None:
    import transformers

    from judgeforge.train.runner import train

    out = tmp_path / "run"
    config = load_train_config(recipe, [*overrides(recipe, out), "training.max_steps=2"])
    result = train(config)
    assert result.global_step == 2 and result.world_size == 1
    assert result.final_loss is not None and math.isfinite(result.final_loss)
    losses = [line["loss"] for line in read_jsonl(out / "train_log.jsonl") if "loss" in line]
    assert len(losses) == 2 and all(math.isfinite(loss) and loss > 0 for loss in losses)
    assert (out / "model.safetensors").is_file() and (out / "tokenizer.json").is_file()
    assert load_train_config(out / "judgeforge_train.yaml") == config
    summary = json.loads((out / "train_summary.json").read_text())
    rows = {"tiny-da": {"feedback": 10}, "tiny-pr": {"preference": 20}}
    assert summary["data"]["rows"] == rows.get(recipe, {"feedback": 10, "preference": 20})
    model = transformers.AutoModelForCausalLM.from_pretrained(out)
    tokenizer = transformers.AutoTokenizer.from_pretrained(out)
    base = transformers.AutoModelForCausalLM.from_pretrained(toy_world / "tiny-model")
    changed = [
        name
        for name, tensor in model.state_dict().items()
        if not tensor.equal(base.state_dict()[name])  # training moved the weights
    ]
    assert (
        changed
        and tokenizer.chat_template
        == transformers.AutoTokenizer.from_pretrained(toy_world / "tiny-model").chat_template
    )


@pytest.fixture(scope="module")
def joint_trainer(overrides: Overrides, tmp_path_factory: pytest.TempPathFactory) -> Any:
    from judgeforge.train.runner import build_trainer

    out = tmp_path_factory.mktemp("mask")
    trainer, _ = build_trainer(load_train_config("tiny-joint", overrides("tiny-joint", out)))
    return trainer


def test_loss_mask_covers_only_the_assistant_turn_and_eos(joint_trainer: Any, toy_world: Path) -> None:
    """Labels from the real tokenization + collator: -100 on the prompt and padding, ids on output + eos."""
    tokenizer = joint_trainer.processing_class
    dataset = joint_trainer.train_dataset
    batch = joint_trainer.data_collator([dataset[i] for i in range(4)])
    prompts = {
        prompt_text(tokenizer, to_conversation(example)): example for example in _all_examples(toy_world)
    }
    for row in range(4):
        ids, labels = batch["input_ids"][row], batch["labels"][row]
        real = batch["attention_mask"][row].bool()
        trained = labels != -100
        assert trained.any() and not (trained & ~real).any()  # padding is never trained
        assert (labels[trained] == ids[trained]).all()
        first = int(trained.nonzero()[0])
        assert not trained[:first].any() and trained[first : int(real.sum())].all()
        prompt = tokenizer.decode(ids[:first])
        example = prompts[prompt]  # the masked part is exactly a judge prompt
        assert tokenizer.decode(ids[trained]) == example.output + tokenizer.eos_token
        assert int(ids[trained][-1]) == tokenizer.eos_token_id


def test_training_text_is_the_judges_tokenizer_chat_input(toy_world: Path) -> None:
    import transformers

    tokenizer = transformers.AutoTokenizer.from_pretrained(toy_world / "tiny-model")
    renderer = PromptRenderer("prometheus2", "tokenizer", tokenizer)
    fc = read_jsonl(toy_world / "feedback.jsonl")[3]
    pc = read_jsonl(toy_world / "preference.jsonl")[5]
    cases = [
        (
            format_row(fc, "feedback", renderer.template_set),
            renderer.direct(FeedbackRow.from_row(fc, 0).item()),
        ),
        (
            format_row(pc, "preference", renderer.template_set),
            renderer.pair(PreferenceRow.from_row(pc, 0).item()),
        ),
    ]
    for example, judge_prompt in cases:
        assert example.user == judge_prompt.user
        conversation = to_conversation(example)
        assert prompt_text(tokenizer, conversation) == judge_prompt.text
        assert judge_prompt.text.startswith("<s>[INST] " + judge_prompt.system + "\n\n###Task Description")
        assert training_text(tokenizer, conversation) == judge_prompt.text + example.output + "</s>"


def test_lora_adapter_is_merged_into_a_full_checkpoint(
    toy_world: Path, overrides: Overrides, tmp_path: Path
) -> None:
    import transformers

    from judgeforge.train.runner import train

    out = tmp_path / "lora"
    config = load_train_config("tiny-lora-da", [*overrides("tiny-lora-da", out), "training.max_steps=2"])
    result = train(config)
    assert (out / "adapter_model.safetensors").is_file() and result.merged_dir == out / "merged"
    merged = transformers.AutoModelForCausalLM.from_pretrained(out / "merged")
    base = transformers.AutoModelForCausalLM.from_pretrained(toy_world / "tiny-model")
    assert set(merged.state_dict()) == set(base.state_dict())  # plain weights, no lora_ keys
    name = "model.layers.0.self_attn.q_proj.weight"
    assert not merged.state_dict()[name].equal(base.state_dict()[name])
    assert (out / "merged" / "tokenizer.json").is_file()
    from judgeforge.cli.main import main

    assert main(["train", "--export-merged", str(out), str(tmp_path / "again")]) == 0  # base recorded
    again = transformers.AutoModelForCausalLM.from_pretrained(tmp_path / "again")
    assert again.state_dict()[name].equal(merged.state_dict()[name])


def _all_examples(world: Path) -> list[Any]:
    from judgeforge.prompts import get_template_set

    tset = get_template_set("prometheus2")
    return [format_row(row, "feedback", tset) for row in read_jsonl(world / "feedback.jsonl")] + [
        format_row(row, "preference", tset) for row in read_jsonl(world / "preference.jsonl")
    ]
