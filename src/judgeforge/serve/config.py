"""Service configuration: limits and API keys (from the environment or a file), checked in constant time."""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from judgeforge.errors import ConfigError
from judgeforge.serve.models import plain_problems

API_KEYS_ENV = "JUDGEFORGE_API_KEYS"


class ServeConfig(BaseModel):
    """Limits of one service instance.

    ``max_concurrency`` counts grading requests in flight; one more is refused at once with 429 and
    ``Retry-After: retry_after_s`` rather than queued, so clients see back-pressure instead of timeouts.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_body_bytes: int = Field(1_048_576, ge=1)
    max_items: int = Field(64, ge=1)
    max_concurrency: int = Field(8, ge=1)
    retry_after_s: int = Field(1, ge=0)
    public_docs: bool = False

    @classmethod
    def from_options(cls, **options: Any) -> ServeConfig:
        """Validated config; a bad value raises ConfigError naming every bad option, in plain words."""
        try:
            return cls(**options)
        except ValidationError as exc:
            problems = "; ".join(str(problem) for problem in plain_problems(exc.errors()))
            raise ConfigError(f"invalid serve options: {problems}") from exc


class KeyChecker:
    """Accepts a request when its key equals one of the configured keys.

    Every key is compared (no early exit) with :func:`hmac.compare_digest` over SHA-256 digests, so neither
    the position of a match nor the length of a key shows in the timing.
    """

    def __init__(self, keys: Iterable[str]) -> None:
        self._digests = [_digest(key) for key in keys if key]
        if not self._digests:
            raise ConfigError("no API keys given")

    def __len__(self) -> int:
        return len(self._digests)

    def check(self, candidate: str | None) -> bool:
        given = _digest(candidate or "")
        matched = False
        for digest in self._digests:
            matched |= hmac.compare_digest(given, digest)
        return matched and bool(candidate)


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8")).digest()


def load_api_keys(keys_file: str | Path | None = None, environ: Mapping[str, str] | None = None) -> list[str]:
    """Keys from ``JUDGEFORGE_API_KEYS`` (comma-separated) plus ``keys_file`` (one per line, ``#`` comments)."""
    environ = os.environ if environ is None else environ
    keys = [key.strip() for key in environ.get(API_KEYS_ENV, "").split(",") if key.strip()]
    if keys_file is not None:
        try:
            lines = Path(keys_file).read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise ConfigError(f"cannot read API keys file {keys_file}: {exc}") from exc
        keys += [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
    short = [key for key in keys if len(key) < 16]
    if short:
        raise ConfigError(f"{len(short)} API key(s) shorter than 16 characters; use long random keys")
    return list(dict.fromkeys(keys))
