"""mergekit-style merge configuration: parsing, validation and per-tensor parameter resolution.

The YAML accepted is the ``models:`` form of mergekit 0.1.5::

    merge_method: ties
    base_model: ./base
    models:
      - model: ./judge-a
        parameters: {weight: 0.5, density: 0.5}
      - model: ./judge-b
        parameters: {weight: 0.5, density: [0.2, 0.8]}   # a gradient over layers
    parameters: {normalize: true, int8_mask: true}
    dtype: float32
    out_dtype: bfloat16

A parameter value is a scalar, a gradient (a list of numbers interpolated over the layer index), or a list
of ``{filter, value}`` conditions where the first whose ``filter`` is a substring of the tensor name (or is
absent / ``"*"``) wins. Per-model values take precedence over global ones. This module does not import torch.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from judgeforge.errors import ConfigError

DTYPE_NAMES = {
    "float32": "float32",
    "fp32": "float32",
    "float": "float32",
    "float16": "float16",
    "fp16": "float16",
    "half": "float16",
    "bfloat16": "bfloat16",
    "bf16": "bfloat16",
    "float64": "float64",
    "fp64": "float64",
}
_TOP_LEVEL_KEYS = {"merge_method", "base_model", "models", "parameters", "dtype", "out_dtype", "random_seed"}
_UNSUPPORTED_KEYS = {"slices", "modules", "tokenizer", "tokenizer_source", "chat_template"}
_LAYER_RE = re.compile(r"(?:^|\.)layers\.(\d+)\.")


@dataclass(frozen=True)
class ModelSpec:
    """One input model: a local directory (or ``base+adapter`` LoRA pair) and its own parameters."""

    path: str
    parameters: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class MergeConfig:
    """A parsed merge configuration.

    ``models`` keeps config order, which is also the accumulation order of the methods; a ``base_model``
    that is not listed among ``models`` is appended at the end, as mergekit does.
    """

    merge_method: str
    models: tuple[ModelSpec, ...]
    base_model: str | None = None
    parameters: Mapping[str, Any] = field(default_factory=dict)
    dtype: str | None = None
    out_dtype: str | None = None
    random_seed: int | None = None
    source_dir: Path | None = None

    @property
    def inputs(self) -> tuple[ModelSpec, ...]:
        """Models in merge order: config order, then the base model if it was not listed."""
        if self.base_model is None or any(m.path == self.base_model for m in self.models):
            return self.models
        return (*self.models, ModelSpec(self.base_model))

    def resolve_path(self, path: str) -> Path:
        """A model path relative to the config file's directory (or the working directory)."""
        p = Path(path).expanduser()
        if not p.is_absolute() and self.source_dir is not None:
            return self.source_dir / p
        return p

    def with_overrides(self, **changes: Any) -> MergeConfig:
        """A copy with some fields replaced (used by sweeps)."""
        return replace(self, **changes)


def _dtype(value: object, key: str) -> str | None:
    if value is None:
        return None
    name = DTYPE_NAMES.get(str(value).lower())
    if name is None:
        raise ConfigError(f"{key}: unsupported dtype '{value}'; use one of {sorted(set(DTYPE_NAMES))}")
    return name


def _parameters(value: object, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where}: 'parameters' must be a mapping, got {type(value).__name__}")
    return {str(k): v for k, v in value.items()}


def _model(entry: object, index: int) -> ModelSpec:
    if isinstance(entry, str):
        return ModelSpec(entry)
    if not isinstance(entry, Mapping) or "model" not in entry:
        raise ConfigError(f"models[{index}]: expected a mapping with a 'model' key")
    unknown = set(entry) - {"model", "parameters"}
    if unknown:
        raise ConfigError(f"models[{index}]: unknown keys {sorted(unknown)}")
    return ModelSpec(str(entry["model"]), _parameters(entry.get("parameters"), f"models[{index}]"))


def parse_config(data: Mapping[str, Any], source_dir: Path | None = None) -> MergeConfig:
    """Build a :class:`MergeConfig` from already-loaded YAML data; raises ``ConfigError`` when malformed."""
    if not isinstance(data, Mapping):
        raise ConfigError("merge config must be a YAML mapping")
    unsupported = _UNSUPPORTED_KEYS & set(data)
    if unsupported:
        raise ConfigError(f"merge config keys not supported yet: {sorted(unsupported)}")
    unknown = set(data) - _TOP_LEVEL_KEYS
    if unknown:
        raise ConfigError(f"unknown merge config keys: {sorted(unknown)}")
    if "merge_method" not in data:
        raise ConfigError("merge config needs 'merge_method'")
    raw_models = data.get("models")
    if not isinstance(raw_models, list) or not raw_models:
        raise ConfigError("merge config needs a non-empty 'models' list")
    models = tuple(_model(entry, i) for i, entry in enumerate(raw_models))
    if len({m.path for m in models}) != len(models):
        raise ConfigError("a model is listed twice in 'models'")
    seed = data.get("random_seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise ConfigError("random_seed must be an integer")
    base = data.get("base_model")
    return MergeConfig(
        merge_method=str(data["merge_method"]),
        models=models,
        base_model=None if base is None else str(base),
        parameters=_parameters(data.get("parameters"), "global"),
        dtype=_dtype(data.get("dtype"), "dtype"),
        out_dtype=_dtype(data.get("out_dtype"), "out_dtype"),
        random_seed=seed,
        source_dir=source_dir,
    )


def load_config(path: str | Path) -> MergeConfig:
    """Read a mergekit-style YAML file; relative model paths resolve against the file's directory."""
    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read merge config {p}: {exc}") from exc
    return parse_config(data, source_dir=p.resolve().parent)


def layer_fraction(tensor_name: str, num_layers: int) -> float:
    """The gradient position ``t`` of a tensor: ``layer / (num_layers - 1)``, 0 outside the layer stack."""
    match = _LAYER_RE.search(tensor_name)
    if match is None or num_layers <= 1:
        return 0.0
    return int(match.group(1)) / (num_layers - 1)


def evaluate_setting(setting: Any, tensor_name: str, t: float) -> Any:
    """Resolve one parameter setting (scalar, gradient, or filter conditions) for a tensor.

    Returns ``None`` when no condition matches. Gradients interpolate linearly between neighbouring
    anchors at ``t * (len - 1)``, as mergekit does; non-numeric gradients pick the lower anchor.
    """
    if setting is None:
        return None
    if isinstance(setting, Mapping):
        setting = [setting]
    if isinstance(setting, bool | int | float | str):
        return setting
    if not isinstance(setting, list):
        raise ConfigError(f"unsupported parameter value {setting!r}")
    if not setting:
        return None
    if all(isinstance(e, bool | int | float | str) for e in setting):
        return _gradient(setting, t)
    for cond in setting:
        if not isinstance(cond, Mapping) or "value" not in cond:
            raise ConfigError(f"parameter condition needs 'value': {cond!r}")
        flt = cond.get("filter")
        if flt is None or flt == "*" or (tensor_name and str(flt) in tensor_name):
            return evaluate_setting(cond["value"], tensor_name, t)
    return None


def _gradient(values: list[Any], t: float) -> Any:
    numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
    if not numeric:
        return values[int(t * (len(values) - 1))]
    scaled = t * (len(values) - 1)
    i0 = int(scaled)
    i1 = min(len(values) - 1, i0 + 1)
    frac = scaled - i0
    return (1 - frac) * float(values[i0]) + frac * float(values[i1])
