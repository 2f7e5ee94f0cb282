"""The two ways judgeforge imports lazily.

- :func:`require` for an optional heavy stack (torch, peft, scipy, ray, ...): imported when first needed, and
  a missing one raises :class:`~judgeforge.errors.MissingDependencyError` naming the pip command.
- :func:`lazy_exports` for a package's re-exports whose modules are costly to import (PEP 562): the package's
  ``__getattr__`` imports the module that defines a name on first access.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any

from judgeforge.errors import MissingDependencyError


def require(module: str, extra: str) -> ModuleType:
    """Import ``module`` or raise MissingDependencyError naming the extra that provides it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependencyError(module.split(".")[0], extra) from exc


def lazy_exports(package: str, exports: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package`` that returns ``exports[name]``'s attribute ``name``.

    ``exports`` maps each exported name to the module that defines it; that module is imported on the
    first access. A submodule's name imports the submodule, as an eager ``from package.sub import ...``
    would have made it an attribute; any other name raises AttributeError. Usage, in
    the package's ``__init__.py``: ``__getattr__ = lazy_exports(__name__, {"Name": "package.module"})``.
    """

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is not None:
            return getattr(importlib.import_module(module), name)
        if importlib.util.find_spec(f"{package}.{name}") is not None:  # a submodule, as after an eager import
            return importlib.import_module(f"{package}.{name}")
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__
