"""The backend contract: one async ``generate(prompts, params) -> list[Completion]``.

Everything backend-specific stays behind this seam; vendor exceptions are translated into
:class:`~judgeforge.errors.BackendError` at the boundary.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from judgeforge.errors import ConfigError
from judgeforge.records import Completion, Prompt
from judgeforge.sampling import SamplingParams

T = TypeVar("T")


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


class WorkerThread:
    """One long-lived thread for an in-process backend's blocking calls.

    ``asyncio.to_thread`` runs on the event loop's default executor, which every ``asyncio.run`` (every
    synchronous ``Judge`` call) creates and then joins with a helper thread: two thread starts per call,
    a visible share of a small batch. This thread lives as long as its backend (or until :meth:`close`).
    """

    def __init__(self, name: str) -> None:
        self._name = name
        self._executor: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        """``function(*args)`` on the worker thread, with the caller's context variables."""
        call = functools.partial(contextvars.copy_context().run, function, *args)
        return await asyncio.get_running_loop().run_in_executor(self._pool(), call)

    def close(self) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False)

    def _pool(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=self._name)
            return self._executor
