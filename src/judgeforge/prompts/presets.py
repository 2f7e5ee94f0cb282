"""Judge-family presets: a named binding of template set + chat format to the judges trained with them.

Prometheus 2 (7B on Mistral, 8x7B on Mixtral) reads ``[INST] system\\nuser [/INST]`` (``mistral-inst``);
M-Prometheus (Qwen2.5) reads the tokenizer's own chat template (``tokenizer``). Pairing a judge with another
format degrades it without any error, so :meth:`judgeforge.Judge.from_preset` takes the pair from the preset,
and :func:`mismatch_warning` names the preset when a known model is given a different pairing. Explicit
``template_set``/``chat_format`` arguments still override a preset.

The table lives in ``presets.yaml`` next to this module.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from importlib import resources

import yaml
from pydantic import BaseModel, ConfigDict

from judgeforge.errors import ConfigError
from judgeforge.registry import Registry


class Preset(BaseModel):
    """One judge family member: its template set, chat format and the model names it covers."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    description: str
    family: str
    base_model: str
    models: tuple[str, ...]
    template_set: str
    chat_format: str

    def matches(self, model: str) -> bool:
        """Whether ``model`` (hub id, local path or GGUF file name) names one of this preset's models."""
        leaf = model.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1].lower()
        return any(leaf == name.lower() or leaf.startswith(name.lower() + ".") for name in self.models)


@cache
def _table() -> dict[str, Preset]:
    text = resources.files("judgeforge.prompts").joinpath("presets.yaml").read_text(encoding="utf-8")
    raw = yaml.safe_load(text)
    return {name: Preset(name=name, **fields) for name, fields in raw.items()}


presets: Registry[Preset] = Registry("preset")
for _name, _preset in _table().items():
    presets.add(_name, _preset)


def get_preset(name: str) -> Preset:
    """The preset called ``name`` (ConfigError listing the known ones otherwise)."""
    return presets.get(name)


def preset_for_model(model: str) -> Preset | None:
    """The preset whose models include ``model``, if any."""
    return next((presets.get(name) for name in presets.names() if presets.get(name).matches(model)), None)


def resolve(
    preset: str | Preset, template_set: str | None = None, chat_format: str | None = None
) -> tuple[str, str]:
    """(template set, chat format): the preset's, with explicit arguments taking precedence."""
    chosen = preset if isinstance(preset, Preset) else get_preset(preset)
    return template_set or chosen.template_set, chat_format or chosen.chat_format


def mismatch_warning(identity: Mapping[str, str], template_set: str, chat_format: str) -> str | None:
    """A warning when the backend's model is a known judge and the pairing differs from its preset.

    For a chat endpoint the server applies the model's own template, so only the template set matters.
    """
    uses_prompt_text = identity.get("endpoint") != "chat"
    model = identity.get("model") or identity.get("path") or ""
    preset = preset_for_model(model) if model else None
    if preset is None:
        return None
    differs = [f"template set {template_set!r}"] if template_set != preset.template_set else []
    if uses_prompt_text and chat_format != preset.chat_format:
        differs.append(f"chat format {chat_format!r}")
    if not differs:
        return None
    return (
        f"model {model!r} is a {preset.family} judge (preset '{preset.name}': template set "
        f"{preset.template_set!r}, chat format {preset.chat_format!r}) but is used with {' and '.join(differs)}; "
        f"use Judge.from_preset('{preset.name}', ...) or pass the pairing explicitly if this is intended"
    )


def check_known(name: str) -> None:
    if name not in presets:
        raise ConfigError(f"unknown preset '{name}'; known: {', '.join(presets.names())}")
