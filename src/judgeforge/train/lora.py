"""LoRA: the PEFT config of a recipe, and merging a trained adapter into its base as a full checkpoint."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from judgeforge.errors import ConfigError
from judgeforge.lazy import require
from judgeforge.train.config import LoraSpec


def peft_config(spec: LoraSpec | None) -> Any:
    """A ``peft.LoraConfig`` for causal-LM training, or None for a full fine-tune."""
    if spec is None:
        return None
    peft = require("peft", "train")
    return peft.LoraConfig(
        r=spec.r,
        lora_alpha=spec.alpha,
        lora_dropout=spec.dropout,
        target_modules=spec.target_modules,
        bias=spec.bias,
        task_type="CAUSAL_LM",
    )


def merge_lora_adapter(
    adapter_dir: str | Path,
    out_dir: str | Path,
    base_model: str | Path | None = None,
    *,
    dtype: str = "auto",
) -> Path:
    """Load ``base_model`` (default: the adapter's recorded base), apply the adapter, fold it into the weights
    and save a plain safetensors checkpoint + tokenizer to ``out_dir``; returns ``out_dir``."""
    transformers = require("transformers", "train")
    peft = require("peft", "train")
    adapter = Path(adapter_dir)
    base = str(base_model) if base_model is not None else _recorded_base(adapter)
    model = transformers.AutoModelForCausalLM.from_pretrained(base, dtype=dtype)
    merged = peft.PeftModel.from_pretrained(model, str(adapter)).merge_and_unload()
    out = Path(out_dir)
    merged.save_pretrained(out)
    tokenizer_source = adapter if (adapter / "tokenizer_config.json").is_file() else Path(base)
    transformers.AutoTokenizer.from_pretrained(str(tokenizer_source)).save_pretrained(out)
    return out


def _recorded_base(adapter: Path) -> str:
    try:
        config = json.loads((adapter / "adapter_config.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{adapter} is not a LoRA adapter folder (adapter_config.json): {exc}") from exc
    base = config.get("base_model_name_or_path")
    if not base:
        raise ConfigError(f"{adapter}/adapter_config.json names no base model; pass base_model")
    return str(base)
