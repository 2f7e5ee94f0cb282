"""Lazy imports of optional heavy stacks, with an error that names the pip command."""

from __future__ import annotations

import importlib
from types import ModuleType

from judgeforge.errors import MissingDependencyError


def require(module: str, extra: str) -> ModuleType:
    """Import ``module`` or raise MissingDependencyError naming the extra that provides it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependencyError(module.split(".")[0], extra) from exc
