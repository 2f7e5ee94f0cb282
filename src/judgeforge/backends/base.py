"""The backend contract: one async ``generate(prompts, params) -> list[Completion | GenerationFailure]``.

One outcome per prompt, in order: a prompt the backend could not complete is a
:class:`~judgeforge.records.GenerationFailure` in its place, never a failure of its siblings. A backend may
still raise :class:`~judgeforge.errors.BackendError` when the whole call failed (an in-process model that
crashed); :class:`~judgeforge.backends.middleware.ReliableBackend` then retries or isolates the prompts.
Backends send each request once: retrying is the middleware's job. Everything backend-specific stays behind
this seam; vendor exceptions are translated at the boundary.

Cache keys and run settings come from :meth:`Backend.request_context` and :meth:`Backend.model_input`: the
exact request (or model input) plus the model's identity, so an option that changes what the model sees or
how it samples changes the key. Options that cannot change an output are listed in
``Options.output_neutral`` and left out.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import os
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from judgeforge.errors import ConfigError
from judgeforge.records import Outcome, Prompt
from judgeforge.sampling import SamplingParams

T = TypeVar("T")


@dataclass(frozen=True)
class Capabilities:
    """What a backend can do: token logprobs, batched generation, applying a chat template itself."""

    logprobs: bool = False
    batching: bool = False
    applies_chat_template: bool = False


class BackendOptions(BaseModel):
    """Base of each backend's options; values given as strings (CLI) are coerced by pydantic.

    ``output_neutral`` names the options that cannot change any output (timeouts, concurrency, where a key
    is read from): they are left out of cache keys and run settings. Every other option is in them.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    output_neutral: ClassVar[frozenset[str]] = frozenset()

    def output_settings(self) -> dict[str, Any]:
        """The options that can change an output, as plain JSON values (for keys, hashes, manifests)."""
        return self.model_dump(mode="json", exclude=set(self.output_neutral))


class Backend(ABC):
    """A model that turns prompts into completions."""

    name: ClassVar[str]
    capabilities: ClassVar[Capabilities] = Capabilities()
    Options: ClassVar[type[BackendOptions]] = BackendOptions

    @abstractmethod
    async def generate(self, prompts: Sequence[Prompt], params: SamplingParams) -> Sequence[Outcome]:
        """One outcome per prompt, in order: its Completion or its GenerationFailure.

        Raises BackendError only when the whole call failed; ConfigError when it can never succeed.
        """

    @abstractmethod
    def identity(self) -> dict[str, str]:
        """What identifies the model exactly (id, revision or file hash), for caches and manifests."""

    def request_context(self, params: SamplingParams) -> dict[str, Any]:
        """What every request of one call shares: the model's identity, the output-affecting options and the
        sampling knobs. With :meth:`model_input`, everything that can change a completion."""
        options = getattr(self, "options", None)
        return {
            "backend": self.name,
            "identity": self.identity(),
            "options": options.output_settings() if isinstance(options, BackendOptions) else None,
            "sampling": params.payload(),
        }

    def model_input(self, prompt: Prompt, params: SamplingParams) -> str:
        """What the model sees for ``prompt``: the chat-formatted text by default; backends that apply a
        chat template themselves, or build a request body, return that exactly."""
        return prompt.text

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


class ModelThread:
    """The one thread on which in-process backends run their blocking model calls.

    Not ``asyncio.to_thread``: its executor is created and joined again by every ``asyncio.run`` (every
    synchronous ``Judge`` call), two thread starts per call, a visible share of a small batch. And one
    thread for every backend, not one each: each thread that runs torch operations gets its own OpenMP
    team (torch's libgomp), and once there are more OpenMP threads than cores libgomp cuts its spin-wait
    between parallel regions to almost nothing, which slows the many small regions of a forward pass
    (docs/performance.md: ``generate`` ~2x slower while another thread's idle team exists). Calls from all
    backends therefore run one at a time. Torch work of your own on other threads has the same effect.
    """

    _executor: ClassVar[ThreadPoolExecutor | None] = None
    _lock: ClassVar[threading.Lock] = threading.Lock()

    @classmethod
    async def run(cls, function: Callable[..., T], *args: Any) -> T:
        """``function(*args)`` on the model thread, with the caller's context variables."""
        call = functools.partial(contextvars.copy_context().run, function, *args)
        return await asyncio.get_running_loop().run_in_executor(cls._pool(), call)

    @classmethod
    def _pool(cls) -> ThreadPoolExecutor:
        with cls._lock:
            if cls._executor is None:
                cls._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="judgeforge-model")
            return cls._executor

    @classmethod
    def _forget_after_fork(cls) -> None:
        """A forked child has no copy of the thread: it starts its own on first use."""
        cls._executor = None
        cls._lock = threading.Lock()


os.register_at_fork(after_in_child=ModelThread._forget_after_fork)
