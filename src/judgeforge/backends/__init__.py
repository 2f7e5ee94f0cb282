"""Model backends behind one contract (:class:`Backend`), chosen by name from a registry.

Heavy stacks are registered lazily (by dotted path) so that ``import judgeforge`` never imports them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from judgeforge.backends.base import Backend, BackendOptions, Capabilities, parse_options
from judgeforge.registry import Registry

# Backends of higher layers (the Ray pool, the toy world's teacher) are declared as entry points of the
# "judgeforge.backends" group in pyproject.toml, like any third-party backend.
backends: Registry[type[Backend]] = Registry("backend", plugins="judgeforge.backends")
backends.register_lazy("fake", "judgeforge.backends.fake:FakeBackend")
backends.register_lazy("openai_compat", "judgeforge.backends.openai_compat:OpenAICompatBackend")
backends.register_lazy("openai_pool", "judgeforge.backends.pool:EndpointPoolBackend")
backends.register_lazy("transformers", "judgeforge.backends.hf:TransformersBackend")
backends.register_lazy("llama_cpp", "judgeforge.backends.llamacpp:LlamaCppBackend")
backends.register_lazy("vllm", "judgeforge.backends.vllm_offline:VLLMBackend")


def create_backend(name: str, options: Mapping[str, Any] | None = None) -> Backend:
    """Instantiate the backend registered as ``name`` with validated ``options``."""
    backend_class = backends.get(name)
    return backend_class(parse_options(backend_class, options))  # type: ignore[call-arg]


def parse_option_pairs(pairs: list[str] | None) -> dict[str, str]:
    """``["key=value", ...]`` (as given on the command line) -> dict."""
    from judgeforge.errors import ConfigError

    options: dict[str, str] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ConfigError(f"backend option must look like key=value, got {pair!r}")
        options[key.strip()] = value
    return options


__all__ = [
    "Backend",
    "BackendOptions",
    "Capabilities",
    "backends",
    "create_backend",
    "parse_option_pairs",
]
