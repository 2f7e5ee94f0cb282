"""Merge planning: every check that can fail is done here, before a single output byte is written.

A :class:`MergePlan` lists the output tensors in traversal order (sorted by name, as mergekit visits them,
which fixes the order in which a seeded random method draws) with the parameters resolved per tensor.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from judgeforge.errors import ConfigError, MergeError
from judgeforge.merge.config import MergeConfig, evaluate_setting, layer_fraction
from judgeforge.merge.io import ST_DTYPES, ModelReader, OutputTensor
from judgeforge.merge.methods import METHODS, MergeMethod, ParamSpec
from judgeforge.merge.sparsify import TIEBREAKS


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


def check_method(config: MergeConfig) -> MergeMethod:
    """The method of a config, with its base/input-count contract checked."""
    method = METHODS.get(config.merge_method)
    n = len(config.inputs)
    if method.needs_base and config.base_model is None:
        raise ConfigError(f"merge method '{method.name}' needs a base_model")
    if n < method.min_inputs or (method.max_inputs is not None and n > method.max_inputs):
        raise ConfigError(
            f"merge method '{method.name}' takes {method.min_inputs}..{method.max_inputs} models, got {n}"
        )
    allowed = set(method.params)
    for where, params in [("global", config.parameters), *((m.path, m.parameters) for m in config.models)]:
        unknown = set(params) - allowed
        if unknown:
            raise ConfigError(f"{where}: unknown parameters {sorted(unknown)} for '{method.name}'")
    return method


def _coerce(name: str, spec: ParamSpec, value: Any, where: str) -> Any:
    if value is None:
        if spec.required:
            raise ConfigError(f"{where}: parameter '{name}' is required")
        return spec.default
    try:
        if spec.kind is bool:
            if not isinstance(value, bool):
                raise ValueError("expected true/false")
            return value
        if spec.kind is float:
            if isinstance(value, bool):
                raise ValueError("expected a number")
            return float(value)
        return str(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: parameter '{name}' = {value!r}: {exc}") from exc


def resolve_params(
    config: MergeConfig, method: MergeMethod, tensor: str, t: float, base_index: int | None
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Shared and per-input parameters for one tensor (per-model settings win over global ones)."""
    shared: dict[str, Any] = {}
    per_input: list[dict[str, Any]] = [{} for _ in config.inputs]
    for name, spec in method.params.items():
        if spec.scope == "shared":
            value = evaluate_setting(config.parameters.get(name), tensor, t)
            shared[name] = _coerce(name, spec, value, f"{tensor}")
            continue
        for i, model in enumerate(config.inputs):
            if spec.scope == "non_base" and i == base_index:
                continue
            setting = model.parameters.get(name, config.parameters.get(name))
            value = evaluate_setting(setting, tensor, t)
            per_input[i][name] = _coerce(name, spec, value, f"{model.path}: {tensor}")
    if shared.get("magnitude_tiebreak", "index") not in TIEBREAKS:
        raise ConfigError(f"magnitude_tiebreak must be one of {TIEBREAKS}")
    return shared, per_input


def _architecture(directory: Path) -> tuple[Any, int]:
    cfg_path = directory / "config.json"
    if not cfg_path.is_file():
        return None, 0
    try:
        cfg = json.loads(cfg_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise MergeError(f"{cfg_path}: unreadable ({exc})") from exc
    return cfg.get("architectures"), int(cfg.get("num_hidden_layers") or 0)


def check_inputs(readers: Sequence[ModelReader], labels: Sequence[str], dtype_set: bool) -> list[str]:
    """Same architectures, tensor names, shapes (and dtypes unless ``dtype`` is set); sorted names."""
    archs = [_architecture(r.directory)[0] for r in readers]
    if any(a != archs[0] for a in archs):
        raise MergeError(f"architecture mismatch: {dict(zip(labels, archs, strict=True))}")
    names = set(readers[0].tensors)
    for reader, label in zip(readers, labels, strict=True):
        missing, extra = names - set(reader.tensors), set(reader.tensors) - names
        if missing or extra:
            raise MergeError(
                f"{label}: tensor names differ from {labels[0]}: missing "
                f"{sorted(missing)[:5]}, unexpected {sorted(extra)[:5]}"
            )
    for name in names:
        infos = [r.tensors[name] for r in readers]
        if any(i.shape != infos[0].shape for i in infos):
            raise MergeError(f"shape mismatch for {name}: {[i.shape for i in infos]}")
        if not dtype_set and any(i.dtype != infos[0].dtype for i in infos):
            raise MergeError(
                f"dtype mismatch for {name}: {[i.dtype for i in infos]} (set 'dtype' to convert)"
            )
    return sorted(names)


def build_plan(config: MergeConfig, directories: Sequence[Path]) -> MergePlan:
    """Open the inputs (headers only), validate everything and resolve per-tensor parameters."""
    method = check_method(config)
    labels = [m.path for m in config.inputs]
    readers = [ModelReader(d) for d in directories]
    names = check_inputs(readers, labels, config.dtype is not None)
    base_index = labels.index(config.base_model) if config.base_model is not None else None
    num_layers = _architecture(directories[0])[1]
    compute = None if config.dtype is None else getattr(torch, config.dtype)
    out_override = None if config.out_dtype is None else getattr(torch, config.out_dtype)
    jobs: list[TensorJob] = []
    for name in names:
        info = readers[0].tensors[name]
        source = ST_DTYPES[info.dtype]
        floating = source.is_floating_point
        shared, per_input = resolve_params(config, method, name, layer_fraction(name, num_layers), base_index)
        out_dtype = (out_override or compute or source) if floating else source
        jobs.append(TensorJob(OutputTensor(name, out_dtype, info.shape), tuple(per_input), shared, floating))
    donor = directories[base_index if base_index is not None else 0]
    return MergePlan(config, method, readers, base_index, jobs, donor)
