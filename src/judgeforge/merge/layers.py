"""Where each tensor sits in its model's layer stacks, so that gradient (list) parameters can be placed.

mergekit 0.1.5 interpolates a gradient at ``t = i / (n - 1)`` for layer ``i`` of a module of ``n`` layers,
at ``t = 1`` when the module has a single layer, and at ``t = 0`` for the tensors around the stack
(embeddings, final norm, head): ``mergekit/plan.py`` (``MergePlanner.plan_slice`` and ``plan_module``).
Models with several stacks (a LLaVA-style model has a language-model stack and a vision-tower stack) get one
``t`` per stack, as mergekit's modules do (``mergekit/architecture/auto.py`` infers one module per name
prefix in front of a layer index, with ``max(index) + 1`` layers).

The stacks are read from the tensor names, under any prefix: ``layers.N.`` (Llama, Mistral, LLaVA's
``language_model.model.layers.N.`` or ``model.language_model.layers.N.``, CLIP and Whisper encoders),
``h.N.`` (GPT-2, Falcon, BLOOM), ``blocks.N.`` (MPT, Qwen2-VL's vision tower), ``block.N.`` (T5) and
``layer.N.`` (BERT); the outermost (leftmost) match names the stack, so an expert or sub-layer index inside
a layer is not mistaken for one. The layer counts that ``config.json`` declares (``num_hidden_layers``,
``n_layer``, ``num_layers``, ``n_layers``, at the top level or in a nested ``text_config``,
``llm_config``, ``vision_config``, ...) are checked against those stacks: a declared count that no stack
has means layer tensors were not recognised, so the tensors outside the stacks cannot be told apart from
them and a gradient cannot be placed on any of those; a stack whose indices have gaps cannot be placed
either. Those cases are errors when a gradient meets them, never a silent ``t = 0``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

STACK_RE = re.compile(r"(?:^|\.)(?:layers|layer|h|blocks|block)\.(\d+)\.")
COUNT_KEYS = ("num_hidden_layers", "n_layer", "num_layers", "n_layers")
_MAX_DEPTH = 3


@dataclass(frozen=True)
class Placement:
    """A tensor's gradient position ``t`` in ``[0, 1]``, or ``None`` and why it cannot be placed."""

    t: float | None
    reason: str = ""


@dataclass(frozen=True)
class LayerMap:
    """The layer stacks of a model (name prefix -> layer count) and the positions they give."""

    stacks: Mapping[str, int] = field(default_factory=dict)
    broken: Mapping[str, str] = field(default_factory=dict)  # stack prefix -> why it cannot be placed
    loose_problem: str = ""  # why tensors outside the stacks cannot be placed ("" when they can)

    def place(self, name: str) -> Placement:
        """Where ``name`` sits: its layer's fraction of its stack, or 0 outside every stack."""
        found = stack_of(name)
        if found is None:
            return Placement(None, self.loose_problem) if self.loose_problem else Placement(0.0)
        prefix, index = found
        if prefix in self.broken:
            return Placement(None, self.broken[prefix])
        n = self.stacks[prefix]
        return Placement(index / (n - 1) if n > 1 else 1.0)


def stack_of(name: str) -> tuple[str, int] | None:
    """``(stack prefix, layer index)`` of a tensor name, or ``None`` outside every layer stack."""
    match = STACK_RE.search(name)
    if match is None:
        return None
    return name[: match.start(1)], int(match.group(1))


def declared_counts(config: Mapping[str, Any], path: str = "", depth: int = 0) -> Iterator[tuple[str, int]]:
    """``(key path, count)`` for every layer count in a ``config.json`` and its nested ``*_config``s."""
    for key, value in config.items():
        where = f"{path}{key}"
        if key in COUNT_KEYS and isinstance(value, int) and not isinstance(value, bool) and value > 0:
            yield where, value
        elif isinstance(value, Mapping) and str(key).endswith("_config") and depth < _MAX_DEPTH:
            yield from declared_counts(value, f"{where}.", depth + 1)


def layer_map(names: Iterable[str], config: Mapping[str, Any] | None) -> LayerMap:
    """The stacks of a model from its tensor names, checked against the counts its config declares."""
    indices: dict[str, set[int]] = {}
    for name in names:
        found = stack_of(name)
        if found is not None:
            indices.setdefault(found[0], set()).add(found[1])
    stacks = {prefix: max(seen) + 1 for prefix, seen in indices.items()}
    broken = {
        prefix: f"the layer indices under '{prefix}' have gaps ({_listing(seen)} of {stacks[prefix]})"
        for prefix, seen in indices.items()
        if len(seen) != stacks[prefix]
    }
    counts = set(stacks.values())
    loose_problem = ""
    for where, n in declared_counts(config or {}):
        if n not in counts:
            listed = ", ".join(f"'{p}N.' ({c} layers)" for p, c in sorted(stacks.items())) or "none"
            loose_problem = (
                f"config.json declares {where} = {n} but no layer stack of the tensor names has {n} "
                f"layers (stacks found: {listed}), so the layer tensors are not recognised"
            )
            break
    return LayerMap(stacks, broken, loose_problem)


def _listing(seen: set[int]) -> str:
    ordered = sorted(seen)
    shown = ", ".join(str(i) for i in ordered[:8])
    return shown + (", ..." if len(ordered) > 8 else "")
