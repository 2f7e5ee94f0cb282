"""Tiny checkpoints in the layouts transformers writes: Llama/Granite, LLaVA (nested configs), GPT-2, ...

Each builder returns ``{tensor name: shape}`` plus a ``config.json`` dict complete enough for transformers'
``AutoConfig`` (mergekit reads it), so the same directories serve our engine and, when it is installed,
mergekit as an oracle. :func:`save_checkpoint` writes one directory of real safetensors files.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import save_file

Shapes = dict[str, tuple[int, ...]]


def save_checkpoint(directory: Path, tensors: Mapping[str, torch.Tensor], config: Mapping[str, Any]) -> Path:
    """One model directory: ``model.safetensors`` and ``config.json``."""
    directory.mkdir(parents=True)
    save_file(dict(tensors), str(directory / "model.safetensors"), metadata={"format": "pt"})
    (directory / "config.json").write_text(json.dumps(config, indent=1))
    return directory


def random_tensors(shapes: Shapes, seed: int, dtype: torch.dtype = torch.float32) -> dict[str, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    return {name: (torch.randn(shape, generator=gen) * 0.02).to(dtype) for name, shape in shapes.items()}


def filled(shapes: Shapes, value: float | Callable[[str], float]) -> dict[str, torch.Tensor]:
    """Constant tensors: ``value`` or ``value(name)`` everywhere."""
    return {n: torch.full(s, value(n) if callable(value) else value) for n, s in shapes.items()}


def decoder_layers(prefix: str, layers: int, hidden: int, inter: int) -> Shapes:
    """A Llama-style decoder stack under ``prefix`` (``model.`` -> ``model.layers.N.``)."""
    shapes: Shapes = {}
    for i in range(layers):
        p = f"{prefix}layers.{i}."
        for proj in ("q_proj", "k_proj", "v_proj", "o_proj"):
            shapes[f"{p}self_attn.{proj}.weight"] = (hidden, hidden)
        shapes |= {
            f"{p}mlp.gate_proj.weight": (inter, hidden),
            f"{p}mlp.up_proj.weight": (inter, hidden),
            f"{p}mlp.down_proj.weight": (hidden, inter),
            f"{p}input_layernorm.weight": (hidden,),
            f"{p}post_attention_layernorm.weight": (hidden,),
        }
    return shapes


def llama(
    layers: int = 2, hidden: int = 32, inter: int = 48, vocab: int = 64
) -> tuple[Shapes, dict[str, Any]]:
    """mergekit's ``make_picollama`` shape (vocab 64, hidden 32, intermediate 48, 16 heads, 2 layers)."""
    shapes: Shapes = {"model.embed_tokens.weight": (vocab, hidden)}
    shapes |= decoder_layers("model.", layers, hidden, inter)
    shapes |= {"model.norm.weight": (hidden,), "lm_head.weight": (vocab, hidden)}
    return shapes, {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        **_text_config(layers, hidden, inter, vocab),
    }


def granite(layers: int = 2) -> tuple[Shapes, dict[str, Any]]:
    """mergekit's ``make_picogranite`` analogue: Llama tensor names, a Granite config."""
    shapes, config = llama(layers)
    config |= {
        "architectures": ["GraniteForCausalLM"],
        "model_type": "granite",
        "embedding_multiplier": 12.0,
        "logits_scaling": 8.0,
        "residual_multiplier": 0.22,
        "attention_multiplier": 0.0078125,
    }
    return shapes, config


