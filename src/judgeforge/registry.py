"""A small typed registry used for backends, merge methods, benchmarks, metrics and more."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from judgeforge.errors import ConfigError

T = TypeVar("T")


class Registry(Generic[T]):
    """Maps names to objects (classes, factories, functions) of one kind.

    Entries may be registered eagerly (``register``) or lazily by dotted path (``register_lazy``), so that
    heavy optional stacks are imported only when their entry is used. With ``plugins`` (an entry-point
    group, PyPA's packaging specification), entries that other packages (or higher layers of this one)
    declare in their ``pyproject.toml`` are added, by dotted path, the first time a name is missed or listed:
    a registry never names the packages that provide its entries.
    """

    def __init__(self, kind: str, *, plugins: str | None = None) -> None:
        self.kind = kind
        self._entries: dict[str, T] = {}
        self._lazy: dict[str, str] = {}
        self._plugins = plugins

    def register(self, name: str) -> Callable[[T], T]:
        def decorator(obj: T) -> T:
            self.add(name, obj)
            return obj

        return decorator

    def add(self, name: str, obj: T) -> None:
        if name in self._entries or name in self._lazy:
            raise ConfigError(f"{self.kind} '{name}' is already registered")
        self._entries[name] = obj

    def register_lazy(self, name: str, target: str) -> None:
        """Register ``module.path:attribute``, imported on first use."""
        if name in self._entries or name in self._lazy:
            raise ConfigError(f"{self.kind} '{name}' is already registered")
        self._lazy[name] = target

    def get(self, name: str) -> T:
        if name in self._entries:
            return self._entries[name]
        if name not in self._lazy:
            self._load_plugins()
        if name in self._lazy:
            obj: T = _import_target(self._lazy[name])
            self._entries[name] = obj
            del self._lazy[name]
            return obj
        known = ", ".join(self.names()) or "(none)"
        raise ConfigError(f"unknown {self.kind} '{name}'; known: {known}")

    def names(self) -> list[str]:
        self._load_plugins()
        return sorted({*self._entries, *self._lazy})

    def __contains__(self, name: object) -> bool:
        if name not in self._entries and name not in self._lazy:
            self._load_plugins()
        return name in self._entries or name in self._lazy

    def _load_plugins(self) -> None:
        """Register the entry points of ``plugins`` once (names already registered keep their entry)."""
        if self._plugins is None:
            return
        from importlib.metadata import entry_points

        group, self._plugins = self._plugins, None
        for point in entry_points(group=group):
            if point.name not in self._entries and point.name not in self._lazy:
                self._lazy[point.name] = point.value

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())


def _import_target(target: str) -> T:  # type: ignore[type-var]
    import importlib

    module_name, _, attribute = target.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, attribute)  # type: ignore[no-any-return]
