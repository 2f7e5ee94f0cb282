"""Gradient (list) parameters are placed on the layer stacks of every layout transformers writes.

A task-arithmetic merge of a zero base and an all-ones model with ``weight: [0, 1]`` writes, bit for bit,
each tensor's gradient position: ``i / (n - 1)`` for layer ``i`` of an ``n``-layer stack and 0 outside the
stacks (mergekit 0.1.5's ``plan_slice``/``plan_module``). The stacks are written out in each case, not
derived by the code under test.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch

from judgeforge.errors import ConfigError, MergeError
from judgeforge.merge import merge_models, parse_config
from judgeforge.merge.io import read_tensors
from merge.checkpoints import Shapes, filled, gpt2, llama, llava, save_checkpoint, stacks

Layout = Callable[[], tuple[Shapes, dict[str, Any]]]

# id -> (builder, {stack prefix: layer count}); tensors outside the listed stacks sit at t = 0.
LAYOUTS: dict[str, tuple[Layout, dict[str, int]]] = {
    "llama": (lambda: llama(layers=3), {"model.layers.": 3}),
    "llava-text_config-tf4-names": (
        lambda: llava(3, 2, old_names=True),
        {"language_model.model.layers.": 3, "vision_tower.vision_model.encoder.layers.": 2},
    ),
    "llava-text_config-tf5-names": (
        lambda: llava(3, 2),
        {"model.language_model.layers.": 3, "model.vision_tower.encoder.layers.": 2},
    ),
    "gpt2-h-n_layer": (lambda: gpt2(layers=3), {"transformer.h.": 3}),
    "internvl-llm_config": (
        lambda: stacks(
            "InternVLChatModel",
            ("language_model.model.embed_tokens.weight", "vision_model.embeddings.patch_embedding.weight"),
            {"language_model.model.layers.": 3, "vision_model.encoder.layers.": 2},
            {"llm_config": {"num_hidden_layers": 3}, "vision_config": {"num_hidden_layers": 2}},
        ),
        {"language_model.model.layers.": 3, "vision_model.encoder.layers.": 2},
    ),
    "bert-layer-num_hidden_layers": (
        lambda: stacks(
            "BertModel",
            ("bert.embeddings.word_embeddings.weight",),
            {"bert.encoder.layer.": 3},
            {"num_hidden_layers": 3},
        ),
        {"bert.encoder.layer.": 3},
    ),
    "mpt-blocks-n_layers": (
        lambda: stacks(
            "MPTForCausalLM", ("transformer.wte.weight",), {"transformer.blocks.": 3}, {"n_layers": 3}
        ),
        {"transformer.blocks.": 3},
    ),
    "chatglm-num_layers": (
        lambda: stacks(
            "ChatGLMModel",
            ("transformer.embedding.weight",),
            {"transformer.encoder.layers.": 3},
            {"num_layers": 3},
        ),
        {"transformer.encoder.layers.": 3},
    ),
    "t5-block-not-sublayer": (
        lambda: stacks(
            "T5ForConditionalGeneration",
            ("shared.weight",),
            {"encoder.block.": 3, "decoder.block.": 2},
            {"num_layers": 3, "num_decoder_layers": 2},
            ("layer.0.SelfAttention.q.weight", "layer.1.DenseReluDense.wi.weight"),
        ),
        {"encoder.block.": 3, "decoder.block.": 2},
    ),
}


def expected_position(name: str, layer_stacks: dict[str, int]) -> float:
    for prefix, count in layer_stacks.items():
        for i in range(count):
            if name.startswith(f"{prefix}{i}."):
                return i / (count - 1)
    return 0.0


def write_pair(tmp_path: Path, layout: Layout) -> tuple[Path, Path]:
    shapes, config = layout()
    base = save_checkpoint(tmp_path / "base", filled(shapes, 0.0), config)
    ones = save_checkpoint(tmp_path / "ones", filled(shapes, 1.0), config)
    return base, ones


def gradient_config(base: Path, other: Path, weight: Any) -> Any:
    return parse_config(
        {
            "merge_method": "task_arithmetic",
            "base_model": str(base),
            "models": [{"model": str(other), "parameters": {"weight": weight}}],
        }
    )


@pytest.mark.parametrize("layout_id", list(LAYOUTS))
def test_a_gradient_follows_every_layer_stack(tmp_path: Path, layout_id: str) -> None:
    layout, layer_stacks = LAYOUTS[layout_id]
    base, ones = write_pair(tmp_path, layout)
    merge_models(gradient_config(base, ones, [0, 1]), tmp_path / "out")
    merged = read_tensors(tmp_path / "out")
    seen = set()
    for name, tensor in merged.items():
        t = expected_position(name, layer_stacks)
        seen.add(t)
        assert torch.equal(tensor, torch.full_like(tensor, t)), (name, tensor.flatten()[0].item(), t)
    assert {0.0, 0.5, 1.0} <= seen  # the middle layer of a 3-layer stack was really interpolated


def _drop_layer(layout: Layout, prefix: str) -> Layout:
    def build() -> tuple[Shapes, dict[str, Any]]:
        shapes, config = layout()
        return {n: s for n, s in shapes.items() if not n.startswith(prefix)}, config

    return build


UNPLACEABLE = {
    # the config declares 3 layers but the stack's names are not a known layout
    "unknown-stack-names": (
        lambda: stacks(
            "Custom", ("model.embed.weight",), {"model.decoder.stages.": 3}, {"num_hidden_layers": 3}
        ),
        "num_hidden_layers = 3",
    ),
    "nested-count-unknown-names": (
        lambda: stacks(
            "Custom", ("lm.embed.weight",), {"lm.trunk.": 3}, {"text_config": {"num_hidden_layers": 3}}
        ),
        "text_config.num_hidden_layers = 3",
    ),
    "llm_config-count-unknown-names": (
        lambda: stacks("Custom", ("lm.embed.weight",), {"lm.trunk.": 3}, {"llm_config": {"num_layers": 3}}),
        "llm_config.num_layers = 3",
    ),
    "gap-in-layer-indices": (_drop_layer(lambda: llama(layers=3), "model.layers.1."), "gaps"),
}


@pytest.mark.parametrize("case", list(UNPLACEABLE))
def test_a_gradient_that_cannot_be_placed_is_refused_before_writing(tmp_path: Path, case: str) -> None:
    layout, reason = UNPLACEABLE[case]
    base, ones = write_pair(tmp_path, layout)
    out = tmp_path / "out"
    with pytest.raises(ConfigError, match="cannot be placed") as caught:
        merge_models(gradient_config(base, ones, [0, 1]), out)
    assert reason in str(caught.value)
    assert not out.exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".out.")]
    # a scalar needs no placement: the same models merge
    merge_models(gradient_config(base, ones, 0.25), out)
    assert all(torch.equal(t, torch.full_like(t, 0.25)) for t in read_tensors(out).values())


@pytest.mark.parametrize("tied_first", [True, False], ids=["tied-first", "tied-second"])
def test_models_that_differ_in_tied_embeddings_are_refused(tmp_path: Path, tied_first: bool) -> None:
    shapes, config = llama(layers=2)
    untied = save_checkpoint(tmp_path / "untied", filled(shapes, 1.0), config)
    tied_shapes = {n: s for n, s in shapes.items() if n != "lm_head.weight"}
    tied = save_checkpoint(
        tmp_path / "tied", filled(tied_shapes, 2.0), {**config, "tie_word_embeddings": True}
    )
    pair = [tied, untied] if tied_first else [untied, tied]
    out = tmp_path / "out"
    config_ = parse_config(
        {"merge_method": "linear", "models": [{"model": str(p), "parameters": {"weight": 0.5}} for p in pair]}
    )
    with pytest.raises(MergeError, match="differ in tied embeddings") as caught:
        merge_models(config_, out)
    message = str(caught.value)
    assert f"{tied} stores no ['lm_head.weight']" in message and "tie_word_embeddings: true" in message
    assert not out.exists()