def llava(
    text_layers: int = 2, vision_layers: int = 2, *, old_names: bool = False
) -> tuple[Shapes, dict[str, Any]]:
    """mergekit's ``make_picoLlaVa`` analogue: a Llama text model and a CLIP vision tower.

    ``old_names`` uses the transformers 4 checkpoint names (``language_model.model.layers.N.``), else the
    transformers 5 ones (``model.language_model.layers.N.``).
    """
    hidden, inter, vocab, v_hidden, v_inter = 32, 48, 64, 16, 24
    text, vision, projector = (
        ("language_model.model.", "vision_tower.vision_model.", "multi_modal_projector.")
        if old_names
        else ("model.language_model.", "model.vision_tower.", "model.multi_modal_projector.")
    )
    head = "language_model.lm_head.weight" if old_names else "lm_head.weight"
    shapes: Shapes = {
        f"{vision}embeddings.class_embedding": (v_hidden,),
        f"{vision}embeddings.patch_embedding.weight": (v_hidden, 3, 4, 4),
        f"{vision}embeddings.position_embedding.weight": (5, v_hidden),
        f"{vision}pre_layrnorm.weight": (v_hidden,),
        f"{vision}pre_layrnorm.bias": (v_hidden,),
        f"{vision}post_layernorm.weight": (v_hidden,),
        f"{vision}post_layernorm.bias": (v_hidden,),
    }
    for i in range(vision_layers):
        p = f"{vision}encoder.layers.{i}."
        for proj in ("q_proj", "k_proj", "v_proj", "out_proj"):
            shapes |= {
                f"{p}self_attn.{proj}.weight": (v_hidden, v_hidden),
                f"{p}self_attn.{proj}.bias": (v_hidden,),
            }
        for norm in ("layer_norm1", "layer_norm2"):
            shapes |= {f"{p}{norm}.weight": (v_hidden,), f"{p}{norm}.bias": (v_hidden,)}
        shapes |= {
            f"{p}mlp.fc1.weight": (v_inter, v_hidden),
            f"{p}mlp.fc1.bias": (v_inter,),
            f"{p}mlp.fc2.weight": (v_hidden, v_inter),
            f"{p}mlp.fc2.bias": (v_hidden,),
        }
    shapes |= {
        f"{projector}linear_1.weight": (hidden, v_hidden),
        f"{projector}linear_1.bias": (hidden,),
        f"{projector}linear_2.weight": (hidden, hidden),
        f"{projector}linear_2.bias": (hidden,),
        f"{text}embed_tokens.weight": (vocab, hidden),
    }
    shapes |= decoder_layers(text, text_layers, hidden, inter)
    shapes |= {f"{text}norm.weight": (hidden,), head: (vocab, hidden)}
    config = {
        "architectures": ["LlavaForConditionalGeneration"],
        "model_type": "llava",
        "image_token_index": 32,
        "image_seq_length": 4,
        "projector_hidden_act": "gelu",
        "vision_feature_layer": -2,
        "vision_feature_select_strategy": "default",
        "tie_word_embeddings": False,
        "text_config": {"model_type": "llama", **_text_config(text_layers, hidden, inter, vocab)},
        "vision_config": {
            "model_type": "clip_vision_model",
            "hidden_size": v_hidden,
            "intermediate_size": v_inter,
            "num_attention_heads": 2,
            "num_hidden_layers": vision_layers,
            "image_size": 8,
            "patch_size": 4,
            "projection_dim": v_hidden,
        },
    }
    return shapes, config


def gpt2(layers: int = 3, hidden: int = 8, vocab: int = 16) -> tuple[Shapes, dict[str, Any]]:
    """GPT-2: ``transformer.h.N.``, ``n_layer``, and no ``lm_head.weight`` (tied to ``wte``)."""
    shapes: Shapes = {"transformer.wte.weight": (vocab, hidden), "transformer.wpe.weight": (16, hidden)}
    for i in range(layers):
        p = f"transformer.h.{i}."
        shapes |= {
            f"{p}ln_1.weight": (hidden,),
            f"{p}ln_1.bias": (hidden,),
            f"{p}attn.c_attn.weight": (hidden, 3 * hidden),
            f"{p}attn.c_attn.bias": (3 * hidden,),
            f"{p}attn.c_proj.weight": (hidden, hidden),
            f"{p}attn.c_proj.bias": (hidden,),
            f"{p}ln_2.weight": (hidden,),
            f"{p}ln_2.bias": (hidden,),
            f"{p}mlp.c_fc.weight": (hidden, 4 * hidden),
            f"{p}mlp.c_fc.bias": (4 * hidden,),
            f"{p}mlp.c_proj.weight": (4 * hidden, hidden),
            f"{p}mlp.c_proj.bias": (hidden,),
        }
    shapes |= {"transformer.ln_f.weight": (hidden,), "transformer.ln_f.bias": (hidden,)}
    config = {
        "architectures": ["GPT2LMHeadModel"],
        "model_type": "gpt2",
        "n_layer": layers,
        "n_embd": hidden,
        "n_head": 2,
        "n_positions": 16,
        "vocab_size": vocab,
        "tie_word_embeddings": True,
    }
    return shapes, config


def stacks(
    architecture: str,
    loose: tuple[str, ...],
    layers: Mapping[str, int],
    config: Mapping[str, Any],
    suffixes: tuple[str, ...] = ("attention.weight", "norm.weight"),
) -> tuple[Shapes, dict[str, Any]]:
    """A minimal model of any layout: ``loose`` tensors plus the ``suffixes`` tensors in every layer.

    ``layers`` maps a stack prefix such as ``"bert.encoder.layer."`` to its layer count.
    """
    shapes: Shapes = {name: (4, 2) for name in loose}
    for prefix, count in layers.items():
        for i in range(count):
            shapes |= {f"{prefix}{i}.{suffix}": (2, 2) for suffix in suffixes}
    return shapes, {"architectures": [architecture], **config}


def _text_config(layers: int, hidden: int, inter: int, vocab: int) -> dict[str, Any]:
    return {
        "vocab_size": vocab,
        "hidden_size": hidden,
        "intermediate_size": inter,
        "num_attention_heads": 16,
        "num_key_value_heads": 16,
        "num_hidden_layers": layers,
        "max_position_embeddings": 64,
        "rms_norm_eps": 1e-6,
        "tie_word_embeddings": False,
        "bos_token_id": 1,
        "eos_token_id": 2,
    }
