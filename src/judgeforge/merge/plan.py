"""Merge planning: every check that can fail is done here, before a single output byte is written.

A :class:`MergePlan` lists the output tensors in traversal order (sorted by name, as mergekit visits them,
which fixes the order in which mergekit's sequential random stream draws) with the parameters resolved
per tensor (:mod:`judgeforge.merge.params`; gradients are placed on the layer stacks by
:mod:`judgeforge.merge.layers`), and the dtypes (safetensors codes, :mod:`judgeforge.merge.dtypes`): the
compute dtype once, each output's dtype. Planning imports no torch.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from judgeforge.errors import MergeError
from judgeforge.merge.config import MergeConfig
from judgeforge.merge.dtypes import DTYPES, code_for_name
from judgeforge.merge.io import ModelReader, OutputTensor
from judgeforge.merge.layers import LayerMap, layer_map
from judgeforge.merge.methods import MergeMethod
from judgeforge.merge.params import resolve_params


@dataclass(frozen=True)
class TensorJob:
    """One output tensor: its inputs' resolved parameters and its output dtype/shape."""

    output: OutputTensor
    params: tuple[Mapping[str, Any], ...]
    shared: Mapping[str, Any]
    floating: bool


@dataclass
class MergePlan:
    """A validated merge: readers for every input (merge order), the method and the tensor jobs."""

    config: MergeConfig
    method: MergeMethod
    readers: list[ModelReader]
    base_index: int | None
    jobs: list[TensorJob]
    donor: Path  # config/tokenizer files are copied from here (the base model, else the first model)
    compute_dtype: str | None  # the config's ``dtype`` as a safetensors code; None: each tensor's own dtype


def model_config(directory: Path) -> dict[str, Any]:
    """A model's ``config.json`` (empty when it has none)."""
    cfg_path = directory / "config.json"
    if not cfg_path.is_file():
        return {}
    try:
        cfg = json.loads(cfg_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise MergeError(f"{cfg_path}: unreadable ({exc})") from exc
    if not isinstance(cfg, dict):
        raise MergeError(f"{cfg_path}: not a JSON object")
    return cfg


def _head_names(names: set[str]) -> bool:
    """Whether every name is an output head that a model with tied embeddings does not store."""
    heads = ("lm_head.weight", "embed_out.weight", "output.weight")
    return bool(names) and all(n in heads or n.endswith(".lm_head.weight") for n in names)


def _tie_flag(cfg: Mapping[str, Any]) -> str:
    for where, sub in (("", cfg), ("text_config.", cfg.get("text_config") or {})):
        if isinstance(sub, Mapping) and "tie_word_embeddings" in sub:
            return f"{where}tie_word_embeddings: {str(sub['tie_word_embeddings']).lower()}"
    return "no tie_word_embeddings entry"


def _name_mismatch(label: str, first: str, missing: set[str], extra: set[str], cfgs: Sequence[Any]) -> str:
    if (_head_names(missing) and not extra) or (_head_names(extra) and not missing):
        tied, untied = (label, first) if missing else (first, label)
        tied_cfg = cfgs[1] if missing else cfgs[0]
        return (
            f"the models differ in tied embeddings: {tied} stores no {sorted(missing | extra)} (its output "
            f"head is tied to the input embeddings; {_tie_flag(tied_cfg)}) while {untied} stores its own. "
            "Untie the first (save the head as a copy of the input embeddings) or merge models that agree"
        )
    return (
        f"{label}: tensor names differ from {first}: missing {sorted(missing)[:5]}, "
        f"unexpected {sorted(extra)[:5]}"
    )


def check_inputs(
    readers: Sequence[ModelReader],
    labels: Sequence[str],
    dtype_set: bool,
    configs: Sequence[Mapping[str, Any]] | None = None,
) -> list[str]:
    """Same architectures, tensor names, shapes (and dtypes unless ``dtype`` is set); sorted names."""
    cfgs = list(configs) if configs is not None else [model_config(r.directory) for r in readers]
    archs = [c.get("architectures") for c in cfgs]
    if any(a != archs[0] for a in archs):
        raise MergeError(f"architecture mismatch: {dict(zip(labels, archs, strict=True))}")
    names = set(readers[0].tensors)
    for reader, label, cfg in zip(readers, labels, cfgs, strict=True):
        missing, extra = names - set(reader.tensors), set(reader.tensors) - names
        if missing or extra:
            raise MergeError(_name_mismatch(label, labels[0], missing, extra, [cfgs[0], cfg]))
    for name in sorted(names):  # the first mismatch in name order, whatever the hash seed
        infos = [r.tensors[name] for r in readers]
        if any(i.shape != infos[0].shape for i in infos):
            raise MergeError(f"shape mismatch for {name}: {[i.shape for i in infos]}")
        if not dtype_set and any(i.dtype != infos[0].dtype for i in infos):
            raise MergeError(
                f"dtype mismatch for {name}: {[i.dtype for i in infos]} (set 'dtype' to convert)"
            )
        if len({DTYPES[i.dtype].floating for i in infos}) > 1:  # 'dtype' converts floats, not integers
            stored = dict(zip(labels, (i.dtype for i in infos), strict=True))
            raise MergeError(f"{name} is an integer tensor in some models and not in others: {stored}")
    return sorted(names)


def build_plan(config: MergeConfig, method: MergeMethod, directories: Sequence[Path]) -> MergePlan:
    """Open the inputs (headers only), validate everything and resolve per-tensor parameters.

    ``method`` is the config's, as :func:`judgeforge.merge.params.check_method` returned it.
    """
    labels = [m.path for m in config.inputs]
    readers = [ModelReader(d) for d in directories]
    configs = [model_config(d) for d in directories]
    names = check_inputs(readers, labels, config.dtype is not None, configs)
    base_index = labels.index(config.base_model) if config.base_model is not None else None
    layers: LayerMap = layer_map(names, configs[0])
    compute = None if config.dtype is None else code_for_name(config.dtype)
    out_override = None if config.out_dtype is None else code_for_name(config.out_dtype)
    jobs: list[TensorJob] = []
    for name in names:
        info = readers[0].tensors[name]
        source = info.dtype
        floating = DTYPES[source].floating
        shared, per_input = resolve_params(config, method, name, layers.place(name), base_index)
        out_dtype = (out_override or compute or source) if floating else source
        jobs.append(TensorJob(OutputTensor(name, out_dtype, info.shape), tuple(per_input), shared, floating))
    donor = directories[base_index if base_index is not None else 0]
    return MergePlan(config, method, readers, base_index, jobs, donor, compute)
