"""The backend contract: one async ``generate(prompts, params) -> list[Completion]``.

Everything backend-specific stays behind this seam; vendor exceptions are translated into
:class:`~judgeforge.errors.BackendError` at the boundary.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError

from judgeforge.errors import ConfigError
from judgeforge.records import Completion, Prompt
from judgeforge.sampling import SamplingParams


@dataclass(frozen=True)
class Capabilities:
    """What a backend can do: token logprobs, batched generation, applying a chat template itself."""

    logprobs: bool = False
    batching: bool = False
    applies_chat_template: bool = False


class BackendOptions(BaseModel):
    """Base of each backend's options; values given as strings (CLI) are coerced by pydantic."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Backend(ABC):
    """A model that turns prompts into completions."""

    name: ClassVar[str]
    capabilities: ClassVar[Capabilities] = Capabilities()
    Options: ClassVar[type[BackendOptions]] = BackendOptions

    @abstractmethod
    async def generate(self, prompts: Sequence[Prompt], params: SamplingParams) -> list[Completion]:
        """One completion per prompt, in order. Raises BackendError on failure."""

    @abstractmethod
    def identity(self) -> dict[str, str]:
        """What identifies the model exactly (id, revision or file hash), for caches and manifests."""

    async def aclose(self) -> None:  # noqa: B027 - optional hook, most backends hold nothing
        """Release resources (connections, processes)."""


def parse_options(backend_class: type[Backend], options: Mapping[str, Any] | None) -> BackendOptions:
    try:
        return backend_class.Options.model_validate(dict(options or {}))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}" for error in exc.errors()
        )
        raise ConfigError(f"invalid options for backend '{backend_class.name}': {problems}") from exc
