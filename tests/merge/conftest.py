"""Tiny random Mistral-shaped checkpoints, one directory per model, written as real safetensors files."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

HIDDEN, INTER, VOCAB, LAYERS = 16, 24, 32, 2


def tensor_shapes() -> dict[str, tuple[int, ...]]:
    shapes: dict[str, tuple[int, ...]] = {
        "model.embed_tokens.weight": (VOCAB, HIDDEN),
        "model.norm.weight": (HIDDEN,),
        "lm_head.weight": (VOCAB, HIDDEN),
    }
    for i in range(LAYERS):
        p = f"model.layers.{i}."
        shapes |= {
            p + "self_attn.q_proj.weight": (HIDDEN, HIDDEN),
            p + "self_attn.k_proj.weight": (HIDDEN // 2, HIDDEN),
            p + "mlp.up_proj.weight": (INTER, HIDDEN),
            p + "mlp.down_proj.weight": (HIDDEN, INTER),
            p + "input_layernorm.weight": (HIDDEN,),
        }
    return shapes


def write_model(
    directory: Path,
    seed: int,
    *,
    dtype: torch.dtype = torch.float32,
    sharded: bool = False,
    arch: str = "MistralForCausalLM",
    drop: str | None = None,
    reshape: str | None = None,
) -> Path:
    """Write a random checkpoint; ``drop``/``reshape`` name a tensor to omit / give a wrong shape."""
    gen = torch.Generator().manual_seed(seed)
    tensors = {}
    for name, shape in tensor_shapes().items():
        if name == drop:
            continue
        if name == reshape:
            shape = (shape[0] + 1, *shape[1:])
        tensors[name] = (torch.randn(shape, generator=gen) * 0.02).to(dtype)
    directory.mkdir(parents=True)
    if sharded:
        names = sorted(tensors)
        halves = {
            "model-00001-of-00002.safetensors": names[::2],
            "model-00002-of-00002.safetensors": names[1::2],
        }
        weight_map = {}
        for file, part in halves.items():
            save_file({n: tensors[n] for n in part}, str(directory / file), metadata={"format": "pt"})
            weight_map |= {n: file for n in part}
        index = {"metadata": {}, "weight_map": weight_map}
        (directory / "model.safetensors.index.json").write_text(json.dumps(index))
    else:
        save_file(tensors, str(directory / "model.safetensors"), metadata={"format": "pt"})
    config = {"architectures": [arch], "model_type": "mistral", "num_hidden_layers": LAYERS}
    (directory / "config.json").write_text(json.dumps(config))
    (directory / "tokenizer_config.json").write_text(json.dumps({"chat_template": f"tmpl-{seed}"}))
    return directory


@pytest.fixture
def models(tmp_path: Path) -> dict[str, Path]:
    """Three fp32 models (base, a, b), b sharded, each in its own directory."""
    return {
        "base": write_model(tmp_path / "base", 0),
        "a": write_model(tmp_path / "a", 1),
        "b": write_model(tmp_path / "b", 2, sharded=True),
    }


@pytest.fixture
def make_model(tmp_path: Path) -> Callable[..., Path]:
    def make(name: str, seed: int, **kwargs: object) -> Path:
        return write_model(tmp_path / name, seed, **kwargs)  # type: ignore[arg-type]

    return make
