"""Training configs: YAML recipes with ``extends``, dotted ``--set`` overrides, validated into frozen records.

A config names the mode (``da``, ``pr`` or ``joint``), the base model, the datasets (a Feedback Collection for
direct assessment, a Preference Collection for pairwise ranking, both for joint training), optional LoRA
settings, the training arguments (passed to TRL's ``SFTConfig`` as they are) and how to launch several
processes. A built-in recipe is named by its file stem (``judgeforge train tiny-da``); any other value is a
path. ``extends: NAME_OR_PATH`` deep-merges the current file over another recipe, so the recipes stay short.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from judgeforge.errors import ConfigError

TrainMode = Literal["da", "pr", "joint"]
SourceFormat = Literal["auto", "jsonl", "json", "parquet", "csv", "disk", "hub"]
_MAX_EXTENDS = 8


class _Loader(yaml.SafeLoader):
    """A safe loader that also reads ``1e-5`` as a float (YAML 1.1 wants ``1.0e-5``), as users write it."""


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)


def _yaml_load(text: str) -> Any:
    return yaml.load(text, Loader=_Loader)  # a SafeLoader subclass: no arbitrary objects


class _Spec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DatasetSource(_Spec):
    """Where rows come from: a local JSONL/JSON/Parquet/CSV file, a saved-to-disk dataset, or a hub id."""

    path: str
    split: str = "train"
    format: SourceFormat = "auto"
    max_rows: int | None = Field(default=None, ge=1)


class ModelSpec(_Spec):
    """The base model: a local folder or a hub id; loaded with its own tokenizer and chat template."""

    name_or_path: str
    dtype: str = "auto"
    attn_implementation: str | None = None
    revision: str | None = None
    trust_remote_code: bool = False


class DataSpec(_Spec):
    """Datasets and how rows become (user turn, assistant turn) pairs.

    ``prompt_source``: ``render`` re-renders the prompt from the original columns (the schema of
    :mod:`judgeforge.data.collections`) with ``template_set``;
    ``instruction`` uses the dataset's ``instruction`` column as the rendered prompt. ``instruction_check``
    compares the two when both exist (``error`` stops on a mismatch, ``warn`` counts them, ``ignore`` skips it).
    ``join_system`` puts the system prompt and the prompt in one user turn joined by a blank line (the released
    recipe); ``false`` sends a separate system message instead.
    """

    feedback: DatasetSource | None = None
    preference: DatasetSource | None = None
    template_set: str = "prometheus2"
    prompt_source: Literal["render", "instruction"] = "render"
    instruction_check: Literal["error", "warn", "ignore"] = "warn"
    join_system: bool = True


class LoraSpec(_Spec):
    """LoRA adapters (PEFT). ``merge``: after training, also export base + adapter as a full checkpoint."""

    r: int = Field(ge=1)
    alpha: int = Field(ge=1)
    dropout: float = Field(default=0.0, ge=0.0, lt=1.0)
    target_modules: str | list[str] = "all-linear"
    bias: Literal["none", "all", "lora_only"] = "none"
    merge: bool = False


class LaunchSpec(_Spec):
    """Multi-process launch through ``accelerate launch`` (an accelerate config name or path)."""

    accelerate_config: str | None = None
    num_processes: int = Field(default=1, ge=1)
    extra_args: list[str] = Field(default_factory=list)


class TrainConfig(_Spec):
    """A resolved training config (what ``judgeforge train`` runs and writes next to the checkpoint)."""

    name: str = ""
    description: str = ""
    mode: TrainMode
    model: ModelSpec
    data: DataSpec = DataSpec()
    lora: LoraSpec | None = None
    training: dict[str, Any]
    launch: LaunchSpec = LaunchSpec()

    @property
    def output_dir(self) -> Path:
        return Path(str(self.training["output_dir"]))

    def sources(self) -> dict[str, DatasetSource]:
        """The datasets this mode trains on, by kind (``feedback`` and/or ``preference``)."""
        kinds = {"da": ("feedback",), "pr": ("preference",), "joint": ("feedback", "preference")}[self.mode]
        return {kind: getattr(self.data, kind) for kind in kinds}


def builtin_recipes() -> dict[str, Path]:
    """Built-in recipe names (file stems) and their paths."""
    folder = Path(str(resources.files("judgeforge.train") / "recipes"))
    return {path.stem: path for path in sorted(folder.glob("*.yaml"))}


def builtin_accelerate_configs() -> dict[str, Path]:
    folder = Path(str(resources.files("judgeforge.train") / "recipes" / "accelerate"))
    return {path.stem: path for path in sorted(folder.glob("*.yaml"))}


def resolve_recipe_path(name_or_path: str | Path, relative_to: Path | None = None) -> Path:
    """A built-in recipe name or a file path (relative paths are tried next to ``relative_to`` first)."""
    recipes = builtin_recipes()
    if str(name_or_path) in recipes:
        return recipes[str(name_or_path)]
    path = Path(name_or_path)
    if relative_to is not None and not path.is_absolute() and (relative_to / path).is_file():
        return relative_to / path
    if path.is_file():
        return path
    raise ConfigError(f"no recipe or config file '{name_or_path}'; built-in recipes: {', '.join(recipes)}")


def load_config_dict(name_or_path: str | Path) -> dict[str, Any]:
    """The merged mapping of a config and every recipe it extends (not yet validated)."""
    path = resolve_recipe_path(name_or_path)
    chain: list[dict[str, Any]] = []
    seen: set[Path] = set()
    while True:
        if path.resolve() in seen or len(chain) >= _MAX_EXTENDS:
            raise ConfigError(f"config {path}: 'extends' loops or nests more than {_MAX_EXTENDS} deep")
        seen.add(path.resolve())
        data = _read_yaml(path)
        chain.append(data)
        parent = data.pop("extends", None)
        if parent is None:
            break
        path = resolve_recipe_path(str(parent), relative_to=path.parent)
    merged: dict[str, Any] = {}
    for data in reversed(chain):
        merged = deep_merge(merged, data)
    return merged


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = _yaml_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read config {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"config {path} must be a mapping at the top level")
    return data


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """``override`` over ``base``; nested mappings merge, everything else (lists included) is replaced."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def apply_overrides(data: Mapping[str, Any], overrides: Sequence[str]) -> dict[str, Any]:
    """Apply ``dotted.key=value`` overrides; values are parsed as YAML (``1e-5``, ``true``, ``null``, ``[a]``)."""
    result = dict(data)
    for override in overrides:
        key, sep, raw = override.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"override '{override}' must look like key.path=value")
        try:
            value = _yaml_load(raw) if raw.strip() else ""
        except yaml.YAMLError as exc:
            raise ConfigError(f"override '{override}': cannot parse the value: {exc}") from exc
        result = _set_path(result, key.strip().split("."), value)
    return result


