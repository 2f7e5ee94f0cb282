"""Sampling parameters with the Prometheus 2 paper's defaults; partial overrides merge into them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from judgeforge.errors import ConfigError


class SamplingParams(BaseModel):
    """Generation settings. Defaults follow the paper: max_tokens 1024, temperature 1.0, top_p 0.9,
    repetition penalty 1.03."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_tokens: int = 1024
    temperature: float = 1.0
    top_p: float = 0.9
    repetition_penalty: float = 1.03
    seed: int | None = None
    stop: tuple[str, ...] = ()
    logprobs: bool = False
    top_logprobs: int = 0
    # Request metadata, not sampling knobs: which sample of an item and which parse attempt this is.
    # Backends may ignore them; the seed already differs between samples and attempts.
    sample_index: int = 0
    attempt: int = 0

    def merged(self, overrides: Mapping[str, Any] | None) -> SamplingParams:
        """Return a copy with ``overrides`` applied on top; unknown keys are an error."""
        if not overrides:
            return self
        try:
            return SamplingParams.model_validate({**self.model_dump(), **dict(overrides)})
        except ValidationError as exc:
            raise ConfigError(f"invalid sampling parameters: {exc}") from exc

    def for_sample(self, sample_index: int, attempt: int) -> SamplingParams:
        """Parameters for one sample and attempt: a distinct, reproducible seed for each pair."""
        base = 0 if self.seed is None else self.seed
        seed = base + sample_index + attempt * ATTEMPT_SEED_STRIDE
        return self.model_copy(update={"seed": seed, "sample_index": sample_index, "attempt": attempt})

    def payload(self) -> dict[str, Any]:
        """The sampling knobs alone (no request metadata), e.g. for cache keys and request bodies."""
        return self.model_dump(exclude={"sample_index", "attempt"})


ATTEMPT_SEED_STRIDE = 1_000_003
DEFAULT_SAMPLING = SamplingParams()
