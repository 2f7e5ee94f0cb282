"""mergekit-style merge configuration: parsing the YAML into a :class:`MergeConfig`, and nothing else.

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

Parameter values are kept as written; what they mean for each tensor (scalars, gradients over layers,
filter conditions, numbers in any YAML spelling) is :mod:`judgeforge.merge.params`'s business. The YAML 1.1
spellings that YAML 1.2 reads as other numbers (``010`` is 8, ``1:30`` is 90) are refused when the file is
loaded. This module does not import torch.
"""

from __future__ import annotations

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


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing the number spellings that YAML 1.1 and YAML 1.2 read differently."""


def _ambiguous(loader: yaml.SafeLoader, node: yaml.ScalarNode, *, octal: bool) -> None:
    text = str(loader.construct_scalar(node))
    digits = text.replace("_", "").lstrip("+-")
    if ":" in digits or (octal and len(digits) > 1 and digits[0] == "0" and digits[1].isdigit()):
        raise ConfigError(
            f"line {node.start_mark.line + 1}: the number '{text}' is read differently by YAML 1.1 (PyYAML, "
            "mergekit: base-60 or octal) and YAML 1.2; write it in plain decimal"
        )


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    _ambiguous(loader, node, octal=True)
    return loader.construct_yaml_int(node)


def _construct_float(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    _ambiguous(loader, node, octal=False)
    return loader.construct_yaml_float(node)


_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_Loader.add_constructor("tag:yaml.org,2002:float", _construct_float)


def load_config(path: str | Path) -> MergeConfig:
    """Read a mergekit-style YAML file; relative model paths resolve against the file's directory."""
    p = Path(path)
    try:
        data = yaml.load(p.read_text(encoding="utf-8"), Loader=_Loader)  # _Loader is a SafeLoader
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read merge config {p}: {exc}") from exc
    return parse_config(data, source_dir=p.resolve().parent)