def _set_path(data: Mapping[str, Any], parts: list[str], value: Any) -> dict[str, Any]:
    result = dict(data)
    head, rest = parts[0], parts[1:]
    if not rest:
        result[head] = value
        return result
    child = result.get(head)
    result[head] = _set_path(child if isinstance(child, Mapping) else {}, rest, value)
    return result


def load_train_config(name_or_path: str | Path, overrides: Sequence[str] = ()) -> TrainConfig:
    """Load, merge (``extends``), override and validate a training config."""
    data = apply_overrides(load_config_dict(name_or_path), overrides)
    return validate_config(data, source=str(name_or_path))


def validate_config(data: Mapping[str, Any], source: str = "config") -> TrainConfig:
    try:
        config = TrainConfig.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc']) or '(top)'}: {error['msg']}" for error in exc.errors()
        )
        raise ConfigError(f"{source}: invalid training config: {problems}") from exc
    if not config.training.get("output_dir"):
        raise ConfigError(f"{source}: training.output_dir is required")
    for kind, spec in config.sources().items():
        if spec is None:
            raise ConfigError(f"{source}: mode '{config.mode}' needs data.{kind} (a {_COLLECTION[kind]})")
    unused = [kind for kind in ("feedback", "preference") if kind not in config.sources()]
    for kind in unused:
        if getattr(config.data, kind) is not None:
            raise ConfigError(
                f"{source}: mode '{config.mode}' does not train on data.{kind}; remove it or use 'joint'"
            )
    return config


_COLLECTION = {"feedback": "Feedback Collection", "preference": "Preference Collection"}


def dump_config(config: TrainConfig) -> str:
    """The resolved config as YAML (written next to the checkpoint)."""
    data = json.loads(config.model_dump_json())
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
