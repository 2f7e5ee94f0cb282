"""LoRA inputs: an adapter is merged into its base with PEFT before the model merge sees it.

A model entry is a LoRA input when it is written ``BASE+ADAPTER`` (mergekit's syntax) or when its directory
holds an ``adapter_config.json`` whose ``base_model_name_or_path`` is a local directory. The merged model is
saved as safetensors into a scratch directory beside the output (removed after the merge). Unlike the merge
itself this step loads one full model into memory, which PEFT's ``merge_and_unload`` requires.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path

from judgeforge.errors import MergeError
from judgeforge.lazy import require
from judgeforge.merge.config import MergeConfig

_TOKENIZER_FILES = (
    "tokenizer_config.json",
    "special_tokens_map.json",
    "tokenizer.json",
    "tokenizer.model",
    "chat_template.jinja",
    "generation_config.json",
)


def lora_pair(config: MergeConfig, label: str, directory: Path) -> tuple[Path, Path] | None:
    """``(base, adapter)`` directories if the input is a LoRA adapter, else ``None``."""
    if "+" in label and not directory.is_dir():
        base, adapter = label.split("+", 1)
        return config.resolve_path(base), config.resolve_path(adapter)
    adapter_cfg = directory / "adapter_config.json"
    if not adapter_cfg.is_file():
        return None
    try:
        base_name: object = json.loads(adapter_cfg.read_text(encoding="utf-8")).get("base_model_name_or_path")
    except (OSError, ValueError) as exc:
        raise MergeError(f"{adapter_cfg}: unreadable ({exc})") from exc
    if not base_name:
        raise MergeError(f"{adapter_cfg}: no base_model_name_or_path; write the input as BASE+ADAPTER")
    base_dir = config.resolve_path(str(base_name))
    if not base_dir.is_dir():
        base_dir = (directory / str(base_name)).resolve()
    return base_dir, directory


def materialize_inputs(config: MergeConfig, directories: Sequence[Path], scratch: Path) -> list[Path]:
    """Replace every LoRA input by a merged full model written under ``scratch``."""
    out: list[Path] = []
    for i, (model, directory) in enumerate(zip(config.inputs, directories, strict=True)):
        pair = lora_pair(config, model.path, directory)
        if pair is None:
            out.append(directory)
            continue
        base, adapter = pair
        for p in (base, adapter):
            if not p.is_dir():
                raise MergeError(f"LoRA input {model.path}: directory not found: {p}")
        target = scratch / f"input-{i}"
        merge_lora(base, adapter, target)
        out.append(target)
    return out


def merge_lora(base: Path, adapter: Path, target: Path) -> Path:
    """Fold ``adapter`` into ``base`` with PEFT and save the result (safetensors) to ``target``."""
    torch = require("torch", "train")
    peft = require("peft", "train")
    transformers = require("transformers", "train")
    model = transformers.AutoModelForCausalLM.from_pretrained(str(base), dtype="auto")
    with torch.no_grad():
        merged = peft.PeftModel.from_pretrained(model, str(adapter)).merge_and_unload()
    target.mkdir(parents=True, exist_ok=True)
    merged.save_pretrained(str(target), safe_serialization=True)
    for name in _TOKENIZER_FILES:
        if (base / name).is_file():
            shutil.copy2(base / name, target / name)
    return target
