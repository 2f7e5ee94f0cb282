"""The registry: eager, lazy and plugin (entry-point) entries."""

from __future__ import annotations

from pathlib import Path

import pytest

import judgeforge.backends
from judgeforge.backends import backends
from judgeforge.errors import ConfigError
from judgeforge.registry import Registry


def test_backends_of_higher_layers_come_from_entry_points() -> None:
    """The Ray pool and the toy teacher are declared in pyproject.toml, not named by the backends package."""
    assert {"ray", "toy-teacher"} <= set(backends.names())
    assert backends.get("toy-teacher").__module__ == "judgeforge.toy.teacher"
    source = Path(judgeforge.backends.__file__).read_text(encoding="utf-8")
    assert "judgeforge.toy" not in source and "judgeforge.distributed" not in source


def test_plugins_are_loaded_once_and_never_replace_a_registered_name() -> None:
    registry: Registry[object] = Registry("thing", plugins="judgeforge.backends")
    registry.add("fake", "ours")
    assert registry.get("fake") == "ours"
    assert "toy-teacher" in registry and "ray" in registry.names()
    with pytest.raises(ConfigError, match="unknown thing 'nope'; known: fake, ray, toy-teacher"):
        registry.get("nope")
