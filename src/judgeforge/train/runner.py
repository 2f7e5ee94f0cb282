"""Run a training config on TRL's SFTTrainer and write the checkpoint, config, log and summary."""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from judgeforge.lazy import require
from judgeforge.train.config import TrainConfig, dump_config
from judgeforge.train.datasets import DataSummary, build_train_dataset
from judgeforge.train.lora import merge_lora_adapter, peft_config

CONFIG_FILE = "judgeforge_train.yaml"
LOG_FILE = "train_log.jsonl"
SUMMARY_FILE = "train_summary.json"
RANKS_DIR = "ranks"
MERGED_DIR = "merged"

# Our defaults where TRL's differ from what a judge recipe needs; a config's training section overrides them.
_SFT_DEFAULTS: dict[str, Any] = {
    "report_to": "none",
    "completion_only_loss": True,  # loss on the assistant turn only (prompt-completion data)
}


@dataclass(frozen=True)
class TrainResult:
    """What one process saw: steps, last logged loss, its rank, and where the outputs are."""

    output_dir: Path
    global_step: int
    final_loss: float | None
    rank: int
    world_size: int
    merged_dir: Path | None = None


def sft_kwargs(config: TrainConfig) -> dict[str, Any]:
    """Keyword arguments of ``trl.SFTConfig``: our defaults, the config's training section, model init."""
    kwargs = {**_SFT_DEFAULTS, **config.training}
    model = config.model
    init = {"dtype": model.dtype, "trust_remote_code": model.trust_remote_code}
    if model.attn_implementation is not None:
        init["attn_implementation"] = model.attn_implementation
    if model.revision is not None:
        init["revision"] = model.revision
    kwargs["model_init_kwargs"] = {**init, **(kwargs.get("model_init_kwargs") or {})}
    return kwargs


def build_trainer(config: TrainConfig) -> tuple[Any, DataSummary]:
    """The ``trl.SFTTrainer`` of a config (model loaded, dataset tokenized and masked) and the data summary."""
    trl = require("trl", "train")
    tokenizer = load_tokenizer(config)
    dataset, summary = build_train_dataset(config)
    trainer = trl.SFTTrainer(
        model=config.model.name_or_path,
        args=trl.SFTConfig(**sft_kwargs(config)),
        train_dataset=dataset,
        processing_class=tokenizer,
        peft_config=peft_config(config.lora),
        callbacks=[jsonl_log_callback(config.output_dir / LOG_FILE)],
    )
    return trainer, summary


def train(config: TrainConfig) -> TrainResult:
    """Train (every process of a launch calls this), save on the main process, end distributed cleanly."""
    trainer, summary = build_trainer(config)
    args, tokenizer, out = trainer.args, trainer.processing_class, config.output_dir
    trainer.train()
    trainer.save_model(str(out))
    main = trainer.is_world_process_zero()
    final_loss = _last_loss(trainer.state.log_history)
    if main:
        tokenizer.save_pretrained(str(out))
        (out / CONFIG_FILE).write_text(dump_config(config), encoding="utf-8")
    rank, world = args.process_index, args.world_size
    _write_rank_marker(out, rank, world, trainer.state.global_step)
    merged = None
    if config.lora is not None and config.lora.merge:
        _barrier()
        merged = out / MERGED_DIR
        if main:
            merge_lora_adapter(out, merged, config.model.name_or_path, dtype=config.model.dtype)
    if main:
        _write_summary(out, config, summary, trainer.state.global_step, final_loss, world, merged)
    _finish_distributed()
    return TrainResult(out, trainer.state.global_step, final_loss, rank, world, merged)


def load_tokenizer(config: TrainConfig) -> Any:
    transformers = require("transformers", "train")
    model = config.model
    return transformers.AutoTokenizer.from_pretrained(
        model.name_or_path, revision=model.revision, trust_remote_code=model.trust_remote_code
    )


def jsonl_log_callback(path: Path) -> Any:
    """A TrainerCallback appending every log event (loss, learning rate, ...) as one JSON line (main process)."""
    transformers = require("transformers", "train")

    class JsonlLogCallback(transformers.TrainerCallback):  # type: ignore[misc,name-defined]
        def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            if state.is_world_process_zero:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text("", encoding="utf-8")

        def on_log(self, args: Any, state: Any, control: Any, logs: Any = None, **kwargs: Any) -> None:
            if not state.is_world_process_zero or not logs:
                return
            line = {"step": state.global_step, "epoch": state.epoch, **logs}
            with path.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(line) + "\n")

    return JsonlLogCallback()


def _last_loss(history: list[dict[str, Any]]) -> float | None:
    losses = [entry["loss"] for entry in history if "loss" in entry]
    if losses:
        return float(losses[-1])
    totals = [entry["train_loss"] for entry in history if "train_loss" in entry]
    return float(totals[-1]) if totals else None


def _write_rank_marker(out: Path, rank: int, world: int, steps: int) -> None:
    """One file per process, so a launch can be checked for every rank having finished."""
    folder = out / RANKS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    marker = {"rank": rank, "world_size": world, "global_step": steps, "pid": os.getpid()}
    (folder / f"rank-{rank}.json").write_text(json.dumps(marker) + "\n", encoding="utf-8")


def _write_summary(
    out: Path,
    config: TrainConfig,
    summary: DataSummary,
    steps: int,
    final_loss: float | None,
    world: int,
    merged: Path | None,
) -> None:
    finite = final_loss is not None and math.isfinite(final_loss)
    data = {
        "name": config.name,
        "mode": config.mode,
        "base_model": config.model.name_or_path,
        "lora": config.lora is not None,
        "global_step": steps,
        "final_loss": final_loss if finite else None,
        "world_size": world,
        "data": summary.as_dict(),
        "merged_dir": str(merged) if merged else None,
    }
    (out / SUMMARY_FILE).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def _barrier() -> None:
    torch = require("torch", "train")
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        torch.distributed.barrier()


def _finish_distributed() -> None:
    """Wait for every rank, then tear the process group down so launchers see a clean exit."""
    torch = require("torch", "train")
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        torch.distributed.barrier()
        torch.distributed.destroy_process_group()
