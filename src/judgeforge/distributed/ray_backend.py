"""``ray``: a backend that spreads generation over Ray actors, each holding its own copy of another backend.

Whatever drives a Judge (``judgeforge bench --ray``, the preference builder, the service) gets Ray replicas
without changes of its own: rendering, parsing and aggregation stay in the driver, and each
``generate(prompts, params)`` call is cut into one contiguous chunk per actor. The inner backend (for
example ``transformers`` or ``vllm``) is built inside every actor from its name and options, so the driver
never loads the model. ``judgeforge grade --ray`` uses Ray Data instead (:mod:`judgeforge.distributed.ray_grading`),
which also streams the input and the results.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, ClassVar

from pydantic import Field, model_validator

from judgeforge.backends.base import Backend, BackendOptions
from judgeforge.errors import BackendError
from judgeforge.lazy import require
from judgeforge.records import Outcome, Prompt
from judgeforge.sampling import SamplingParams


class RayPoolOptions(BackendOptions):
    backend: str
    backend_options: dict[str, Any] = Field(default_factory=dict)
    actors: int = Field(2, ge=1)
    cpus_per_actor: float = Field(1.0, ge=0)
    gpus_per_actor: float = Field(0.0, ge=0)
    address: str | None = None
    num_cpus: int | None = Field(None, ge=1)

    output_neutral: ClassVar[frozenset[str]] = frozenset(
        {"actors", "cpus_per_actor", "gpus_per_actor", "address", "num_cpus"}
    )

    @model_validator(mode="after")
    def _inner_options_are_valid(self) -> RayPoolOptions:
        self.output_settings()  # raises ConfigError naming the inner backend's bad option
        return self

    def output_settings(self) -> dict[str, Any]:
        """The replicas' own output settings: a Ray pool's outputs are its inner backend's."""
        from judgeforge.backends import backends
        from judgeforge.backends.base import parse_options

        inner = parse_options(backends.get(self.backend), self.backend_options)
        return {"backend": self.backend, "backend_options": inner.output_settings()}


class GenerateActor:
    """Holds one inner backend; Ray runs each instance in its own worker process."""

    def __init__(self, name: str, options: dict[str, Any]) -> None:
        from judgeforge.backends import create_backend

        self.backend = create_backend(name, options)

    def identity(self) -> dict[str, str]:
        return self.backend.identity()

    async def generate(self, prompts: list[Prompt], params: SamplingParams) -> list[Outcome]:
        return list(await self.backend.generate(prompts, params))


class RayPoolBackend(Backend):
    name: ClassVar[str] = "ray"
    Options = RayPoolOptions

    def __init__(self, options: RayPoolOptions) -> None:
        from judgeforge.backends import backends
        from judgeforge.distributed.ray_grading import RayOptions, connect

        ray = require("ray", "ray")
        self.options = options
        # The pool can do what its replicas can (logprobs, batching); an instance attribute on purpose.
        self.capabilities = backends.get(options.backend).capabilities  # type: ignore[misc]
        self.started_runtime = connect(
            ray,
            RayOptions(address=options.address, actors=options.actors, cpus_per_actor=options.cpus_per_actor,
                       gpus_per_actor=options.gpus_per_actor, num_cpus=options.num_cpus),
        )  # fmt: skip
        actor = ray.remote(num_cpus=options.cpus_per_actor, num_gpus=options.gpus_per_actor)(GenerateActor)
        self.actors = [actor.remote(options.backend, options.backend_options) for _ in range(options.actors)]
        self._identity: dict[str, str] = ray.get(self.actors[0].identity.remote())

    def identity(self) -> dict[str, str]:
        return self._identity  # the replicas' model, so caches and manifests match a local run

    async def generate(self, prompts: Sequence[Prompt], params: SamplingParams) -> list[Outcome]:
        size = -(-len(prompts) // len(self.actors)) or 1
        chunks = [list(prompts[start : start + size]) for start in range(0, len(prompts), size)]
        refs = [actor.generate.remote(chunk, params) for actor, chunk in zip(self.actors, chunks)]
        try:
            results = await asyncio.gather(*refs)
        except Exception as exc:  # Ray wraps the replica's error; hand on ours, translate the rest
            cause = getattr(exc, "cause", None)
            if isinstance(cause, BackendError):
                raise cause from exc
            raise BackendError(f"ray replica failed: {exc}") from exc
        return [completion for chunk in results for completion in chunk]

    async def aclose(self) -> None:
        ray = require("ray", "ray")
        for actor in self.actors:
            ray.kill(actor)
        if self.started_runtime:
            ray.shutdown()
